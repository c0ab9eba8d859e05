package oteltel

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/expressd/expressd/pkg/telemetry"
)

// Span attribute keys.
const (
	attrMachine   = attribute.Key("expressd.machine")
	attrExecution = attribute.Key("expressd.execution.name")
	attrState     = attribute.Key("expressd.state")
	attrResource  = attribute.Key("expressd.task.resource")
	attrErrorType = attribute.Key("error.type") // OTel semantic convention
	attrCause     = attribute.Key("expressd.error.cause")
)

// Header names of W3C Trace Context and W3C Baggage.
const (
	headerTraceparent = "traceparent"
	headerBaggage     = "baggage"
)

// propagator reads and writes W3C Trace Context and Baggage. It is ours,
// not the OTel global.
var propagator = propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})

// tracer implements telemetry.Tracer. t is nil when tracing is off.
type tracer struct {
	t trace.Tracer
}

var _ telemetry.Tracer = (*tracer)(nil)

func newTracer(t trace.Tracer) *tracer { return &tracer{t: t} }

// StartExecution implements telemetry.Tracer. With tracing off it returns
// ctx carrying the incoming remote span context (if any) and a span that
// does nothing; with no trace headers present it returns ctx unchanged
// without allocating.
func (t *tracer) StartExecution(ctx context.Context, machine, execution string, carrier telemetry.Carrier) (context.Context, telemetry.Span) {
	if carrier != nil && (carrier.Get(headerTraceparent) != "" || carrier.Get(headerBaggage) != "") {
		ctx = propagator.Extract(ctx, carrier)
	}
	if t.t == nil {
		return ctx, nopSpan{}
	}
	ctx, s := t.t.Start(ctx, "execution "+machine,
		trace.WithSpanKind(trace.SpanKindConsumer),
		trace.WithAttributes(attrMachine.String(machine), attrExecution.String(execution)))
	return ctx, span{s}
}

// StartTask implements telemetry.Tracer.
func (t *tracer) StartTask(ctx context.Context, state, resource string) (context.Context, telemetry.Span) {
	if t.t == nil {
		return ctx, nopSpan{}
	}
	ctx, s := t.t.Start(ctx, "task "+state,
		trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(attrState.String(state), attrResource.String(resource)))
	return ctx, span{s}
}

// Inject implements telemetry.Tracer: it writes traceparent (and
// tracestate and baggage when present) for the span in ctx, which with
// tracing off is the incoming remote span context.
func (t *tracer) Inject(ctx context.Context, carrier telemetry.Carrier) {
	if carrier == nil {
		return
	}
	propagator.Inject(ctx, carrier)
}

// span adapts a trace.Span to telemetry.Span.
type span struct{ s trace.Span }

// End ends the span; a non-empty errName marks it failed with the ASL
// error name as the status description and the cause as an attribute
// (truncated by the provider's span limits).
func (s span) End(errName, cause string) {
	if errName != "" {
		s.s.SetAttributes(attrErrorType.String(errName), attrCause.String(cause))
		s.s.SetStatus(codes.Error, errName)
	}
	s.s.End()
}

// nopSpan is the span of a disabled tracer.
type nopSpan struct{}

func (nopSpan) End(string, string) {}
