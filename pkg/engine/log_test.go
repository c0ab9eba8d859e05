package engine_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/expressd/expressd/pkg/asl"
	"github.com/expressd/expressd/pkg/compile"
	"github.com/expressd/expressd/pkg/engine"
	"github.com/expressd/expressd/pkg/sinks"
	"github.com/expressd/expressd/pkg/task"
	"github.com/expressd/expressd/pkg/task/mock"
	"github.com/expressd/expressd/pkg/value"
)

var updateLogs = flag.Bool("update-logs", false, "rewrite testdata/logs/*.golden")

// logCase is a testdata/logs case: a definition, its input and mocks.
type logCase struct {
	Definition json.RawMessage `json:"definition"`
	Input      json.RawMessage `json:"input"`
	Mocks      json.RawMessage `json:"mocks"`
}

var uuidRE = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)

// runLogged runs a case on a virtual clock and returns its log records,
// one JSON line each, with the execution ARN's UUID normalised.
func runLogged(t *testing.T, c logCase, level engine.Level, data bool) string {
	t.Helper()
	sm, diags := asl.Load("case.asl.json", c.Definition)
	if len(diags) > 0 {
		t.Fatal(diags)
	}
	reg := &task.Registry{}
	states := map[string]*mock.Responses{}
	if len(c.Mocks) > 0 {
		mv := value.MustParse(string(c.Mocks))
		for i, k := range mv.Keys() {
			r, err := mock.ParseResponses(mv.Index(i))
			if err != nil {
				t.Fatal(err)
			}
			states[k] = r
		}
	}
	_ = reg.Register("mock", func(string) bool { return true }, mock.NewHandler(states))
	prog, diags := compile.StateMachine(sm, compile.WithTasks(reg), compile.WithName("logs"))
	if len(diags) > 0 {
		t.Fatal(diags)
	}
	clock := engine.NewVirtualClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	en := engine.New(engine.Options{Clock: clock})
	var buf bytes.Buffer
	en.Start(engine.Start{Program: prog, Tasks: reg, Input: value.MustParse(string(c.Input)), Name: "run-1",
		Logging: &engine.Logging{Level: level, IncludeData: data, Emit: func(r sinks.Record) {
			buf.Write(r.AppendJSON(nil))
			buf.WriteByte('\n')
		}},
		Done: func(engine.Result) {}})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := en.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	return uuidRE.ReplaceAllString(buf.String(), "<uuid>")
}

// TestLogGoldens checks the exact record sequence of executions covering
// every state type, Retry, Catch, Map, Parallel and failures, at each level,
// with and without execution data. -update-logs rewrites the goldens.
func TestLogGoldens(t *testing.T) {
	files, _ := filepath.Glob("testdata/logs/*.json")
	if len(files) == 0 {
		t.Fatal("no log cases")
	}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var c logCase
		if err := json.Unmarshal(raw, &c); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		var got strings.Builder
		for _, level := range []engine.Level{engine.LevelAll, engine.LevelError, engine.LevelFatal, engine.LevelOff} {
			for _, data := range []bool{true, false} {
				got.WriteString("# level=" + level.String())
				if data {
					got.WriteString(" include_execution_data")
				}
				got.WriteString("\n")
				got.WriteString(runLogged(t, c, level, data))
			}
		}
		golden := strings.TrimSuffix(f, ".json") + ".golden"
		if *updateLogs {
			if err := os.WriteFile(golden, []byte(got.String()), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (run with -update-logs)", err)
		}
		if d := cmp.Diff(string(want), got.String()); d != "" {
			t.Errorf("%s mismatch (-want +got):\n%s", golden, d)
		}
	}
}

// TestLogRecordShape checks the CloudWatch shape rules on every record:
// string scalars, ids increasing from 1, ExecutionStarted with previous 0,
// the first state-entered event with previous 0, input/output as strings.
func TestLogRecordShape(t *testing.T) {
	raw, _ := os.ReadFile("testdata/logs/task_retry_catch.json")
	var c logCase
	_ = json.Unmarshal(raw, &c)
	lines := strings.Split(strings.TrimSpace(runLogged(t, c, engine.LevelAll, true)), "\n")
	var prevID int
	firstEntered := true
	for i, l := range lines {
		var rec map[string]any
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatalf("line %d: %v", i, err)
		}
		for _, k := range []string{"id", "previous_event_id", "event_timestamp", "execution_arn", "redrive_count", "type"} {
			if _, ok := rec[k].(string); !ok {
				t.Errorf("line %d: %s is not a string: %v", i, k, rec[k])
			}
		}
		var id int
		_ = json.Unmarshal([]byte(strings.Trim(rec["id"].(string), `"`)), &id)
		if id != prevID+1 {
			t.Errorf("line %d: id %d after %d", i, id, prevID)
		}
		prevID = id
		typ := rec["type"].(string)
		if (typ == "ExecutionStarted" || (strings.HasSuffix(typ, "StateEntered") && firstEntered)) && rec["previous_event_id"] != "0" {
			t.Errorf("line %d: %s has previous_event_id %v, want 0", i, typ, rec["previous_event_id"])
		}
		if strings.HasSuffix(typ, "StateEntered") {
			firstEntered = false
		}
		d := rec["details"].(map[string]any)
		for _, k := range []string{"input", "output", "parameters"} {
			if v, ok := d[k]; ok {
				if _, isStr := v.(string); !isStr {
					t.Errorf("line %d: details.%s is not a JSON string", i, k)
				}
			}
		}
	}
}
