package bench

import (
	"strings"
	"testing"
)

func TestRunParked(t *testing.T) {
	w := workload(t, "wait-heavy", false)
	res, err := RunParked(w, ParkedOptions{Executions: 1000, Chunk: 300})
	if err != nil {
		t.Fatal(err)
	}
	if res.Parked != 1000 || res.BytesPerExec <= 0 || res.PayloadBytes != len(w.Input) {
		t.Fatalf("implausible result %+v", res)
	}
	// Generous: the figure is for the report; this only catches a leak of
	// a different order (a goroutine or a timer per execution).
	if res.BytesPerExec > 64<<10 {
		t.Errorf("%.0f bytes per parked execution", res.BytesPerExec)
	}
	t.Logf("%.0f bytes per parked execution (%.0f beyond the %d-byte payload)", res.BytesPerExec, res.BeyondPayload, res.PayloadBytes)
}

func TestRunParkedNeedsAWaitThatParks(t *testing.T) {
	w := workload(t, "wait-heavy", false)
	w.Input = []byte(`{"wait":0}`)
	if _, err := RunParked(w, ParkedOptions{Executions: 10}); err == nil || !strings.Contains(err.Error(), "ended instead of parking") {
		t.Errorf("got %v, want executions that did not park", err)
	}
	w = workload(t, "reference-10", false)
	if _, err := RunParked(w, ParkedOptions{Executions: 10}); err == nil || !strings.Contains(err.Error(), "no Wait") {
		t.Errorf("got %v, want no Wait state", err)
	}
}
