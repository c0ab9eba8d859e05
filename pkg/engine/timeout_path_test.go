package engine_test

import (
	"context"
	"testing"

	"github.com/expressd/expressd/pkg/engine"
	"github.com/expressd/expressd/pkg/task"
)

// TestTaskTimeoutSecondsPath: the timeout comes from the state input; a
// task that never answers fails with States.Timeout once it expires, and
// a value that is not a positive integer fails the execution.
func TestTaskTimeoutSecondsPath(t *testing.T) {
	hang := registry(t, func(context.Context, *task.Request, func(task.Result)) {})
	def := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"r","TimeoutSecondsPath":"$.timeout",
		"Catch":[{"ErrorEquals":["States.Timeout"],"ResultPath":"$.err","Next":"Done"}],"End":true},
		"Done":{"Type":"Pass","End":true}}}`
	p := program(t, def, hang)
	// A hanging task keeps a call in flight, so virtual time cannot jump:
	// a 1-second timeout on the real clock.
	en := engine.New(engine.Options{})
	res := runOne(t, en, p, hang, `{"timeout":1}`)
	if res.Status != engine.Succeeded {
		t.Fatalf("got %s %s %s, want SUCCEEDED through the catcher", res.Status, res.Error, res.Cause)
	}
	if got, _ := res.Output.Get("err"); got.JSON() != `{"Error":"States.Timeout","Cause":""}` {
		t.Errorf("got err %s, want States.Timeout with an empty cause", got.JSON())
	}
	res = runOne(t, en, p, hang, `{"timeout":"soon"}`)
	if res.Status != engine.Failed || res.Error != "States.Runtime" {
		t.Errorf("got %s %s, want FAILED States.Runtime", res.Status, res.Error)
	}
}
