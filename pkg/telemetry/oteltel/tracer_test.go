package oteltel

import (
	"context"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/expressd/expressd/pkg/telemetry"
)

const (
	incomingTraceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	incomingSpanID  = "00f067aa0ba902b7"
	incomingParent  = "00-" + incomingTraceID + "-" + incomingSpanID + "-01"
)

func attrValue(kvs []attribute.KeyValue, k attribute.Key) string {
	for _, kv := range kvs {
		if kv.Key == k {
			return kv.Value.String()
		}
	}
	return ""
}

func TestTracerSpans(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tel := newTest(t, Options{spanExporter: exp})
	tr := tel.Tracer()

	in := telemetry.MapCarrier{"traceparent": {incomingParent}, "baggage": {"tenant=acme"}}
	ctx, execSpan := tr.StartExecution(context.Background(), "orders", "exec-1", in)
	taskCtx, taskSpan := tr.StartTask(ctx, "Charge", "arn:aws:states:::http:invoke")

	out := telemetry.MapCarrier{}
	tr.Inject(taskCtx, out)
	taskSpan.End("States.Timeout", "no answer within 5s")
	execSpan.End("", "")

	spans := exp.GetSpans()
	if len(spans) != 2 {
		t.Fatalf("got %d spans, want 2", len(spans))
	}
	task, exec := spans[0], spans[1]

	if got, want := exec.Name, "execution orders"; got != want {
		t.Errorf("got execution span name %q, want %q", got, want)
	}
	if got := exec.SpanContext.TraceID().String(); got != incomingTraceID {
		t.Errorf("got execution trace id %s, want the incoming %s", got, incomingTraceID)
	}
	if got := exec.Parent.SpanID().String(); got != incomingSpanID || !exec.Parent.IsRemote() {
		t.Errorf("got execution parent %s (remote %v), want remote %s", got, exec.Parent.IsRemote(), incomingSpanID)
	}
	if got, want := exec.SpanKind, trace.SpanKindConsumer; got != want {
		t.Errorf("got execution span kind %v, want %v", got, want)
	}
	if got := attrValue(exec.Attributes, attrMachine); got != "orders" {
		t.Errorf("got machine attribute %q, want orders", got)
	}
	if got := attrValue(exec.Attributes, attrExecution); got != "exec-1" {
		t.Errorf("got execution attribute %q, want exec-1", got)
	}
	if exec.Status.Code != codes.Unset {
		t.Errorf("got execution status %v, want Unset", exec.Status)
	}

	if got, want := task.Name, "task Charge"; got != want {
		t.Errorf("got task span name %q, want %q", got, want)
	}
	if task.Parent.SpanID() != exec.SpanContext.SpanID() || task.Parent.TraceID() != exec.SpanContext.TraceID() {
		t.Errorf("got task parent %v, want the execution span %v", task.Parent, exec.SpanContext)
	}
	if got := attrValue(task.Attributes, attrResource); got != "arn:aws:states:::http:invoke" {
		t.Errorf("got resource attribute %q", got)
	}
	if task.Status.Code != codes.Error || task.Status.Description != "States.Timeout" {
		t.Errorf("got task status %+v, want Error States.Timeout", task.Status)
	}
	if got := attrValue(task.Attributes, attrCause); got != "no answer within 5s" {
		t.Errorf("got cause attribute %q", got)
	}

	// Inject wrote the task span as the parent of the outgoing call.
	want := "00-" + incomingTraceID + "-" + task.SpanContext.SpanID().String() + "-01"
	if got := out.Get("traceparent"); got != want {
		t.Errorf("got outgoing traceparent %q, want %q", got, want)
	}
	if got := out.Get("baggage"); got != "tenant=acme" {
		t.Errorf("got outgoing baggage %q, want tenant=acme", got)
	}
}

func TestTracerRootAndRoundTrip(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tel := newTest(t, Options{spanExporter: exp})
	tr := tel.Tracer()

	// No incoming context: the execution span is a root.
	ctx, s1 := tr.StartExecution(context.Background(), "a", "e1", telemetry.MapCarrier{})
	hdr := telemetry.MapCarrier{}
	tr.Inject(ctx, hdr)
	s1.End("", "")

	// The headers a task call sent start the next execution (a NATS
	// request to another expressd machine).
	_, s2 := tr.StartExecution(context.Background(), "b", "e2", hdr)
	s2.End("States.TaskFailed", "")

	spans := exp.GetSpans()
	if len(spans) != 2 {
		t.Fatalf("got %d spans, want 2", len(spans))
	}
	root, child := spans[0], spans[1]
	if root.Parent.IsValid() {
		t.Errorf("got root parent %v, want none", root.Parent)
	}
	if child.Parent.SpanID() != root.SpanContext.SpanID() || child.SpanContext.TraceID() != root.SpanContext.TraceID() {
		t.Errorf("got child parent %v, want %v", child.Parent, root.SpanContext)
	}
	if child.Status.Code != codes.Error {
		t.Errorf("got child status %v, want Error", child.Status)
	}
}

func TestTracerOffPropagates(t *testing.T) {
	tel := newTest(t, Options{})
	tr := tel.Tracer()

	in := telemetry.MapCarrier{"Traceparent": {incomingParent}} // canonicalised by net/http
	ctx, s := tr.StartExecution(context.Background(), "orders", "e", in)
	taskCtx, ts := tr.StartTask(ctx, "Charge", "r")
	out := telemetry.MapCarrier{}
	tr.Inject(taskCtx, out)
	ts.End("States.Timeout", "x")
	s.End("", "")
	if got := out.Get("traceparent"); got != incomingParent {
		t.Errorf("got outgoing traceparent %q, want the incoming %q", got, incomingParent)
	}

	// Without trace headers nothing is added.
	out = telemetry.MapCarrier{}
	ctx, _ = tr.StartExecution(context.Background(), "orders", "e", telemetry.MapCarrier{})
	tr.Inject(ctx, out)
	if len(out) != 0 {
		t.Errorf("got outgoing headers %v, want none", out)
	}
	tr.Inject(ctx, nil) // must not panic
	_, s = tr.StartExecution(context.Background(), "orders", "e", nil)
	s.End("", "")
}

// TestTracerOffAllocs guards the cost of a disabled tracer on events
// without trace headers.
func TestTracerOffAllocs(t *testing.T) {
	tel := newTest(t, Options{})
	tr := tel.Tracer()
	ctx := context.Background()
	in := telemetry.MapCarrier{"Nats-Msg-Id": {"1"}}
	allocs := testing.AllocsPerRun(1000, func() {
		c, s := tr.StartExecution(ctx, "orders", "e", in)
		_, ts := tr.StartTask(c, "Charge", "r")
		ts.End("", "")
		s.End("", "")
	})
	if allocs != 0 {
		t.Errorf("got %v allocs per execution, want 0", allocs)
	}
}

func TestTracerCauseTruncated(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tel := newTest(t, Options{spanExporter: exp})
	_, s := tel.Tracer().StartExecution(context.Background(), "m", "e", nil)
	s.End("States.TaskFailed", strings.Repeat("x", 10*maxAttributeBytes))
	spans := exp.GetSpans()
	if len(spans) != 1 {
		t.Fatalf("got %d spans, want 1", len(spans))
	}
	if got := len(attrValue(spans[0].Attributes, attrCause)); got != maxAttributeBytes {
		t.Errorf("got cause of %d bytes, want %d", got, maxAttributeBytes)
	}
}
