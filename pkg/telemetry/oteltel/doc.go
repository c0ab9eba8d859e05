// Package oteltel implements the [telemetry.Metrics] and [telemetry.Tracer]
// facade with OpenTelemetry: metrics exposed in the Prometheus text format
// through the OTel Prometheus exporter, and spans sent to an OTLP/HTTP
// collector when one is configured.
//
// The package (and its directory) is named oteltel, not otel, so that it
// never clashes with go.opentelemetry.io/otel in a file that imports both,
// and its importers need no alias.
//
// # Place
//
// pkg/daemon builds one [Telemetry] with [New] from the configuration,
// mounts [Telemetry.Handler] at /metrics, hands [Telemetry.Metrics] and
// [Telemetry.Tracer] to the engine, the JetStream binding and the sinks,
// and calls [Telemetry.Shutdown] on exit. Those packages see only the
// facade in pkg/telemetry; only cmd imports this package. It sets no OTel
// globals and registers nothing with prometheus.DefaultRegisterer: the
// registry behind Handler is its own and also holds the Go runtime and
// process collectors (go_*, process_*).
//
// # Metrics
//
// The Prometheus names after the exporter's translation (dots become
// underscores, "s" adds _seconds, counters get _total, "{…}" units add
// nothing):
//
//	metric                                  type       labels            facade call
//	expressd_executions_started_total       counter    machine           ExecutionStarted
//	expressd_executions_ended_total         counter    machine, status   ExecutionEnded
//	expressd_execution_duration_seconds     histogram  machine, status   ExecutionEnded
//	expressd_state_transitions_total        counter    machine           ExecutionEnded
//	expressd_executions_inflight            gauge      machine           InFlight
//	expressd_task_calls_total               counter    resource          TaskCall (every call)
//	expressd_task_errors_total              counter    resource, error   TaskCall (errName != "")
//	expressd_task_duration_seconds          histogram  resource          TaskCall
//	expressd_redeliveries_total             counter    machine           Redelivered
//	expressd_dlq_events_total               counter    machine, reason   DeadLettered
//	expressd_sink_records_written_total     counter    sink              SinkRecords
//	expressd_sink_records_dropped_total     counter    sink              SinkRecords
//	target_info                             gauge      service_name      (resource)
//
// status is the execution's final status (SUCCEEDED, FAILED, TIMED_OUT),
// resource the Task's Resource ARN and error the ASL error name. Both
// histograms share the buckets 0.1 ms … 300 s (1-2.5-5 per decade up to
// 5 s, then 10, 30, 60, 120, 300). Machines, resources and sinks are
// bounded by the loaded definitions and the configuration; the values
// under them are capped per machine or resource (8 statuses, 16 DLQ
// reasons, 64 error names), and further values are counted as "_other".
//
// # Traces
//
// StartExecution of [telemetry.Tracer] reads W3C Trace Context and W3C
// Baggage from the event's headers through the [telemetry.Carrier] (use
// [telemetry.MapCarrier] over nats.Header or http.Header) and starts the
// span "execution <machine>" (kind consumer; attributes expressd.machine
// and expressd.execution.name) as a child of the incoming traceparent.
// StartTask starts "task <state>" (kind client; expressd.state,
// expressd.task.resource) under it, and Inject writes traceparent,
// tracestate and baggage for the span in ctx into outgoing headers. A span
// ended with an error name gets status Error with the name as its
// description and the attributes error.type and expressd.error.cause.
// Roots are sampled at [Options].SampleRatio; continued traces follow the
// caller's sampled flag.
//
// With no OTLPEndpoint tracing is off: nothing is recorded, but
// StartExecution still puts the incoming remote span context into ctx, so
// Inject passes the caller's trace on to NATS and HTTP task calls. Without
// trace headers that path allocates nothing.
//
// # Concurrency and cost
//
// A Telemetry and everything it returns are safe for concurrent use. The
// instruments are created once in New. Attribute sets are built on the
// first sight of a machine (or resource, sink, status …) and then read
// from an immutable map behind an atomic pointer, so ExecutionStarted,
// ExecutionEnded and InFlight allocate nothing in the steady state
// (TestExecutionEndedAllocs; BenchmarkExecutionEnded). Exemplars are off:
// the facade carries no context to take them from.
package oteltel
