package mock

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/expressd/expressd/pkg/task"
	"github.com/expressd/expressd/pkg/value"
)

const config = `{
  "StateMachines": {
    "Order": {"TestCases": {
      "HappyPath": {"Charge": "ChargeOK", "Ship": "ShipFlaky"},
      "Broken": {"Charge": "NoSuchResponse"}
    }},
    "Other": {"TestCases": {}}
  },
  "MockedResponses": {
    "ChargeOK": {"0": {"Return": {"charged": true}}},
    "ShipFlaky": {
      "0-1": {"Throw": {"Error": "Ship.Busy", "Cause": "try later"}},
      "2": {"Return": {"shipped": 1}},
      "4-6": {"Return": "late"}
    }
  }
}`

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"not JSON", `{`, "invalid JSON"},
		{"not an object", `[]`, "must be a JSON object"},
		{"StateMachines not an object", `{"StateMachines":[]}`, "/StateMachines: must be an object"},
		{"TestCases missing", `{"StateMachines":{"M":{}}}`, "/StateMachines/M/TestCases: must be an object"},
		{"test case not an object", `{"StateMachines":{"M":{"TestCases":{"C":1}}}}`, "/StateMachines/M/TestCases/C: must be an object"},
		{"response name not a string", `{"StateMachines":{"M":{"TestCases":{"C":{"S":1}}}}}`, "/StateMachines/M/TestCases/C/S: must be a response name"},
		{"MockedResponses not an object", `{"MockedResponses":1}`, "/MockedResponses: must be an object"},
		{"response not an object", `{"MockedResponses":{"R":[]}}`, "/MockedResponses/R: must be an object keyed by invocation number"},
		{"reversed range", `{"MockedResponses":{"R":{"2-1":{"Return":1}}}}`, `/MockedResponses/R/2-1: invocation key must be a number or a range like "1-2"`},
		{"negative key", `{"MockedResponses":{"R":{"-1":{"Return":1}}}}`, "/MockedResponses/R/-1: invocation key"},
		{"word key", `{"MockedResponses":{"R":{"first":{"Return":1}}}}`, "/MockedResponses/R/first: invocation key"},
		{"open range", `{"MockedResponses":{"R":{"1-":{"Return":1}}}}`, "/MockedResponses/R/1-: invocation key"},
		{"both Return and Throw", `{"MockedResponses":{"R":{"0":{"Return":1,"Throw":{"Error":"E"}}}}}`, "/MockedResponses/R/0: has both Return and Throw"},
		{"neither Return nor Throw", `{"MockedResponses":{"R":{"0":{}}}}`, "/MockedResponses/R/0: needs Return or Throw"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.in))
			if err == nil {
				t.Fatalf("Parse(%s) succeeded, want an error containing %q", tc.in, tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Parse(%s) = %q, want it to contain %q", tc.in, err, tc.want)
			}
		})
	}
}

func TestTestCaseLookup(t *testing.T) {
	c, err := Parse([]byte(config))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, machine, tc, want string
	}{
		{"unknown machine", "Nope", "HappyPath", `mock: state machine "Nope" is not in the mock config (it has: Order, Other); use --name to choose`},
		{"unknown case", "Order", "Sad", `mock: test case "Sad" not found for state machine "Order"`},
		{"missing response", "Order", "Broken", `mock: test case "Broken" maps state "Charge" to response "NoSuchResponse", which is not in MockedResponses`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.TestCase(tc.machine, tc.tc)
			if err == nil {
				t.Fatal("TestCase succeeded, want an error")
			}
			if diff := cmp.Diff(tc.want, err.Error()); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
		})
	}
	if h, err := c.TestCase("Order", "HappyPath"); err != nil || h.TestCase != "HappyPath" {
		t.Errorf("TestCase(Order, HappyPath) = %v, %v", h, err)
	}
}

// invoke calls h synchronously and returns the result.
func invoke(t *testing.T, h task.Handler, state string, n int) task.Result {
	t.Helper()
	var got []task.Result
	h.Invoke(context.Background(), &task.Request{State: state, Resource: "arn:aws:states:::lambda:invoke", Invocation: n},
		func(r task.Result) { got = append(got, r) })
	if len(got) != 1 {
		t.Fatalf("done called %d times, want 1", len(got))
	}
	return got[0]
}

func TestInvocationRanges(t *testing.T) {
	c, err := Parse([]byte(config))
	if err != nil {
		t.Fatal(err)
	}
	h, err := c.TestCase("Order", "HappyPath")
	if err != nil {
		t.Fatal(err)
	}
	type outcome struct{ Output, Error, Cause string }
	tests := []struct {
		state string
		n     int
		want  outcome
	}{
		{"Charge", 0, outcome{Output: `{"charged":true}`}},
		{"Charge", 1, outcome{Error: "States.Runtime", Cause: `the mock for Task state "Charge" has no response for invocation 1 (resource arn:aws:states:::lambda:invoke) in test case "HappyPath"`}},
		{"Ship", 0, outcome{Error: "Ship.Busy", Cause: "try later"}},
		{"Ship", 1, outcome{Error: "Ship.Busy", Cause: "try later"}},
		{"Ship", 2, outcome{Output: `{"shipped":1}`}},
		{"Ship", 3, outcome{Error: "States.Runtime", Cause: `the mock for Task state "Ship" has no response for invocation 3 (resource arn:aws:states:::lambda:invoke) in test case "HappyPath"`}},
		{"Ship", 4, outcome{Output: `"late"`}},
		{"Ship", 6, outcome{Output: `"late"`}},
		{"Ship", 7, outcome{Error: "States.Runtime", Cause: `the mock for Task state "Ship" has no response for invocation 7 (resource arn:aws:states:::lambda:invoke) in test case "HappyPath"`}},
		{"Refund", 0, outcome{Error: "States.Runtime", Cause: `no mock for Task state "Refund" (resource arn:aws:states:::lambda:invoke) in test case "HappyPath"`}},
	}
	for _, tc := range tests {
		t.Run(tc.state+"/"+string(rune('0'+tc.n)), func(t *testing.T) {
			r := invoke(t, h, tc.state, tc.n)
			var got outcome
			if r.Err != nil {
				got = outcome{Error: string(r.Err.Name), Cause: r.Err.Cause}
			} else {
				got = outcome{Output: r.Output.JSON()}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("invocation %d of %s (-want +got):\n%s", tc.n, tc.state, diff)
			}
		})
	}
}

func TestResponsesFor(t *testing.T) {
	r, err := ParseResponses(value.MustParse(`{"5":{"Return":5},"0-2":{"Return":"a"},"3":{"Throw":{"Error":"E"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	for n, want := range map[int]string{0: `"a"`, 2: `"a"`, 5: "5"} {
		resp, ok := r.For(n)
		if !ok || resp.Throw != nil || resp.Return.JSON() != want {
			t.Errorf("For(%d) = %+v, %v; want Return %s", n, resp, ok, want)
		}
	}
	if resp, ok := r.For(3); !ok || resp.Throw == nil || resp.Throw.Name != "E" || resp.Throw.Cause != "" {
		t.Errorf("For(3) = %+v, %v; want Throw E with no cause", resp, ok)
	}
	if _, ok := r.For(4); ok {
		t.Error("For(4) found a response, want none")
	}
	if _, ok := r.For(-1); ok {
		t.Error("For(-1) found a response, want none")
	}
}

func TestNewHandlerWithoutTestCase(t *testing.T) {
	r, err := ParseResponses(value.MustParse(`{"0":{"Return":1}}`))
	if err != nil {
		t.Fatal(err)
	}
	h := NewHandler(map[string]*Responses{"S": r})
	if got := invoke(t, h, "S", 0); got.Err != nil || got.Output.JSON() != "1" {
		t.Errorf("got %+v, want Return 1", got)
	}
	got := invoke(t, h, "T", 0)
	if got.Err == nil || strings.Contains(got.Err.Cause, "test case") {
		t.Errorf("got %+v, want a States.Runtime without a test case name", got)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "MockConfigFile.json")
	if err := os.WriteFile(good, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(good); err != nil {
		t.Errorf("Load: %v", err)
	}
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"MockedResponses":{"R":{"2-1":{"Return":1}}}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(bad); err == nil || !strings.Contains(err.Error(), "mock: "+bad+": /MockedResponses/R/2-1") {
		t.Errorf("Load(bad) = %v, want an error naming the file and the key", err)
	}
	if _, err := Load(filepath.Join(dir, "missing.json")); err == nil || !strings.HasPrefix(err.Error(), "mock: ") {
		t.Errorf("Load(missing) = %v, want a mock: error", err)
	}
}
