package engine

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/expressd/expressd/pkg/asl"
	"github.com/expressd/expressd/pkg/compile"
	"github.com/expressd/expressd/pkg/task"
	"github.com/expressd/expressd/pkg/value"
	"github.com/expressd/expressd/pkg/vm"
)

func mustProgram(t *testing.T, def string, reg *task.Registry) *vm.Program {
	t.Helper()
	sm, diags := asl.Load("t.asl.json", []byte(def))
	if len(diags) > 0 {
		t.Fatal(diags)
	}
	p, diags := compile.StateMachine(sm, compile.WithTasks(reg))
	if len(diags) > 0 {
		t.Fatal(diags)
	}
	return p
}

// Regression: an execution that ended (here: timed out) with a task call in
// flight left that call counted forever, so the virtual clock never jumped
// again; and finished executions left their 5-minute cap timer queued,
// keeping their memory alive.
func TestFinishedExecutionsLeaveNothingBehind(t *testing.T) {
	reg := &task.Registry{}
	_ = reg.Register("hang", func(string) bool { return true }, task.HandlerFunc(func(context.Context, *task.Request, func(task.Result)) {}))
	hung := mustProgram(t, `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"r","End":true}}}`, reg)
	wait := mustProgram(t, `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":60,"Next":"P"},"P":{"Type":"Pass","End":true}}}`, reg)

	clock := NewVirtualClock(time.Now())
	en := New(Options{Clock: clock, MaxDuration: 200 * time.Millisecond})
	var res Result
	en.Start(Start{Program: hung, Tasks: reg, Input: value.EmptyObject(), Done: func(r Result) { res = r }})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := en.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if res.Status != TimedOut {
		t.Fatalf("got %s, want TIMED_OUT", res.Status)
	}
	if en.tasks != 0 {
		t.Errorf("got %d task calls counted in flight after the execution ended, want 0", en.tasks)
	}

	en = New(Options{Clock: clock})
	start := time.Now()
	en.Start(Start{Program: wait, Tasks: reg, Input: value.EmptyObject(), Done: func(r Result) { res = r }})
	if err := en.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	if res.Status != Succeeded || res.Transitions != 2 {
		t.Errorf("got %s with %d transitions, want SUCCEEDED with 2", res.Status, res.Transitions)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("a 60s Wait took %s of real time under the virtual clock", d)
	}
	if n := en.timers.Len(); n != 0 {
		t.Errorf("got %d timers queued after every execution finished, want 0", n)
	}
}

// Regression: a timed-out execution reported 0 transitions.
func TestTimedOutExecutionCountsTransitions(t *testing.T) {
	reg := &task.Registry{}
	loop := mustProgram(t, `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"},
		"B":{"Type":"Choice","Choices":[{"Variable":"$.stop","IsPresent":true,"Next":"Done"}],"Default":"A"},
		"Done":{"Type":"Succeed"}}}`, reg)
	en := New(Options{MaxDuration: 50 * time.Millisecond})
	var res Result
	en.Start(Start{Program: loop, Tasks: reg, Input: value.EmptyObject(), Done: func(r Result) { res = r }})
	if err := en.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	if res.Status != TimedOut || res.Transitions == 0 {
		t.Errorf("got %s with %d transitions, want TIMED_OUT with more than 0", res.Status, res.Transitions)
	}
}

// Regression (review): an execution that timed out in a long Wait left its
// wake timer queued until the Wait's end, keeping its input alive; a
// recycled Execution kept the previous execution's values.
func TestTimedOutWaitLeavesNoTimer(t *testing.T) {
	reg := &task.Registry{}
	wait := mustProgram(t, `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":100000,"End":true}}}`, reg)
	en := New(Options{MaxDuration: 20 * time.Millisecond})
	n := 0
	for i := 0; i < 50; i++ {
		en.Start(Start{Program: wait, Tasks: reg, Input: value.MustParse(`{"big":"` + strings.Repeat("x", 1024) + `"}`),
			Done: func(r Result) {
				if r.Status == TimedOut {
					n++
				}
			}})
	}
	if err := en.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n != 50 {
		t.Fatalf("%d of 50 timed out", n)
	}
	if l := en.timers.Len(); l != 0 {
		t.Errorf("got %d timers queued after every execution finished, want 0", l)
	}
	for _, e := range en.freeExecs {
		if e.StateInput().Kind() != value.Null {
			t.Fatalf("a recycled Execution still holds its input")
		}
	}
}
