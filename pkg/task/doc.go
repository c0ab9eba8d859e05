// Package task is the contract between the engine and Task integrations:
// a [Handler] performs one Task state call and reports its outcome through
// a callback, and a [Registry] maps Resource ARNs to handlers at compile
// time, so runtime dispatch is an array index.
//
// Handlers are called from an engine goroutine and must not block it: an
// integration that does I/O starts it (a NATS request, an HTTP call) and
// calls done when it completes, from any goroutine. Timeouts are enforced
// by the engine, not by handlers; a handler should still honour ctx.
//
// task imports value only; integrations live in sub-packages.
package task
