// Package telemetry is the small metrics and tracing facade the engine,
// the JetStream binding and the sinks report to. It has no dependencies:
// the OpenTelemetry implementation (Prometheus /metrics, OTLP traces) lives
// in telemetry/oteltel, and Nop is the default.
//
// Implementations must be safe for concurrent use and cheap: they are
// called on the execution hot path (a counter add per execution, never per
// state, except Transitions which is added once per execution).
package telemetry

import (
	"context"
	"time"
)

// Metrics receives the daemon's measurements.
type Metrics interface {
	// ExecutionStarted counts an execution of machine that started.
	ExecutionStarted(machine string)
	// ExecutionEnded counts a finished execution by status (SUCCEEDED,
	// FAILED, TIMED_OUT), its duration and its state transitions.
	ExecutionEnded(machine, status string, d time.Duration, transitions int64)
	// TaskCall counts a Task call by integration resource and outcome
	// (errName is "" on success).
	TaskCall(resource, errName string, d time.Duration)
	// Redelivered counts an event delivered more than once.
	Redelivered(machine string)
	// DeadLettered counts an event copied to the DLQ.
	DeadLettered(machine, reason string)
	// StoreFailed counts a write the daemon could not store: kind "result"
	// (the event is nak'ed and runs again) or "dlq" (the event stays in its
	// stream, neither completed nor dead-lettered).
	StoreFailed(machine, kind string)
	// SyncRejected counts a sync request refused because the machine's
	// sync executions were at their limit.
	SyncRejected(machine string)
	// SinkRecords counts log records a sink wrote or dropped.
	SinkRecords(sink string, written, dropped int)
	// InFlight reports the executions currently running for machine.
	InFlight(machine string, delta int)
}

// Span is a trace span; End ends it with the outcome (errName "" for success).
type Span interface {
	End(errName, cause string)
}

// Tracer starts spans for executions and task calls. The context carries
// the span to child spans and to integrations that propagate it (W3C trace
// context in NATS and HTTP headers).
type Tracer interface {
	// StartExecution starts an execution span, as a child of the W3C
	// traceparent/tracestate taken from the triggering event when present.
	StartExecution(ctx context.Context, machine, execution string, carrier Carrier) (context.Context, Span)
	// StartTask starts a task call span under the execution span in ctx.
	StartTask(ctx context.Context, state, resource string) (context.Context, Span)
	// Inject writes the trace context of ctx into carrier (outgoing headers).
	Inject(ctx context.Context, carrier Carrier)
}

// Carrier reads and writes trace context headers (NATS or HTTP headers).
type Carrier interface {
	Get(key string) string
	Set(key, value string)
	Keys() []string
}

// Nop is the do-nothing Metrics and Tracer.
type Nop struct{}

var nopSpan = nopSpanT{}

type nopSpanT struct{}

func (nopSpanT) End(string, string) {}

func (Nop) ExecutionStarted(string)                             {}
func (Nop) ExecutionEnded(string, string, time.Duration, int64) {}
func (Nop) TaskCall(string, string, time.Duration)              {}
func (Nop) Redelivered(string)                                  {}
func (Nop) DeadLettered(string, string)                         {}
func (Nop) StoreFailed(string, string)                          {}
func (Nop) SyncRejected(string)                                 {}
func (Nop) SinkRecords(string, int, int)                        {}
func (Nop) InFlight(string, int)                                {}

// StartExecution returns ctx unchanged and a span that does nothing.
func (Nop) StartExecution(ctx context.Context, _, _ string, _ Carrier) (context.Context, Span) {
	return ctx, nopSpan
}

// StartTask returns ctx unchanged and a span that does nothing.
func (Nop) StartTask(ctx context.Context, _, _ string) (context.Context, Span) { return ctx, nopSpan }

// Inject does nothing.
func (Nop) Inject(context.Context, Carrier) {}
