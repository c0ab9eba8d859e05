package httptask_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/expressd/expressd/pkg/task"
	"github.com/expressd/expressd/pkg/task/httptask"
	"github.com/expressd/expressd/pkg/value"
)

// TestTaskTimeoutSecondsEndsTheCall is the regression test of hanging HTTP
// calls outliving their Task (found by cmd/expressd TestFaultSlowTargets):
// the engine fails the Task with States.Timeout after TimeoutSeconds, but
// the call went on until the client timeout (60 s by default), holding a
// connection and its goroutines; thousands of such executions grew the
// daemon's goroutines and memory. The call must end soon after
// TimeoutSeconds (a 1 s grace lets the engine's States.Timeout win).
func TestTaskTimeoutSecondsEndsTheCall(t *testing.T) {
	gone := make(chan struct{}, 1)
	release := make(chan struct{})
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
			gone <- struct{}{}
		case <-release:
		}
	}))
	defer hs.Close()
	defer close(release)
	h := httptask.New(httptask.WithTimeout(time.Minute))
	res := make(chan task.Result, 1)
	start := time.Now()
	h.Invoke(context.Background(), &task.Request{Resource: httptask.Resource, TimeoutSeconds: 1,
		Input: value.MustParse(`{"ApiEndpoint":"` + hs.URL + `/hang","Method":"GET"}`)},
		func(r task.Result) { res <- r })
	select {
	case r := <-res:
		if r.Err == nil || r.Err.Name != httptask.ErrSocket {
			t.Errorf("result %+v, want %s", r, httptask.ErrSocket)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("the call ended after %s, want ≈ 2s", d)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the call was still running 10s after its Task's TimeoutSeconds (1s)")
	}
	select {
	case <-gone:
	case <-time.After(5 * time.Second):
		t.Error("the server never saw the request cancelled")
	}
}
