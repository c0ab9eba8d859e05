package compile_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/expressd/expressd/pkg/asl"
	"github.com/expressd/expressd/pkg/compile"
	"github.com/expressd/expressd/pkg/engine"
	"github.com/expressd/expressd/pkg/internal/corpus"
	"github.com/expressd/expressd/pkg/states"
	"github.com/expressd/expressd/pkg/task"
	"github.com/expressd/expressd/pkg/value"
	"github.com/expressd/expressd/pkg/vm"
)

// definitionSeeds returns the definitions of the conformance corpus (as
// JSON text) and of testdata/*.asl.json.
func definitionSeeds(tb testing.TB) [][]byte {
	var seeds [][]byte
	if dir := corpus.ConformanceSeeds(tb); dir != "" {
		err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".json") {
				return err
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			var c struct {
				Definition json.RawMessage `json:"definition"`
			}
			if json.Unmarshal(data, &c) != nil || len(c.Definition) == 0 {
				return nil
			}
			var s string
			if json.Unmarshal(c.Definition, &s) == nil {
				seeds = append(seeds, []byte(s)) // definition given as raw text
			} else {
				seeds = append(seeds, c.Definition)
			}
			return nil
		})
		if err != nil {
			tb.Fatal(err)
		}
	} else {
		tb.Logf("conformance corpus not found; seeding from testdata only")
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "*.asl.json"))
	errFiles, _ := filepath.Glob(filepath.Join("testdata", "errors", "*.asl.json"))
	for _, f := range append(files, errFiles...) {
		data, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		seeds = append(seeds, data)
	}
	return seeds
}

var fuzzInput = value.MustParse(`{"a":1,"b":[1,2,3],"s":"x"}`)

// FuzzCompileRun: definition text → asl.Load → compile.StateMachine →
// vm.Verify → one execution on a virtual clock. Nothing may panic (the
// engine's recover turning a VM panic into States.Runtime counts as a
// panic here), and the execution must report exactly once. A definition
// that loops without Wait never lets virtual time reach the execution cap;
// Drain then returns at its 2s deadline, which is accepted.
func FuzzCompileRun(f *testing.F) {
	for _, s := range definitionSeeds(f) {
		f.Add(s)
	}
	reg := &task.Registry{}
	if err := reg.Register("echo", func(string) bool { return true }, task.HandlerFunc(
		func(_ context.Context, req *task.Request, done func(task.Result)) {
			done(task.Result{Output: req.Input})
		})); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sm, diags := asl.Load("fuzz.asl.json", data)
		if sm == nil || len(diags) > 0 {
			return
		}
		p, diags := compile.StateMachine(sm, compile.WithTasks(reg))
		if len(diags) > 0 {
			for _, d := range diags {
				_ = d.String()
			}
			return
		}
		if err := vm.Verify(p); err != nil {
			t.Fatalf("Verify: %v", err)
		}
		var dis strings.Builder
		if err := p.Disassemble(&dis); err != nil {
			t.Fatalf("Disassemble: %v", err)
		}
		en := engine.New(engine.Options{Clock: engine.NewVirtualClock(time.Now()), MaxDuration: time.Minute})
		var results []engine.Result
		en.Start(engine.Start{Program: p, Tasks: reg, Input: fuzzInput, Name: "fuzz",
			Done: func(r engine.Result) { results = append(results, r) }})
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		start := time.Now()
		err := en.Drain(ctx)
		if took := time.Since(start); took > 5*time.Second {
			t.Fatalf("Drain took %v with a 2s deadline", took)
		}
		if err != nil {
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("Drain: %v", err)
			}
			return // loops without Wait: see above
		}
		if len(results) != 1 {
			t.Fatalf("%d results, want 1", len(results))
		}
		r := results[0]
		if r.Error == states.Runtime && strings.Contains(r.Cause, "internal error") {
			t.Fatalf("VM invariant violation: %s\n%s", r.Cause, dis.String())
		}
		switch r.Status {
		case engine.Succeeded:
			if enc := value.AppendJSON(nil, r.Output); !json.Valid(enc) {
				t.Fatalf("output is not valid JSON: %q", enc)
			}
		case engine.Failed, engine.TimedOut:
		default:
			t.Fatalf("unknown status %q", r.Status)
		}
	})
}
