package engine_test

import (
	"context"
	"strings"
	"testing"

	"github.com/expressd/expressd/pkg/engine"
	"github.com/expressd/expressd/pkg/task"
	"github.com/expressd/expressd/pkg/value"
)

// Regression (review): a Task's input after Parameters was not checked
// against the payload limit, so a 300 KB task input reached the task.
func TestTaskInputAfterParametersIsChecked(t *testing.T) {
	called := false
	reg := registry(t, func(_ context.Context, _ *task.Request, done func(task.Result)) {
		called = true
		done(task.Result{Output: value.EmptyObject()})
	})
	p := program(t, `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"r",
		"Parameters":{"a.$":"$","b.$":"$","c.$":"$"},"End":true}}}`, reg)
	in := `{"pad":"` + strings.Repeat("p", 100*1024) + `"}`
	en := engine.New(engine.Options{})
	var res engine.Result
	en.Start(engine.Start{Program: p, Tasks: reg, Input: value.MustParse(in), Done: func(r engine.Result) { res = r }})
	if err := en.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	if called || res.Status != engine.Failed || res.Error != "States.DataLimitExceeded" {
		t.Errorf("task called=%v, got %s %s, want FAILED States.DataLimitExceeded before the call", called, res.Status, res.Error)
	}
}
