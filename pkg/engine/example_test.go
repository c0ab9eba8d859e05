package engine_test

import (
	"context"
	"fmt"
	"time"

	"github.com/expressd/expressd/pkg/asl"
	"github.com/expressd/expressd/pkg/compile"
	"github.com/expressd/expressd/pkg/engine"
	"github.com/expressd/expressd/pkg/task"
	"github.com/expressd/expressd/pkg/value"
)

func Example() {
	reg := &task.Registry{}
	_ = reg.Register("upper", task.Exact("arn:aws:states:::upper"), task.HandlerFunc(
		func(_ context.Context, req *task.Request, done func(task.Result)) {
			done(task.Result{Output: value.FromString("HELLO")})
		}))
	sm, _ := asl.Load("ex.asl.json", []byte(`{"StartAt":"Wait","States":{
		"Wait":{"Type":"Wait","Seconds":60,"Next":"Call"},
		"Call":{"Type":"Task","Resource":"arn:aws:states:::upper","ResultPath":"$.greeting","End":true}}}`))
	p, diags := compile.StateMachine(sm, compile.WithTasks(reg))
	if len(diags) > 0 {
		panic(diags)
	}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	en := engine.New(engine.Options{Clock: engine.NewVirtualClock(start)})
	en.Start(engine.Start{Program: p, Tasks: reg, Input: value.MustParse(`{"name":"x"}`), Done: func(r engine.Result) {
		fmt.Println(r.Status, r.Output, r.Stop.Sub(r.Start))
	}})
	if err := en.Drain(context.Background()); err != nil {
		panic(err)
	}
	// Output: SUCCEEDED {"name":"x","greeting":"HELLO"} 1m0s
}
