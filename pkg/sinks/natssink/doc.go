// Package natssink is the "nats" sink: each execution log record (or each
// output of the sink's jq filter) is published as one message, with core
// NATS or, when Options.Stream is set, with JetStream awaiting a PubAck.
//
// Subject: Options.Subject when set; otherwise expressd.logs.<machine>,
// where machine is Options.Machine for a per-machine sink and each record's
// Machine for a global one ("_" when a record has none).
//
// Place: registered by cmd/expressd with [Plugin] on the daemon's shared
// connection; the sinks.Dispatcher drives it. It is the only sinks package
// that imports NATS. It does not import config.
//
// Concurrency: a sink handles one Write at a time (maxInFlight 1, keeping
// per-subject order); Write and Close are safe to call from different
// goroutines. The connection is owned by the caller: Close flushes it but
// does not close it.
package natssink
