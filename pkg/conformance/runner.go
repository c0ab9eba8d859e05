// Package conformance runs ASL conformance cases: a definition, an input,
// optional Task mocks and the expected result, in the format of the
// AWS-recorded corpus in ../shared/conformance (see its README). The same
// runner serves our own cases in testdata/.
//
// It is used by tests only; it imports asl, compile, engine and task/mock.
package conformance

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/expressd/expressd/pkg/asl"
	"github.com/expressd/expressd/pkg/compile"
	"github.com/expressd/expressd/pkg/engine"
	"github.com/expressd/expressd/pkg/task"
	"github.com/expressd/expressd/pkg/task/mock"
	"github.com/expressd/expressd/pkg/value"
	"github.com/expressd/expressd/pkg/vm"
)

// Case is one conformance case.
type Case struct {
	File         string          `json:"-"`
	ID           string          `json:"-"` // "<area>/<name>"
	Name         string          `json:"name"`
	Source       string          `json:"source"`
	Definition   json.RawMessage `json:"definition"`
	Input        json.RawMessage `json:"input"`
	Mocks        json.RawMessage `json:"mocks"`
	Expect       Expect          `json:"expect"`
	ExpectLoose  []string        `json:"expect_loose"`
	CompareCause *bool           `json:"compare_cause"`
	Notes        string          `json:"notes"`
}

// Expect is a case's expected outcome.
type Expect struct {
	Status  string          `json:"status"`
	Output  json.RawMessage `json:"output"`
	Error   *string         `json:"error"`
	Cause   *string         `json:"cause"`
	Valid   *bool           `json:"valid"`
	Message string          `json:"message"`
}

// Load reads every case under dir (recursively, *.json).
func Load(dir string) ([]*Case, error) {
	var cases []*Case
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !strings.HasSuffix(path, ".json") {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		c := &Case{File: path}
		if err := json.Unmarshal(data, c); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		rel, _ := filepath.Rel(dir, path)
		c.ID = strings.TrimSuffix(filepath.ToSlash(rel), ".json")
		cases = append(cases, c)
		return nil
	})
	sort.Slice(cases, func(i, j int) bool { return cases[i].ID < cases[j].ID })
	return cases, err
}

// UsesJSONata reports whether the case's definition uses JSONata anywhere.
func (c *Case) UsesJSONata() bool { return strings.Contains(string(c.Definition), "JSONata") }

// isSync reports whether the case was recorded with StartSyncExecution
// (its context object has no Execution.RedriveCount).
func (c *Case) isSync() bool { return strings.Contains(c.Source, "express_sync") }

// IsValidation reports whether the case checks definition validity only.
func (c *Case) IsValidation() bool { return c.Expect.Valid != nil }

// definitionText returns the definition as text: the JSON of the object,
// or the raw string for the validation cases whose definition is not JSON.
func (c *Case) definitionText() []byte {
	var s string
	if err := json.Unmarshal(c.Definition, &s); err == nil {
		return []byte(s)
	}
	return c.Definition
}

// Run runs the case and returns nil when the outcome matches, or an error
// describing the difference ("got …, want …").
func Run(c *Case) error {
	// The same pipeline as `expressd validate`, `run` and `serve`.
	prog := compileCase(c)
	problems := prog.diags
	if c.IsValidation() {
		valid := len(problems) == 0
		if valid != *c.Expect.Valid {
			return fmt.Errorf("got valid=%v (%v), want valid=%v (%s)", valid, firstLine(problems), *c.Expect.Valid, c.Expect.Message)
		}
		return nil
	}
	if len(problems) > 0 {
		return fmt.Errorf("definition rejected: %v", problems.Error())
	}
	input, err := value.Parse(orNull(c.Input))
	if err != nil {
		return fmt.Errorf("bad case input: %v", err)
	}
	// Virtual time starts now: recorded Wait timestamps are in the past and
	// must not wait; later waits and retries take no real time.
	clock := engine.NewVirtualClock(time.Now())
	en := engine.New(engine.Options{Clock: clock})
	var res engine.Result
	en.Start(engine.Start{Program: prog.prog, Tasks: prog.tasks, Input: input, Name: "conformance", Sync: c.isSync(), Done: func(r engine.Result) { res = r }})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := en.Drain(ctx); err != nil {
		return fmt.Errorf("engine did not finish: %v", err)
	}
	return c.check(res)
}

type programResult struct {
	prog  *vm.Program
	tasks *task.Registry
	diags asl.Diagnostics
}

func compileCase(c *Case) *programResult {
	pr := &programResult{tasks: &task.Registry{}}
	states := map[string]*mock.Responses{}
	if len(c.Mocks) > 0 && string(c.Mocks) != "null" {
		mv, err := value.Parse(c.Mocks)
		if err != nil || mv.Kind() != value.Object {
			pr.diags = asl.Diagnostics{{Msg: "bad mocks in case"}}
			return pr
		}
		for i, st := range mv.Keys() {
			r, err := mock.ParseResponses(mv.Index(i))
			if err != nil {
				pr.diags = asl.Diagnostics{{Msg: "bad mocks for " + st + err.Error()}}
				return pr
			}
			states[st] = r
		}
	}
	_ = pr.tasks.Register("mock", func(string) bool { return true }, mock.NewHandler(states))
	prog, diags := compile.Load(c.ID+".asl.json", c.definitionText(), compile.WithName("conformance"), compile.WithTasks(pr.tasks))
	pr.prog, pr.diags = prog, diags
	return pr
}

func firstLine(ds asl.Diagnostics) string {
	if len(ds) == 0 {
		return "no diagnostics"
	}
	return ds[0].String()
}

func orNull(raw json.RawMessage) []byte {
	if len(raw) == 0 {
		return []byte("null")
	}
	return raw
}

func (c *Case) check(res engine.Result) error {
	want := c.Expect
	if string(res.Status) != want.Status {
		detail := ""
		if res.Status != engine.Succeeded {
			detail = fmt.Sprintf(" (error %q, cause %q)", res.Error, res.Cause)
		}
		return fmt.Errorf("got status %s%s, want %s", res.Status, detail, want.Status)
	}
	if res.Status == engine.Succeeded {
		wantOut, err := value.Parse(orNull(want.Output))
		if err != nil {
			return fmt.Errorf("bad expected output: %v", err)
		}
		got := res.Output
		for _, ptr := range c.ExpectLoose {
			var ok bool
			got, ok = blank(got, ptr)
			if !ok {
				return fmt.Errorf("got output without %s, want it present: %s", ptr, res.Output.JSON())
			}
			wantOut, _ = blank(wantOut, ptr)
		}
		if !value.Equal(got, wantOut) {
			return fmt.Errorf("got output %s, want %s", truncate(res.Output.JSON()), truncate(wantOut.JSON()))
		}
		return nil
	}
	switch {
	case want.Error == nil && res.HasError:
		return fmt.Errorf("got error %q, want none", res.Error)
	case want.Error != nil && (!res.HasError || string(res.Error) != *want.Error):
		return fmt.Errorf("got error %q (present=%v), want %q", res.Error, res.HasError, *want.Error)
	}
	if c.CompareCause != nil && *c.CompareCause {
		switch {
		case want.Cause == nil && res.HasCause && res.Cause != "":
			return fmt.Errorf("got cause %q, want none", res.Cause)
		case want.Cause != nil && res.Cause != *want.Cause:
			return fmt.Errorf("got cause %q, want %q", res.Cause, *want.Cause)
		}
	}
	return nil
}

// blank replaces the value at an RFC 6901 pointer with null, reporting
// whether it existed.
func blank(v value.Value, ptr string) (value.Value, bool) {
	if ptr == "" {
		return value.NullValue, true
	}
	parts := strings.Split(strings.TrimPrefix(ptr, "/"), "/")
	return blankParts(v, parts)
}

func blankParts(v value.Value, parts []string) (value.Value, bool) {
	if len(parts) == 0 {
		return value.NullValue, true
	}
	key := strings.ReplaceAll(strings.ReplaceAll(parts[0], "~1", "/"), "~0", "~")
	switch v.Kind() {
	case value.Object:
		child, ok := v.Get(key)
		if !ok {
			return v, false
		}
		nv, ok := blankParts(child, parts[1:])
		if !ok {
			return v, false
		}
		return v.With(key, nv), true
	case value.Array:
		var i int
		if _, err := fmt.Sscanf(key, "%d", &i); err != nil || i < 0 || i >= v.Len() {
			return v, false
		}
		nv, ok := blankParts(v.Index(i), parts[1:])
		if !ok {
			return v, false
		}
		return v.SetIndex(i, nv), true
	}
	return v, false
}

func truncate(s string) string {
	if len(s) > 600 {
		return s[:600] + "…"
	}
	return s
}
