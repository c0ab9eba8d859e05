package natsjs_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/expressd/expressd/pkg/engine/natsjs"
	"github.com/expressd/expressd/pkg/task"
)

// Regression (review): a sync request still running when the drain
// deadline passed got no reply; it is at most once, so it gets a FAILED
// ServiceUnavailable answer instead of a client timeout.
func TestSyncRequestAnsweredAtShutdown(t *testing.T) {
	ns := startServer(t)
	nc := connect(t, ns)
	reg := &task.Registry{}
	_ = reg.Register("hang", func(string) bool { return true }, task.HandlerFunc(func(context.Context, *task.Request, func(task.Result)) {}))
	prog := compileDef(t, `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"r","End":true}}}`, reg)
	b, err := natsjs.Start(context.Background(), natsjs.Options{Conn: nc, Machines: []natsjs.Machine{{
		Name: "s", Program: prog, Tasks: reg, Concurrency: 4, Timeout: time.Minute}}})
	if err != nil {
		t.Fatal(err)
	}
	type reply struct {
		data []byte
		err  error
	}
	got := make(chan reply, 1)
	go func() {
		m, err := nc.Request(natsjs.SyncPrefix+"s", []byte(`{}`), 10*time.Second)
		if err != nil {
			got <- reply{err: err}
			return
		}
		got <- reply{data: m.Data}
	}()
	time.Sleep(300 * time.Millisecond) // the execution is now waiting on the task
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	b.Stop(ctx)
	cancel()
	r := <-got
	if r.err != nil {
		t.Fatalf("got %v, want a reply", r.err)
	}
	var body struct{ Status, Error string }
	if err := json.Unmarshal(r.data, &body); err != nil || body.Status != "FAILED" || body.Error != "ServiceUnavailable" {
		t.Errorf("got %s (%v), want FAILED ServiceUnavailable", r.data, err)
	}
}
