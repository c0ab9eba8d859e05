// Package sinks delivers execution log records (the CloudWatch Logs events
// of Express executions, see [Record]) to their destinations.
//
// Its job: the [Sink] contract (batched writes, [ErrNotConnected] to ask
// for a retry), plugins as values ([Plugin], [Field]) in an explicit
// [Registry] ([Builtin] holds stdout, file and discard), jq filters
// ([Filter], compiled once with gojq) that select or reshape records, and
// the [Dispatcher], a non-blocking fan-out with a bounded queue, batching,
// retries and drop accounting per sink.
//
// Place in the pipeline: the engine builds Records and calls
// [Dispatcher.Emit]; cmd/expressd maps config.Sink to [Options], builds
// sinks through the registry and hands them to [NewDispatcher]. After
// filtering, sinks write bytes: an [Encoder] renders a batch as [Lines]
// (one JSON line per record, or per filter output), reusing its buffer so
// the unfiltered path does not allocate.
//
// Imports: value and telemetry only, plus gojq and klauspost/compress. It
// must not import NATS, config, the engine or the vm; sinks with heavy
// dependencies live in sub-packages (sinks/natssink) and are registered by
// cmd/expressd.
//
// Concurrency: a Registry is built once and read-only afterwards.
// Dispatcher.Emit and Stats are safe for concurrent use and Emit never
// blocks; each sink gets one goroutine that owns its queue and calls Write
// (concurrently up to the sink's MaxInFlight). Sinks serialize their own
// state; an Encoder is used by one Write at a time. Dispatcher.Close stops
// intake, flushes every queue, then closes the sinks, bounded by its ctx.
package sinks
