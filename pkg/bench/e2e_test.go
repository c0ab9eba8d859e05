package bench

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestRunE2EReference10(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an embedded JetStream")
	}
	w := workload(t, "reference-10", true)
	var progress strings.Builder
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	res, err := RunE2E(ctx, w, E2EOptions{Events: 200, Concurrency: 64, Stall: 20 * time.Second, Progress: &progress})
	if err != nil {
		t.Fatal(err)
	}
	if res.Lost != 0 || res.Stored != 200 || res.Results != 200 || res.Failed != 0 || res.WrongOutput != 0 || res.PublishErrors != 0 {
		t.Fatalf("lost %d, stored %d, results %d, failed %d, wrong %d, publish errors %d", res.Lost, res.Stored, res.Results,
			res.Failed, res.WrongOutput, res.PublishErrors)
	}
	if res.Duplicates != 0 {
		t.Errorf("%d duplicates in a run without failures", res.Duplicates)
	}
	if res.TransitionsPerExec != 10 || res.ExecutionsPerSec <= 0 || res.P50Ms <= 0 || res.P99Ms < res.P50Ms || res.P999Ms < res.P99Ms {
		t.Errorf("implausible result %+v", res)
	}
}

func TestRunE2EFanoutRate(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an embedded JetStream")
	}
	w := workload(t, "fanout", true)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	start := time.Now()
	res, err := RunE2E(ctx, w, E2EOptions{Events: 100, Rate: 1000, Concurrency: 64, Stall: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if res.Lost != 0 || res.Failed != 0 || res.WrongOutput != 0 {
		t.Fatalf("lost %d, failed %d, wrong output %d", res.Lost, res.Failed, res.WrongOutput)
	}
	// Parallel + 3 branches of one Task + Merge.
	if res.TransitionsPerExec != 5 {
		t.Errorf("transitions per execution %v, want 5", res.TransitionsPerExec)
	}
	// 100 events at 1,000/s take at least ~99 ms to publish.
	if res.PublishSec < 0.09 || time.Since(start) < 90*time.Millisecond {
		t.Errorf("the rate was not honoured: published in %.3f s", res.PublishSec)
	}
}

func TestRunE2EWrongOutputFailsPrecheck(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an embedded JetStream")
	}
	w := workload(t, "reference-10", true)
	w.Input = []byte(`{"device":{"id":"x","kind":"sensor","active":true},"reading":{"temp":31.5,"hum":41,"ts":"t"}}`)
	_, err := RunE2E(context.Background(), w, E2EOptions{Events: 10})
	if err == nil || !strings.Contains(err.Error(), "wrong output") {
		t.Fatalf("got %v, want a wrong output error before the run", err)
	}
}
