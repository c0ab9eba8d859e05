package engine_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/expressd/expressd/pkg/asl"
	"github.com/expressd/expressd/pkg/compile"
	"github.com/expressd/expressd/pkg/engine"
	"github.com/expressd/expressd/pkg/sinks"
	"github.com/expressd/expressd/pkg/task"
	"github.com/expressd/expressd/pkg/value"
	"github.com/expressd/expressd/pkg/vm"
)

// BenchmarkEngineLogging runs the reference workload (10 transitions, JSON
// in and out) through the engine with each log level against a discard
// emitter, and reports the cost of each. TestQuietLevelsAllocs holds OFF,
// FATAL and ERROR on successful executions to the allocations of no
// logging; BenchmarkEngineLoggingRatio reports their time against it in
// one run (the target, not a test: at most 1.05).
func BenchmarkEngineLogging(b *testing.B) {
	// The reference workload: one copy, the bench harness's (bench/workloads).
	def, _ := os.ReadFile("../../bench/workloads/reference-10/definition.asl.json")
	in, _ := os.ReadFile("../../bench/workloads/reference-10/input.json")
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

// reference10Engine returns the reference program and input.
func reference10Engine(tb testing.TB) (*vm.Program, []byte) {
	def, err := os.ReadFile("../../bench/workloads/reference-10/definition.asl.json")
	if err != nil {
		tb.Fatal(err)
	}
	in, err := os.ReadFile("../../bench/workloads/reference-10/input.json")
	if err != nil {
		tb.Fatal(err)
	}
	prog, diags := compile.Load("reference-10.asl.json", def, compile.WithName("reference-10"))
	if len(diags) > 0 {
		tb.Fatal(diags)
	}
	return prog, in
}

// runBatch runs n reference executions on en with log.
func runBatch(tb testing.TB, en *engine.Engine, prog *vm.Program, in []byte, log *engine.Logging, n int) {
	for range n {
		v, err := value.ParseOwned(in)
		if err != nil {
			tb.Fatal(err)
		}
		en.Start(engine.Start{Program: prog, Tasks: &task.Registry{}, Input: v, InputSize: len(in), OwnInput: true, Logging: log,
			Done: func(r engine.Result) {
				if r.Status != engine.Succeeded {
					tb.Fatalf("execution %s: %s", r.Status, r.Error)
				}
			}})
	}
	if err := en.Drain(context.Background()); err != nil {
		tb.Fatal(err)
	}
}

// TestQuietLevelsAllocs: on successful executions, logging at OFF, FATAL
// or ERROR emits no record and allocates nothing beyond no logging.
func TestQuietLevelsAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not meaningful under -race")
	}
	prog, in := reference10Engine(t)
	en := engine.New(engine.Options{})
	measure := func(log *engine.Logging) float64 {
		return testing.AllocsPerRun(20, func() { runBatch(t, en, prog, in, log, 16) })
	}
	base := measure(nil)
	for _, level := range []engine.Level{engine.LevelOff, engine.LevelFatal, engine.LevelError} {
		records := 0
		log := &engine.Logging{Level: level, Emit: func(sinks.Record) { records++ }}
		if got := measure(log); got > base {
			t.Errorf("level %v: %.1f allocations per batch, want at most %.1f (no logging)", level, got, base)
		}
		if records != 0 {
			t.Errorf("level %v: %d records for successful executions, want 0", level, records)
		}
	}
}

// BenchmarkEngineLoggingRatio interleaves batches with no logging and with
// ERROR in one run and reports the time of ERROR over none ("ratio"): the
// target is at most 1.05.
func BenchmarkEngineLoggingRatio(b *testing.B) {
	prog, in := reference10Engine(b)
	en := engine.New(engine.Options{})
	log := &engine.Logging{Level: engine.LevelError, Emit: func(sinks.Record) {}}
	var none, withLog time.Duration
	for b.Loop() {
		t0 := time.Now()
		runBatch(b, en, prog, in, nil, 64)
		t1 := time.Now()
		runBatch(b, en, prog, in, log, 64)
		none += t1.Sub(t0)
		withLog += time.Since(t1)
	}
	b.ReportMetric(float64(withLog)/float64(none), "ratio")
}
