// Package daemon is `expressd serve` as a package: a loaded config in, a
// running daemon out ([Start]), stopped with [Daemon.Stop]. It starts the
// embedded nats-server (or connects to an external server or cluster with
// the configured authentication and TLS), builds the task integrations
// (nats:request, nats:publish, http:invoke, Lambda) and the log sinks,
// compiles every machine, starts the JetStream binding (engine/natsjs) and
// serves /healthz, /readyz and /metrics. `expressd serve`, `expressd
// validate --config` (through [TaskRegistry]) and the tests use it.
//
// daemon imports NATS (it owns the connection) and every runtime package;
// nothing but cmd imports daemon.
package daemon
