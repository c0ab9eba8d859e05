// Package mock serves Task states from canned responses in the AWS Step
// Functions Local MockConfigFile.json format, unchanged:
//
//	{"StateMachines": {"<machine>": {"TestCases": {"<case>": {"<state>": "<response>"}}}},
//	 "MockedResponses": {"<response>": {"0": {"Return": …}, "1-2": {"Throw": {"Error": …, "Cause": …}}}}}
//
// Responses are keyed by the invocation number of the state within the
// execution (retries count), as single numbers or inclusive ranges.
//
// mock imports task and value only.
package mock

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/expressd/expressd/pkg/states"
	"github.com/expressd/expressd/pkg/task"
	"github.com/expressd/expressd/pkg/value"
)

// Response is one canned outcome: Return, or Throw when Throw is set.
type Response struct {
	Return value.Value
	Throw  *task.Error
}

type span struct {
	from, to int
	resp     Response
}

// Responses is a mocked response: outcomes by invocation number.
type Responses struct {
	spans []span
}

// For returns the outcome of invocation n.
func (r *Responses) For(n int) (Response, bool) {
	for _, s := range r.spans {
		if n >= s.from && n <= s.to {
			return s.resp, true
		}
	}
	return Response{}, false
}

// Config is a parsed MockConfigFile.
type Config struct {
	machines  map[string]map[string]map[string]string // machine → case → state → response name
	responses map[string]*Responses
}

// Load reads a MockConfigFile.json.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("mock: %w", err)
	}
	c, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("mock: %s: %w", path, err)
	}
	return c, nil
}

// Parse parses MockConfigFile JSON text.
func Parse(data []byte) (*Config, error) {
	root, err := value.Parse(data)
	if err != nil {
		return nil, err
	}
	if root.Kind() != value.Object {
		return nil, fmt.Errorf("the mock config must be a JSON object")
	}
	c := &Config{machines: map[string]map[string]map[string]string{}, responses: map[string]*Responses{}}
	if sms, ok := root.Get("StateMachines"); ok {
		if sms.Kind() != value.Object {
			return nil, fmt.Errorf("/StateMachines: must be an object")
		}
		for i, name := range sms.Keys() {
			sm := sms.Index(i)
			tcs, ok := sm.Get("TestCases")
			if !ok || tcs.Kind() != value.Object {
				return nil, fmt.Errorf("/StateMachines/%s/TestCases: must be an object", name)
			}
			cases := map[string]map[string]string{}
			for j, cname := range tcs.Keys() {
				tc := tcs.Index(j)
				if tc.Kind() != value.Object {
					return nil, fmt.Errorf("/StateMachines/%s/TestCases/%s: must be an object", name, cname)
				}
				states := map[string]string{}
				for k, st := range tc.Keys() {
					if tc.Index(k).Kind() != value.String {
						return nil, fmt.Errorf("/StateMachines/%s/TestCases/%s/%s: must be a response name (string)", name, cname, st)
					}
					states[st] = tc.Index(k).Str()
				}
				cases[cname] = states
			}
			c.machines[name] = cases
		}
	}
	if mrs, ok := root.Get("MockedResponses"); ok {
		if mrs.Kind() != value.Object {
			return nil, fmt.Errorf("/MockedResponses: must be an object")
		}
		for i, name := range mrs.Keys() {
			r, err := ParseResponses(mrs.Index(i))
			if err != nil {
				return nil, fmt.Errorf("/MockedResponses/%s%w", name, err)
			}
			c.responses[name] = r
		}
	}
	return c, nil
}

// ParseResponses parses one mocked response object ({"0": {"Return": …}, …}).
// Errors start with the JSON pointer below the object ("/1-2: …").
func ParseResponses(v value.Value) (*Responses, error) {
	if v.Kind() != value.Object {
		return nil, fmt.Errorf(": must be an object keyed by invocation number")
	}
	r := &Responses{}
	for i, key := range v.Keys() {
		from, to, err := parseSpan(key)
		if err != nil {
			return nil, fmt.Errorf("/%s: %v", key, err)
		}
		o := v.Index(i)
		var resp Response
		ret, hasRet := o.Get("Return")
		thr, hasThr := o.Get("Throw")
		switch {
		case hasRet && hasThr:
			return nil, fmt.Errorf("/%s: has both Return and Throw", key)
		case hasRet:
			resp.Return = ret
		case hasThr:
			e, ok := thr.Get("Error")
			if !ok || e.Kind() != value.String || e.Str() == "" {
				return nil, fmt.Errorf("/%s/Throw/Error: must be a non-empty string", key)
			}
			c, _ := thr.Get("Cause")
			resp.Throw = &task.Error{Name: states.Name(e.Str()), Cause: c.Str()}
		default:
			return nil, fmt.Errorf("/%s: needs Return or Throw", key)
		}
		r.spans = append(r.spans, span{from: from, to: to, resp: resp})
	}
	sort.Slice(r.spans, func(i, j int) bool { return r.spans[i].from < r.spans[j].from })
	for i := 1; i < len(r.spans); i++ {
		if r.spans[i].from <= r.spans[i-1].to {
			return nil, fmt.Errorf(": invocation %d has two responses (overlapping keys)", r.spans[i].from)
		}
	}
	return r, nil
}

func parseSpan(key string) (int, int, error) {
	for _, c := range key {
		if (c < '0' || c > '9') && c != '-' {
			return 0, 0, fmt.Errorf("invocation key must be a number or a range like \"1-2\"")
		}
	}
	a, b, isRange := strings.Cut(key, "-")
	from, err := strconv.Atoi(a)
	if err != nil || from < 0 {
		return 0, 0, fmt.Errorf("invocation key must be a number or a range like \"1-2\"")
	}
	if !isRange {
		return from, from, nil
	}
	to, err := strconv.Atoi(b)
	if err != nil || to < from {
		return 0, 0, fmt.Errorf("invocation key must be a number or a range like \"1-2\"")
	}
	return from, to, nil
}

// TestCase returns the handler for one test case of one state machine.
func (c *Config) TestCase(machine, testCase string) (*Handler, error) {
	cases, ok := c.machines[machine]
	if !ok {
		names := make([]string, 0, len(c.machines))
		for n := range c.machines {
			names = append(names, n)
		}
		sort.Strings(names)
		return nil, fmt.Errorf("mock: state machine %q is not in the mock config (it has: %s); use --name to choose", machine, strings.Join(names, ", "))
	}
	states, ok := cases[testCase]
	if !ok {
		return nil, fmt.Errorf("mock: test case %q not found for state machine %q", testCase, machine)
	}
	h := &Handler{TestCase: testCase, states: map[string]*Responses{}}
	for st, rname := range states {
		r, ok := c.responses[rname]
		if !ok {
			return nil, fmt.Errorf("mock: test case %q maps state %q to response %q, which is not in MockedResponses", testCase, st, rname)
		}
		h.states[st] = r
	}
	return h, nil
}

// Handler answers Task calls from mocked responses keyed by state name.
// It is read-only once built and safe for concurrent use.
type Handler struct {
	TestCase string
	states   map[string]*Responses
}

// NewHandler builds a handler from responses per state name (the format
// of the conformance corpus' "mocks").
func NewHandler(states map[string]*Responses) *Handler {
	return &Handler{states: states}
}

// Invoke implements task.Handler. A state without a mock, or an invocation
// number without a response, fails the execution with States.Runtime and a
// message naming the state and resource.
func (h *Handler) Invoke(_ context.Context, req *task.Request, done func(task.Result)) {
	r, ok := h.states[req.State]
	if !ok {
		done(task.Result{Err: &task.Error{Name: states.Runtime, Cause: fmt.Sprintf("no mock for Task state %q (resource %s)%s", req.State, req.Resource, h.where())}})
		return
	}
	resp, ok := r.For(req.Invocation)
	if !ok {
		done(task.Result{Err: &task.Error{Name: states.Runtime, Cause: fmt.Sprintf("the mock for Task state %q has no response for invocation %d (resource %s)%s", req.State, req.Invocation, req.Resource, h.where())}})
		return
	}
	if resp.Throw != nil {
		done(task.Result{Err: resp.Throw})
		return
	}
	done(task.Result{Output: resp.Return})
}

func (h *Handler) where() string {
	if h.TestCase == "" {
		return ""
	}
	return " in test case " + strconv.Quote(h.TestCase)
}
