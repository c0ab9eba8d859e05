// Package natsjs binds state machines to NATS JetStream: every message on a
// machine's trigger subjects becomes one Express execution, run at least
// once, and its result is stored in the EXPRESSD_RESULTS stream before the
// message is acknowledged.
//
// The contracts (streams, consumer settings, result message, ack policy,
// DLQ, sync requests) are written down in DESIGN.md; the ack policy lives in
// one place, policy.go.
//
// Goroutines: the nats.go consume callback decodes each event and hands it
// to one of the worker engines (engine.Engine, one loop goroutine each); an
// execution's Done callback (on its engine's goroutine) queues the result
// for the publisher goroutine, which publishes it asynchronously; the acker
// goroutine waits for the PubAcks in order and acknowledges the events. A
// ticker goroutine sends InProgress for long executions, and one goroutine
// per machine serves nothing: sync requests arrive on nats.go subscription
// goroutines. No goroutine exists per event or execution.
//
// natsjs imports engine, vm, value and NATS; only it and cmd import NATS.
package natsjs
