package engine_test

import (
	"context"
	"strings"
	"testing"

	"github.com/expressd/expressd/pkg/engine"
	"github.com/expressd/expressd/pkg/task"
	"github.com/expressd/expressd/pkg/value"
)

// Regression: after a Catch, the next state's input kept the size bound of
// the input before the catch, so a payload grown past 256 KiB by the error
// output slipped through the next state's size check.
func TestCatchOutputSizeIsChecked(t *testing.T) {
	bigCause := strings.Repeat("c", 150*1024)
	reg := registry(t, func(_ context.Context, _ *task.Request, done func(task.Result)) {
		done(task.Result{Err: &task.Error{Name: "Boom", Cause: bigCause}})
	})
	p := program(t, `{"StartAt":"T","States":{
		"T":{"Type":"Task","Resource":"r","Catch":[{"ErrorEquals":["States.ALL"],"ResultPath":"$.err","Next":"P"}],"End":true},
		"P":{"Type":"Pass","End":true}}}`, reg)
	en := engine.New(engine.Options{})
	input := `{"pad":"` + strings.Repeat("p", 150*1024) + `"}`
	var res engine.Result
	en.Start(engine.Start{Program: p, Tasks: reg, Input: value.MustParse(input), InputSize: len(input), OwnInput: true,
		Done: func(r engine.Result) { res = r }})
	if err := en.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	if res.Status != engine.Failed || res.Error != "States.DataLimitExceeded" {
		t.Errorf("got %s %s, want FAILED States.DataLimitExceeded (the state output is over 256 KiB)", res.Status, res.Error)
	}
}
