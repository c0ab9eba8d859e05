package oteltel

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	promexporter "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/exemplar"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/expressd/expressd/pkg/telemetry"
)

// DefaultServiceName is the service.name resource attribute used when
// [Options].ServiceName is empty.
const DefaultServiceName = "expressd"

// instrumentationName names the meter and the tracer (the OTel scope).
const instrumentationName = "github.com/expressd/expressd"

// maxAttributeBytes caps the length of every span attribute value. A cause
// may carry a payload-sized string (Step Functions allows 256 KiB); 4 KiB
// keeps every ordinary error message whole while keeping one failed span
// from dominating an export batch.
const maxAttributeBytes = 4 << 10

// Options configures [New]. The zero value gives metrics with tracing off.
type Options struct {
	// ServiceName is the service.name resource attribute (target_info in
	// Prometheus). Empty means DefaultServiceName.
	ServiceName string
	// OTLPEndpoint is the base URL of an OTLP/HTTP collector, e.g.
	// "http://127.0.0.1:4318"; spans go to <endpoint>/v1/traces in
	// batches. Empty turns tracing off: the Tracer then records nothing but
	// still carries the incoming W3C trace context to outgoing calls.
	OTLPEndpoint string
	// SampleRatio is the fraction of root traces sampled, in [0, 1]; 0
	// means 1 (sample all). Traces continued from an incoming traceparent
	// follow the caller's sampled flag.
	SampleRatio float64

	// spanExporter, when set, turns tracing on with a synchronous exporter
	// and takes precedence over OTLPEndpoint. Only tests set it.
	spanExporter sdktrace.SpanExporter
}

// Telemetry owns the OpenTelemetry meter and tracer providers and the
// Prometheus registry. Its methods are safe for concurrent use.
type Telemetry struct {
	metrics *metrics
	tracer  *tracer
	mp      *sdkmetric.MeterProvider
	tp      *sdktrace.TracerProvider // nil when tracing is off
	handler http.Handler
}

// New builds the metric instruments, a Prometheus registry of its own (not
// prometheus.DefaultRegisterer) with the Go runtime and process collectors,
// and, when opts ask for it, an OTLP/HTTP span exporter. It sets no OTel
// globals.
func New(opts Options) (*Telemetry, error) {
	if opts.ServiceName == "" {
		opts.ServiceName = DefaultServiceName
	}
	if opts.SampleRatio < 0 || opts.SampleRatio > 1 {
		return nil, fmt.Errorf("oteltel: sample ratio %v outside [0, 1]", opts.SampleRatio)
	}
	if opts.SampleRatio == 0 {
		opts.SampleRatio = 1
	}
	if opts.OTLPEndpoint != "" {
		u, err := url.Parse(opts.OTLPEndpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("oteltel: OTLP endpoint %q: want an http:// or https:// URL", opts.OTLPEndpoint)
		}
	}
	res := resource.NewSchemaless(attribute.String("service.name", opts.ServiceName))

	reg := prometheus.NewRegistry()
	if err := reg.Register(collectors.NewGoCollector()); err != nil {
		return nil, fmt.Errorf("oteltel: register go collector: %w", err)
	}
	if err := reg.Register(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})); err != nil {
		return nil, fmt.Errorf("oteltel: register process collector: %w", err)
	}
	exp, err := promexporter.New(
		promexporter.WithRegisterer(reg),
		promexporter.WithoutScopeInfo(),
	)
	if err != nil {
		return nil, fmt.Errorf("oteltel: prometheus exporter: %w", err)
	}
	mp := sdkmetric.NewMeterProvider(
		sdkmetric.WithReader(exp),
		sdkmetric.WithResource(res),
		// The facade passes no context, so trace-based exemplars could
		// never be sampled; turning them off saves work per measurement.
		sdkmetric.WithExemplarFilter(exemplar.AlwaysOffFilter),
	)
	m, err := newMetrics(mp.Meter(instrumentationName))
	if err != nil {
		_ = mp.Shutdown(context.Background())
		return nil, err
	}

	t := &Telemetry{
		metrics: m,
		mp:      mp,
		handler: promhttp.HandlerFor(reg, promhttp.HandlerOpts{}),
	}
	var spanOpt sdktrace.TracerProviderOption
	switch {
	case opts.spanExporter != nil:
		spanOpt = sdktrace.WithSyncer(opts.spanExporter)
	case opts.OTLPEndpoint != "":
		se, err := otlptracehttp.New(context.Background(), otlptracehttp.WithEndpointURL(opts.OTLPEndpoint))
		if err != nil {
			_ = mp.Shutdown(context.Background())
			return nil, fmt.Errorf("oteltel: OTLP trace exporter: %w", err)
		}
		spanOpt = sdktrace.WithBatcher(se)
	}
	if spanOpt != nil {
		limits := sdktrace.NewSpanLimits()
		limits.AttributeValueLengthLimit = maxAttributeBytes
		t.tp = sdktrace.NewTracerProvider(
			spanOpt,
			sdktrace.WithResource(res),
			sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.TraceIDRatioBased(opts.SampleRatio))),
			sdktrace.WithRawSpanLimits(limits),
		)
		t.tracer = newTracer(t.tp.Tracer(instrumentationName))
	} else {
		t.tracer = newTracer(nil)
	}
	return t, nil
}

// Metrics returns the [telemetry.Metrics] backed by the OTel instruments.
func (t *Telemetry) Metrics() telemetry.Metrics { return t.metrics }

// Tracer returns the [telemetry.Tracer]; with tracing off it only
// propagates the incoming trace context.
func (t *Telemetry) Tracer() telemetry.Tracer { return t.tracer }

// Handler serves the metrics in the Prometheus text exposition format.
// The caller mounts it, conventionally at /metrics.
func (t *Telemetry) Handler() http.Handler { return t.handler }

// Shutdown flushes pending spans and stops the providers. Metrics recorded
// afterwards are dropped; Handler keeps serving the registry's collectors.
func (t *Telemetry) Shutdown(ctx context.Context) error {
	var errs []error
	if t.tp != nil {
		if err := t.tp.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("oteltel: shutdown tracer provider: %w", err))
		}
	}
	if err := t.mp.Shutdown(ctx); err != nil {
		errs = append(errs, fmt.Errorf("oteltel: shutdown meter provider: %w", err))
	}
	return errors.Join(errs...)
}
