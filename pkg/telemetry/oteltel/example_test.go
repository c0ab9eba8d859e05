package oteltel_test

import (
	"context"
	"fmt"
	"io"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/expressd/expressd/pkg/telemetry"
	"github.com/expressd/expressd/pkg/telemetry/oteltel"
)

func ExampleNew() {
	tel, err := oteltel.New(oteltel.Options{ServiceName: "expressd"})
	if err != nil {
		panic(err)
	}
	defer tel.Shutdown(context.Background())

	m := tel.Metrics()
	m.ExecutionStarted("orders")
	m.ExecutionEnded("orders", "SUCCEEDED", 12*time.Millisecond, 4)

	rec := httptest.NewRecorder()
	tel.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	for _, line := range strings.Split(string(body), "\n") {
		if strings.HasPrefix(line, "expressd_executions_") {
			fmt.Println(line)
		}
	}
	// Output:
	// expressd_executions_ended_total{machine="orders",status="SUCCEEDED"} 1
	// expressd_executions_started_total{machine="orders"} 1
}

func ExampleTelemetry_Tracer() {
	tel, err := oteltel.New(oteltel.Options{}) // tracing off: propagate only
	if err != nil {
		panic(err)
	}
	defer tel.Shutdown(context.Background())
	tr := tel.Tracer()

	event := telemetry.MapCarrier{"traceparent": {"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}}
	ctx, span := tr.StartExecution(context.Background(), "orders", "exec-1", event)
	taskCtx, task := tr.StartTask(ctx, "Charge", "arn:aws:states:::http:invoke")
	out := telemetry.MapCarrier{}
	tr.Inject(taskCtx, out)
	task.End("", "")
	span.End("", "")
	fmt.Println(out.Get("traceparent"))
	// Output:
	// 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01
}
