package compile_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/expressd/expressd/pkg/asl"
	"github.com/expressd/expressd/pkg/compile"
	"github.com/expressd/expressd/pkg/engine"
	"github.com/expressd/expressd/pkg/states"
	"github.com/expressd/expressd/pkg/task"
	"github.com/expressd/expressd/pkg/vm"
)

// FuzzDefinition mutates whole definitions, structure-aware, and runs each
// through the pipeline that `expressd validate`, `run` and `serve` share
// (compile.Load), then runs what compiles. Byte-level mutation of JSON text
// mostly yields text that does not parse; here the fuzzer picks a seed
// definition (the AWS-recorded corpus, testdata, the examples) and a list
// of edits on its JSON tree: delete a member, set a field that ASL knows to
// a value that ASL might expect there (paths, intrinsics, state types,
// numbers at and past their bounds, timestamps, sub-machines), graft one
// node onto another place, point a transition at another state.
//
// The invariant: compile.Load never panics and never reports an internal
// error; a definition without diagnostics compiles to a program that
// passes vm.Verify and runs to exactly one result (or loops without Wait
// until a short deadline).
func FuzzDefinition(f *testing.F) {
	seeds := definitionDocs(f)
	for i := range seeds {
		f.Add(uint16(i), []byte{})
		f.Add(uint16(i), []byte{2, 7, 1, 0, 1, 3, 9, 2})
	}
	reg := &task.Registry{}
	if err := reg.Register("echo", func(string) bool { return true }, task.HandlerFunc(
		func(_ context.Context, req *task.Request, done func(task.Result)) {
			done(task.Result{Output: req.Input})
		})); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, pick uint16, ops []byte) {
		if len(seeds) == 0 {
			t.Skip("no seed definitions")
		}
		doc := mutate(clone(seeds[int(pick)%len(seeds)]), ops)
		data, err := json.Marshal(doc)
		if err != nil {
			return
		}
		prog, diags := compile.Load("fuzz.asl.json", data, compile.WithTasks(reg))
		for _, d := range diags {
			if d.Code == asl.CodeInternal {
				t.Fatalf("internal error for %s:\n%s", data, d)
			}
			_ = d.String()
		}
		if len(diags) > 0 {
			if prog != nil {
				t.Fatalf("a program with diagnostics: %v", diags)
			}
			return
		}
		if err := vm.Verify(prog); err != nil {
			t.Fatalf("Verify: %v\n%s", err, data)
		}
		en := engine.New(engine.Options{Clock: engine.NewVirtualClock(time.Now()), MaxDuration: time.Minute})
		var results []engine.Result
		en.Start(engine.Start{Program: prog, Tasks: reg, Input: fuzzInput, Name: "fuzz",
			Done: func(r engine.Result) { results = append(results, r) }})
		// A loop without Wait never lets virtual time reach the cap: a short
		// deadline keeps the fuzzer fast.
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		defer cancel()
		if err := en.Drain(ctx); err != nil {
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("Drain: %v", err)
			}
			return
		}
		if len(results) != 1 {
			t.Fatalf("%d results, want 1\n%s", len(results), data)
		}
		if r := results[0]; r.Error == states.Runtime && strings.Contains(r.Cause, "internal error") {
			t.Fatalf("VM invariant violation: %s\n%s", r.Cause, data)
		}
	})
}

// definitionDocs returns the seed definitions as JSON trees: the corpus,
// testdata and the repository's examples and configs.
func definitionDocs(tb testing.TB) []any {
	texts := definitionSeeds(tb)
	for _, pattern := range []string{"../../examples/*.asl.json", "../../configs/machines/*.asl.json"} {
		files, _ := filepath.Glob(pattern)
		for _, f := range files {
			if data, err := os.ReadFile(f); err == nil {
				texts = append(texts, data)
			}
		}
	}
	var docs []any
	for _, t := range texts {
		var v any
		if json.Unmarshal(t, &v) == nil {
			docs = append(docs, v)
		}
	}
	return docs
}

func clone(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = clone(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = clone(e)
		}
		return out
	}
	return v
}

// The palettes the mutations draw from.
var (
	fuzzFields = []string{
		"Type", "Next", "End", "Comment", "QueryLanguage", "StartAt", "States", "TimeoutSeconds", "Version",
		"InputPath", "OutputPath", "ResultPath", "Parameters", "ResultSelector", "Result", "Assign",
		"Arguments", "Output", "Resource", "TimeoutSecondsPath", "HeartbeatSeconds", "HeartbeatSecondsPath",
		"Retry", "Catch", "ErrorEquals", "IntervalSeconds", "MaxAttempts", "BackoffRate", "MaxDelaySeconds",
		"JitterStrategy", "Choices", "Default", "Variable", "And", "Or", "Not", "Condition",
		"StringEquals", "StringEqualsPath", "StringMatches", "NumericEquals", "NumericLessThanPath",
		"BooleanEquals", "TimestampEquals", "TimestampLessThanPath", "IsPresent", "IsNull", "IsTimestamp",
		"Seconds", "SecondsPath", "Timestamp", "TimestampPath", "Error", "ErrorPath", "Cause", "CausePath",
		"Branches", "ItemsPath", "Items", "ItemSelector", "ItemProcessor", "Iterator", "ProcessorConfig", "Mode",
		"MaxConcurrency", "MaxConcurrencyPath", "ToleratedFailureCount", "ToleratedFailurePercentage",
		"ToleratedFailureCountPath", "ItemReader", "Label", "x.$", "value.$",
	}
	fuzzValues = []any{
		nil, true, false, 0.0, 1.0, -1.0, 1.5, 100.0, 101.0, 2147483648.0, 99999999.0, 1e300,
		"", "$", "$$", "$.a", "$.b[1]", "$.a.b.c", "$$.Execution.Input", "$$.State.Name", "$$.Map.Item.Value",
		"$x", "$x.a", "$.b[?(@ > 1)]", "$.b[0:2]", "$.b[*]", "$..a", "$.b[0,1]", "$['s']", "not a path",
		"States.ArrayRange(1, 3, 1)", "States.Format('{} {}', $.a, $.s)", "States.StringToJson($.s)",
		"States.MathAdd($.a, 1.5)", "States.ArrayPartition($.b, 1.5)", "States.Array(", "States.Nope()",
		"Pass", "Task", "Choice", "Wait", "Succeed", "Fail", "Parallel", "Map", "Bogus",
		"JSONPath", "JSONata", "{% $states.input %}", "INLINE", "DISTRIBUTED", "FULL", "NONE",
		"States.ALL", "States.Timeout", "States.TaskFailed", "Custom.Error",
		"2024-01-01T00:00:00Z", "2024-13-01T00:00:00Z", "a*b", "a\\*b", "a\\b",
		"arn:aws:states:::lambda:invoke", "arn:aws:lambda:us-east-1:1:function:f", "arn:aws:states:::sqs:sendMessage.sync",
		map[string]any{}, []any{}, []any{"States.ALL"}, []any{1.0, 2.0},
		map[string]any{"StartAt": "X", "States": map[string]any{"X": map[string]any{"Type": "Pass", "End": true}}},
		map[string]any{"Variable": "$.a", "NumericEquals": 1.0, "Next": "X"},
		map[string]any{"ErrorEquals": []any{"States.ALL"}, "Next": "X"},
		map[string]any{"ErrorEquals": []any{"States.ALL"}, "IntervalSeconds": 1.0, "MaxAttempts": 2.0},
		map[string]any{"a.$": "$.a", "b": "$.b"},
	}
)

// slot is one place in the tree: a member of an object or an element of
// an array.
type slot struct {
	obj map[string]any
	key string
	arr []any
	idx int
}

func (s slot) get() any {
	if s.obj != nil {
		return s.obj[s.key]
	}
	return s.arr[s.idx]
}

func (s slot) set(v any) {
	if s.obj != nil {
		s.obj[s.key] = v
	} else {
		s.arr[s.idx] = v
	}
}

// walk lists the slots and the objects of the tree, in a deterministic
// order, and the state names it sees.
func walk(v any, slots *[]slot, objs *[]map[string]any, names *[]string) {
	switch x := v.(type) {
	case map[string]any:
		*objs = append(*objs, x)
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			if k == "States" {
				if st, ok := x[k].(map[string]any); ok {
					for name := range st {
						*names = append(*names, name)
					}
				}
			}
			*slots = append(*slots, slot{obj: x, key: k})
			walk(x[k], slots, objs, names)
		}
	case []any:
		for i, e := range x {
			*slots = append(*slots, slot{arr: x, idx: i})
			walk(e, slots, objs, names)
		}
	}
}

// maxFuzzNodes bounds the tree a mutation works on: more than the 10,000
// states a definition may have, far less than what repeated grafts build.
const maxFuzzNodes = 50000

// maxFuzzEdits bounds the edits of one input.
const maxFuzzEdits = 48

// mutate applies the edits ops encodes to doc, 3 bytes an edit: the kind,
// where, and what.
func mutate(doc any, ops []byte) any {
	// Each edit walks the tree: a bounded number keeps executions (and
	// the fuzzer's minimization) fast.
	if len(ops) > 3*maxFuzzEdits {
		ops = ops[:3*maxFuzzEdits]
	}
	for len(ops) >= 3 {
		kind, where, what := ops[0], int(ops[1]), int(ops[2])
		ops = ops[3:]
		var slots []slot
		var objs []map[string]any
		var names []string
		walk(doc, &slots, &objs, &names)
		slices.Sort(names)
		// Grafting doubles a tree at worst: stop at a size past every
		// definition limit, or the harness itself runs for minutes.
		if len(slots) == 0 || len(objs) == 0 || len(slots) > maxFuzzNodes {
			return doc
		}
		s := slots[where%len(slots)]
		o := objs[where%len(objs)]
		switch kind % 7 {
		case 0: // delete a member (an array element becomes null)
			if s.obj != nil {
				delete(s.obj, s.key)
			} else {
				s.set(nil)
			}
		case 1: // replace a value
			s.set(clone(fuzzValues[what%len(fuzzValues)]))
		case 2: // set an ASL field
			o[fuzzFields[what%len(fuzzFields)]] = clone(fuzzValues[(what*7+int(kind))%len(fuzzValues)])
		case 3: // graft a node onto another place
			s.set(clone(slots[what%len(slots)].get()))
		case 4: // point a transition at another state
			if len(names) > 0 {
				field := []string{"Next", "Default", "StartAt"}[what%3]
				o[field] = names[(what/3)%len(names)]
			}
		case 5: // turn a key into a dynamic one, or back
			if s.obj != nil {
				v := s.obj[s.key]
				delete(s.obj, s.key)
				if k, ok := strings.CutSuffix(s.key, ".$"); ok {
					s.obj[k] = v
				} else {
					s.obj[s.key+".$"] = v
				}
			}
		case 6: // change a number
			if n, ok := s.get().(float64); ok {
				s.set([]float64{-n, n + 0.5, n * 1e9, 0, n - 1}[what%5])
			}
		}
	}
	return doc
}
