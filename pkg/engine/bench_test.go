package engine_test

import (
	"context"
	"os"
	"testing"

	"github.com/expressd/expressd/pkg/asl"
	"github.com/expressd/expressd/pkg/compile"
	"github.com/expressd/expressd/pkg/engine"
	"github.com/expressd/expressd/pkg/sinks"
	"github.com/expressd/expressd/pkg/task"
	"github.com/expressd/expressd/pkg/value"
)

// BenchmarkEngineLogging runs the reference workload (10 transitions, JSON
// in and out) through the engine with each log level against a discard
// emitter. OFF and ERROR on successful executions must cost at most 5 % of
// the throughput of no logging; the cost of ALL is reported.
func BenchmarkEngineLogging(b *testing.B) {
	def, _ := os.ReadFile("testdata/reference-10.asl.json")
	in, _ := os.ReadFile("testdata/reference-10.input.json")
	sm, diags := asl.Load("reference-10.asl.json", def)
	if len(diags) > 0 {
		b.Fatal(diags)
	}
	reg := &task.Registry{}
	prog, diags := compile.StateMachine(sm, compile.WithName("reference-10"))
	if len(diags) > 0 {
		b.Fatal(diags)
	}
	for _, bc := range []struct {
		name string
		log  *engine.Logging
	}{
		{"log=none", nil},
		{"log=OFF", &engine.Logging{Level: engine.LevelOff}},
		{"log=FATAL", &engine.Logging{Level: engine.LevelFatal}},
		{"log=ERROR", &engine.Logging{Level: engine.LevelError}},
		{"log=ALL", &engine.Logging{Level: engine.LevelAll}},
		{"log=ALL+data", &engine.Logging{Level: engine.LevelAll, IncludeData: true}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var buf []byte
			records := 0
			if bc.log != nil {
				bc.log.Emit = func(r sinks.Record) { buf = r.AppendJSON(buf[:0]); records++ }
			}
			en := engine.New(engine.Options{})
			var out []byte
			failed := 0
			done := func(r engine.Result) {
				if r.Status != engine.Succeeded {
					failed++
				}
				out = value.AppendJSON(out[:0], r.Output)
			}
			const batch = 256
			n := 0
			b.ReportAllocs()
			for b.Loop() {
				v, err := value.ParseOwned(in)
				if err != nil {
					b.Fatal(err)
				}
				en.Start(engine.Start{Program: prog, Tasks: reg, Input: v, InputSize: len(in), OwnInput: true, Logging: bc.log, Done: done})
				if n++; n%batch == 0 {
					if err := en.Drain(context.Background()); err != nil {
						b.Fatal(err)
					}
				}
			}
			_ = en.Drain(context.Background())
			if failed > 0 {
				b.Fatalf("%d executions failed", failed)
			}
			b.ReportMetric(10*float64(b.N)/b.Elapsed().Seconds(), "transitions/s")
			if records > 0 {
				b.ReportMetric(float64(records)/float64(b.N), "records/exec")
			}
		})
	}
}
