package oteltel

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func newTest(t testing.TB, opts Options) *Telemetry {
	t.Helper()
	tel, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() {
		if err := tel.Shutdown(context.Background()); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	return tel
}

func scrape(t *testing.T, tel *Telemetry) string {
	t.Helper()
	srv := httptest.NewServer(tel.Handler())
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatalf("GET /metrics: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read /metrics: %v", err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: got status %d, want 200\n%s", resp.StatusCode, body)
	}
	return string(body)
}

func TestMetricsExposition(t *testing.T) {
	tel := newTest(t, Options{ServiceName: "expressd-test"})
	m := tel.Metrics()

	m.ExecutionStarted("orders")
	m.ExecutionStarted("orders")
	m.ExecutionStarted("billing")
	m.ExecutionEnded("orders", "SUCCEEDED", 1500*time.Millisecond, 7)
	m.ExecutionEnded("orders", "SUCCEEDED", 1500*time.Millisecond, 7)
	m.ExecutionEnded("orders", "FAILED", 50*time.Microsecond, 2)
	m.InFlight("orders", 3)
	m.InFlight("orders", -1)
	m.TaskCall("arn:aws:states:::http:invoke", "", 20*time.Millisecond)
	m.TaskCall("arn:aws:states:::http:invoke", "States.Timeout", 30*time.Millisecond)
	m.TaskCall("arn:aws:states:::http:invoke", "States.Timeout", 30*time.Millisecond)
	m.Redelivered("orders")
	m.DeadLettered("orders", "max_deliver")
	m.SinkRecords("stdout", 10, 0)
	m.SinkRecords("stdout", 5, 3)

	body := scrape(t, tel)
	want := []string{
		`expressd_executions_started_total{machine="orders"} 2`,
		`expressd_executions_started_total{machine="billing"} 1`,
		`expressd_executions_ended_total{machine="orders",status="SUCCEEDED"} 2`,
		`expressd_executions_ended_total{machine="orders",status="FAILED"} 1`,
		`expressd_execution_duration_seconds_count{machine="orders",status="SUCCEEDED"} 2`,
		`expressd_execution_duration_seconds_sum{machine="orders",status="SUCCEEDED"} 3`,
		`expressd_execution_duration_seconds_bucket{machine="orders",status="SUCCEEDED",le="1"} 0`,
		`expressd_execution_duration_seconds_bucket{machine="orders",status="SUCCEEDED",le="2.5"} 2`,
		`expressd_execution_duration_seconds_bucket{machine="orders",status="FAILED",le="0.0001"} 1`,
		`expressd_execution_duration_seconds_bucket{machine="orders",status="FAILED",le="300"} 1`,
		`expressd_state_transitions_total{machine="orders"} 16`,
		`expressd_executions_inflight{machine="orders"} 2`,
		`expressd_task_calls_total{resource="arn:aws:states:::http:invoke"} 3`,
		`expressd_task_errors_total{error="States.Timeout",resource="arn:aws:states:::http:invoke"} 2`,
		`expressd_task_duration_seconds_count{resource="arn:aws:states:::http:invoke"} 3`,
		`expressd_task_duration_seconds_bucket{resource="arn:aws:states:::http:invoke",le="0.025"} 1`,
		`expressd_redeliveries_total{machine="orders"} 1`,
		`expressd_dlq_events_total{machine="orders",reason="max_deliver"} 1`,
		`expressd_sink_records_written_total{sink="stdout"} 15`,
		`expressd_sink_records_dropped_total{sink="stdout"} 3`,
		`# TYPE expressd_executions_inflight gauge`,
		`# TYPE expressd_execution_duration_seconds histogram`,
	}
	lines := make(map[string]bool)
	for _, l := range strings.Split(body, "\n") {
		lines[l] = true
	}
	for _, w := range want {
		if !lines[w] {
			t.Errorf("exposition lacks line %s", w)
		}
	}
	if !strings.Contains(body, `service_name="expressd-test"`) {
		t.Errorf("exposition lacks target_info with service_name")
	}
	if !strings.Contains(body, "go_goroutines") {
		t.Errorf("exposition lacks the Go runtime collector")
	}
	if t.Failed() {
		t.Logf("exposition:\n%s", body)
	}
}

func TestLabelLimits(t *testing.T) {
	tel := newTest(t, Options{})
	m := tel.Metrics()
	for i := range maxErrorLabels + 10 {
		m.TaskCall("r", fmt.Sprintf("Custom.E%d", i), time.Millisecond)
	}
	body := scrape(t, tel)
	if got, want := strings.Count(body, "expressd_task_errors_total{"), maxErrorLabels+1; got != want {
		t.Errorf("got %d error series, want %d (limit plus overflow)", got, want)
	}
	w := fmt.Sprintf(`expressd_task_errors_total{error=%q,resource="r"} 10`, overflowLabel)
	if !strings.Contains(body, w+"\n") {
		t.Errorf("exposition lacks line %s", w)
	}
}

func TestNewOptions(t *testing.T) {
	tests := []struct {
		name    string
		opts    Options
		wantErr bool
	}{
		{"zero", Options{}, false},
		{"endpoint", Options{OTLPEndpoint: "http://127.0.0.1:4318", SampleRatio: 0.5}, false},
		{"ratio negative", Options{SampleRatio: -0.1}, true},
		{"ratio above one", Options{SampleRatio: 1.5}, true},
		{"endpoint no scheme", Options{OTLPEndpoint: "127.0.0.1:4318"}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tel, err := New(tc.opts)
			if (err != nil) != tc.wantErr {
				t.Fatalf("New(%+v): got error %v, want error %v", tc.opts, err, tc.wantErr)
			}
			if err == nil {
				if err := tel.Shutdown(context.Background()); err != nil {
					t.Errorf("Shutdown: %v", err)
				}
			}
		})
	}
}

func TestConcurrentMetrics(t *testing.T) {
	tel := newTest(t, Options{})
	m := tel.Metrics()
	done := make(chan struct{})
	for g := range 8 {
		go func() {
			defer func() { done <- struct{}{} }()
			for i := range 200 {
				machine := fmt.Sprintf("m%d", (g+i)%5)
				m.ExecutionStarted(machine)
				m.InFlight(machine, 1)
				m.ExecutionEnded(machine, "SUCCEEDED", time.Millisecond, 3)
				m.InFlight(machine, -1)
				m.TaskCall("r", "States.TaskFailed", time.Millisecond)
			}
		}()
	}
	for range 8 {
		<-done
	}
	body := scrape(t, tel)
	if !strings.Contains(body, `expressd_task_calls_total{resource="r"} 1600`+"\n") {
		t.Errorf("got no task call count of 1600:\n%s", body)
	}
}

// TestExecutionEndedAllocs guards the hot path: once a machine and status
// have been seen, counting an execution allocates nothing.
func TestExecutionEndedAllocs(t *testing.T) {
	tel := newTest(t, Options{})
	m := tel.Metrics()
	m.ExecutionEnded("orders", "SUCCEEDED", time.Millisecond, 5)
	m.ExecutionStarted("orders")
	allocs := testing.AllocsPerRun(1000, func() {
		m.ExecutionStarted("orders")
		m.InFlight("orders", 1)
		m.ExecutionEnded("orders", "SUCCEEDED", time.Millisecond, 5)
		m.InFlight("orders", -1)
	})
	if allocs != 0 {
		t.Errorf("got %v allocs per execution, want 0", allocs)
	}
}

func BenchmarkExecutionEnded(b *testing.B) {
	tel := newTest(b, Options{})
	m := tel.Metrics()
	b.ReportAllocs()
	for b.Loop() {
		m.ExecutionEnded("orders", "SUCCEEDED", 3*time.Millisecond, 12)
	}
}

func BenchmarkExecutionEndedParallel(b *testing.B) {
	tel := newTest(b, Options{})
	m := tel.Metrics()
	machines := []string{"orders", "billing", "shipping", "returns"}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			m.ExecutionEnded(machines[i%len(machines)], "SUCCEEDED", 3*time.Millisecond, 12)
			i++
		}
	})
}
