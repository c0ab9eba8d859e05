package engine_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/expressd/expressd/pkg/asl"
	"github.com/expressd/expressd/pkg/compile"
	"github.com/expressd/expressd/pkg/engine"
	"github.com/expressd/expressd/pkg/task"
	"github.com/expressd/expressd/pkg/value"
	"github.com/expressd/expressd/pkg/vm"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// registry returns a task registry serving every resource with h.
func registry(t testing.TB, h task.HandlerFunc) *task.Registry {
	t.Helper()
	reg := &task.Registry{}
	if err := reg.Register("test", func(string) bool { return true }, h); err != nil {
		t.Fatal(err)
	}
	return reg
}

// program loads, compiles and verifies a definition.
func program(t testing.TB, def string, reg *task.Registry) *vm.Program {
	t.Helper()
	sm, diags := asl.Load("test.asl.json", []byte(def))
	if len(diags) > 0 {
		t.Fatalf("load: %v", diags)
	}
	p, diags := compile.StateMachine(sm, compile.WithTasks(reg))
	if len(diags) > 0 {
		t.Fatalf("compile: %v", diags)
	}
	if err := vm.Verify(p); err != nil {
		t.Fatalf("verify: %v", err)
	}
	return p
}

// runOne starts one execution on en, drains it within a real-time bound
// and returns its only result.
func runOne(t *testing.T, en *engine.Engine, p *vm.Program, reg *task.Registry, input string) engine.Result {
	t.Helper()
	var (
		mu      sync.Mutex
		results []engine.Result
	)
	en.Start(engine.Start{Program: p, Tasks: reg, Input: value.MustParse(input), Name: "test",
		Done: func(r engine.Result) { mu.Lock(); results = append(results, r); mu.Unlock() }})
	drain(t, en, 5*time.Second)
	mu.Lock()
	defer mu.Unlock()
	if len(results) != 1 {
		t.Fatalf("got %d results, want exactly 1", len(results))
	}
	return results[0]
}

// drain runs en.Drain with a real-time bound; a loop that does not return
// in time fails the test (the goroutine is left behind).
func drain(t *testing.T, en *engine.Engine, d time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- en.Drain(ctx) }()
	select {
	case err := <-errc:
		if err != nil {
			t.Fatalf("Drain: %v", err)
		}
	case <-time.After(d + 2*time.Second):
		t.Fatalf("Drain did not return within %v (it ignores its context)", d+2*time.Second)
	}
}

func echo(_ context.Context, req *task.Request, done func(task.Result)) {
	done(task.Result{Output: req.Input})
}

func TestWaitVirtualTime(t *testing.T) {
	clock := engine.NewVirtualClock(t0)
	en := engine.New(engine.Options{Clock: clock})
	reg := registry(t, echo)
	p := program(t, `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":10,"End":true}}}`, reg)
	start := time.Now()
	res := runOne(t, en, p, reg, `{"a":1}`)
	if res.Status != engine.Succeeded {
		t.Fatalf("status %s (%s: %s), want SUCCEEDED", res.Status, res.Error, res.Cause)
	}
	if got := res.Stop.Sub(res.Start); got != 10*time.Second {
		t.Errorf("virtual duration %v, want 10s", got)
	}
	if got := clock.Now().Sub(t0); got != 10*time.Second {
		t.Errorf("clock advanced by %v, want 10s", got)
	}
	if real := time.Since(start); real > 5*time.Second {
		t.Errorf("a virtual 10s Wait took %v of real time", real)
	}
	if got := res.Output.JSON(); got != `{"a":1}` {
		t.Errorf("output %s, want {\"a\":1}", got)
	}
}

// TestTaskTimeoutCaught: with a task in flight the virtual clock cannot jump,
// so it follows real time to the task's deadline (this test takes 3s).
func TestTaskTimeoutCaught(t *testing.T) {
	clock := engine.NewVirtualClock(t0)
	en := engine.New(engine.Options{Clock: clock})
	// The handler never calls done.
	reg := registry(t, func(context.Context, *task.Request, func(task.Result)) {})
	p := program(t, `{"StartAt":"T","States":{
		"T":{"Type":"Task","Resource":"arn:aws:states:::test","TimeoutSeconds":3,
		     "Catch":[{"ErrorEquals":["States.Timeout"],"ResultPath":"$.err","Next":"Caught"}],"End":true},
		"Caught":{"Type":"Pass","End":true}}}`, reg)
	res := runOne(t, en, p, reg, `{"a":1}`)
	if res.Status != engine.Succeeded {
		t.Fatalf("status %s (%s: %s), want SUCCEEDED through the Catch", res.Status, res.Error, res.Cause)
	}
	errv, _ := res.Output.Get("err")
	if e, _ := errv.Get("Error"); e.Str() != "States.Timeout" {
		t.Errorf("caught %s, want States.Timeout", errv.JSON())
	}
	if got := res.Stop.Sub(res.Start); got != 3*time.Second {
		t.Errorf("timed out after %v of virtual time, want 3s", got)
	}
}

func TestRetryBackoffVirtual(t *testing.T) {
	for _, async := range []bool{false, true} {
		t.Run(fmt.Sprintf("async=%v", async), func(t *testing.T) {
			clock := engine.NewVirtualClock(t0)
			en := engine.New(engine.Options{Clock: clock})
			var mu sync.Mutex
			var at []time.Duration
			reg := registry(t, func(_ context.Context, req *task.Request, done func(task.Result)) {
				mu.Lock()
				at = append(at, clock.Now().Sub(t0))
				mu.Unlock()
				res := task.Result{Output: value.FromInt(int64(req.Invocation))}
				if req.Invocation < 2 {
					res = task.Result{Err: &task.Error{Name: "Boom", Cause: "try again"}}
				}
				if async {
					go done(res)
				} else {
					done(res)
				}
			})
			p := program(t, `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::test",
				"Retry":[{"ErrorEquals":["Boom"],"IntervalSeconds":2,"BackoffRate":3,"MaxAttempts":3}],"End":true}}}`, reg)
			res := runOne(t, en, p, reg, `{}`)
			if res.Status != engine.Succeeded || res.Output.JSON() != "2" {
				t.Fatalf("got %s %s (%s: %s), want SUCCEEDED 2", res.Status, res.Output.JSON(), res.Error, res.Cause)
			}
			mu.Lock()
			defer mu.Unlock()
			if diff := cmp.Diff([]time.Duration{0, 2 * time.Second, 8 * time.Second}, at); diff != "" {
				t.Errorf("invocation times (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRetryExhaustedFails(t *testing.T) {
	en := engine.New(engine.Options{Clock: engine.NewVirtualClock(t0)})
	var calls atomic.Int32
	reg := registry(t, func(_ context.Context, _ *task.Request, done func(task.Result)) {
		calls.Add(1)
		done(task.Result{Err: &task.Error{Name: "Boom", Cause: "always"}})
	})
	p := program(t, `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::test",
		"Retry":[{"ErrorEquals":["States.ALL"],"IntervalSeconds":1,"MaxAttempts":2}],"End":true}}}`, reg)
	res := runOne(t, en, p, reg, `{}`)
	if res.Status != engine.Failed || res.Error != "Boom" || res.Cause != "always" {
		t.Errorf("got %s %s: %s, want FAILED Boom: always", res.Status, res.Error, res.Cause)
	}
	if got := calls.Load(); got != 3 {
		t.Errorf("handler called %d times, want 3 (1 + 2 retries)", got)
	}
	if got := res.Stop.Sub(res.Start); got != 3*time.Second {
		t.Errorf("virtual duration %v, want 3s (1s + 2s back-off)", got)
	}
}

func TestExecutionCap(t *testing.T) {
	clock := engine.NewVirtualClock(t0)
	en := engine.New(engine.Options{Clock: clock, MaxDuration: 2 * time.Second})
	reg := registry(t, echo)
	p := program(t, `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":10,"Next":"Done"},"Done":{"Type":"Succeed"}}}`, reg)
	res := runOne(t, en, p, reg, `{}`)
	if res.Status != engine.TimedOut || res.Error != "States.Timeout" {
		t.Fatalf("got %s %s: %s, want TIMED_OUT States.Timeout", res.Status, res.Error, res.Cause)
	}
	if got := res.Stop.Sub(res.Start); got != 2*time.Second {
		t.Errorf("timed out after %v, want 2s", got)
	}
}

func TestDefinitionTimeoutSeconds(t *testing.T) {
	en := engine.New(engine.Options{Clock: engine.NewVirtualClock(t0)})
	reg := registry(t, echo)
	p := program(t, `{"TimeoutSeconds":4,"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":60,"End":true}}}`, reg)
	res := runOne(t, en, p, reg, `{}`)
	if res.Status != engine.TimedOut || res.Stop.Sub(res.Start) != 4*time.Second {
		t.Errorf("got %s after %v, want TIMED_OUT after 4s", res.Status, res.Stop.Sub(res.Start))
	}
}

// A Choice loop without Wait never lets virtual time move, so this test
// uses the real clock and a short cap: it shows that the cap ends the
// execution, not how fast.
func TestTightLoopHitsCap(t *testing.T) {
	en := engine.New(engine.Options{MaxDuration: 200 * time.Millisecond})
	reg := registry(t, echo)
	p := program(t, `{"StartAt":"Loop","States":{
		"Loop":{"Type":"Choice","Choices":[{"Variable":"$.a","NumericEquals":1,"Next":"Again"}],"Default":"Done"},
		"Again":{"Type":"Pass","Next":"Loop"},
		"Done":{"Type":"Succeed"}}}`, reg)
	res := runOne(t, en, p, reg, `{"a":1}`)
	if res.Status != engine.TimedOut {
		t.Fatalf("got %s, want TIMED_OUT", res.Status)
	}
}

func TestMapMaxConcurrency(t *testing.T) {
	en := engine.New(engine.Options{})
	var inflight, peak atomic.Int32
	reg := registry(t, func(_ context.Context, req *task.Request, done func(task.Result)) {
		n := inflight.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		go func() {
			time.Sleep(time.Millisecond)
			inflight.Add(-1)
			done(task.Result{Output: req.Input})
		}()
	})
	p := program(t, `{"StartAt":"M","States":{"M":{"Type":"Map","MaxConcurrency":2,"ItemsPath":"$.items",
		"ItemProcessor":{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::test","End":true}}},
		"End":true}}}`, reg)
	res := runOne(t, en, p, reg, `{"items":[1,2,3,4,5,6,7,8,9,10]}`)
	if res.Status != engine.Succeeded {
		t.Fatalf("status %s (%s: %s)", res.Status, res.Error, res.Cause)
	}
	if got, want := res.Output.JSON(), `[1,2,3,4,5,6,7,8,9,10]`; got != want {
		t.Errorf("output %s, want %s", got, want)
	}
	if got := peak.Load(); got != 2 {
		t.Errorf("peak concurrent task calls %d, want 2", got)
	}
}

func TestParallelFailureCancelsSibling(t *testing.T) {
	en := engine.New(engine.Options{Clock: engine.NewVirtualClock(t0)})
	held := make(chan func(task.Result), 1)
	reg := registry(t, func(_ context.Context, _ *task.Request, done func(task.Result)) { held <- done })
	p := program(t, `{"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[
		{"StartAt":"Slow","States":{"Slow":{"Type":"Task","Resource":"arn:aws:states:::test","End":true}}},
		{"StartAt":"Boom","States":{"Boom":{"Type":"Fail","Error":"Boom","Cause":"branch 2"}}}]}}}`, reg)
	var results atomic.Int32
	var last atomic.Value
	en.Start(engine.Start{Program: p, Tasks: reg, Input: value.EmptyObject(),
		Done: func(r engine.Result) { results.Add(1); last.Store(r) }})
	drain(t, en, 5*time.Second)
	if got := results.Load(); got != 1 {
		t.Fatalf("%d results after the failure, want 1", got)
	}
	res := last.Load().(engine.Result)
	if res.Status != engine.Failed || res.Error != "Boom" || res.Cause != "branch 2" {
		t.Errorf("got %s %s: %s, want FAILED Boom: branch 2", res.Status, res.Error, res.Cause)
	}
	// The cancelled branch's task completes late: it must be ignored.
	var done func(task.Result)
	select {
	case done = <-held:
	default:
		t.Fatal("the slow branch's task was never invoked")
	}
	done(task.Result{Output: value.FromString("late")})
	drain(t, en, 5*time.Second)
	if got := results.Load(); got != 1 {
		t.Errorf("%d results after the late completion, want 1", got)
	}
	if got := en.Active(); got != 0 {
		t.Errorf("Active() = %d, want 0", got)
	}
}

func TestParallelOutputsInBranchOrder(t *testing.T) {
	en := engine.New(engine.Options{Clock: engine.NewVirtualClock(t0)})
	reg := registry(t, echo)
	p := program(t, `{"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[
		{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":5,"Next":"A"},"A":{"Type":"Pass","Result":"a","End":true}}},
		{"StartAt":"B","States":{"B":{"Type":"Task","Resource":"arn:aws:states:::test","ResultSelector":{"b.$":"$.x"},"End":true}}}]}}}`, reg)
	res := runOne(t, en, p, reg, `{"x":2}`)
	if got, want := res.Output.JSON(), `["a",{"b":2}]`; res.Status != engine.Succeeded || got != want {
		t.Errorf("got %s %s, want SUCCEEDED %s", res.Status, got, want)
	}
}

func TestUnknownHandlerFails(t *testing.T) {
	en := engine.New(engine.Options{Clock: engine.NewVirtualClock(t0)})
	sm, diags := asl.Load("t.asl.json", []byte(`{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:x","End":true}}}`))
	if len(diags) > 0 {
		t.Fatal(diags)
	}
	p, diags := compile.StateMachine(sm) // no resolver: Handler stays -1
	if len(diags) > 0 {
		t.Fatal(diags)
	}
	res := runOne(t, en, p, &task.Registry{}, `{}`)
	if res.Status != engine.Failed || res.Error != "States.Runtime" || !strings.Contains(res.Cause, "arn:x") {
		t.Errorf("got %s %s: %s, want FAILED States.Runtime naming the resource", res.Status, res.Error, res.Cause)
	}
}

func TestInputTooLarge(t *testing.T) {
	en := engine.New(engine.Options{Clock: engine.NewVirtualClock(t0)})
	reg := registry(t, echo)
	p := program(t, `{"StartAt":"S","States":{"S":{"Type":"Succeed"}}}`, reg)
	big := `"` + strings.Repeat("x", vm.PayloadLimit) + `"`
	res := runOne(t, en, p, reg, big)
	if res.Status != engine.Failed || res.Error != "States.DataLimitExceeded" {
		t.Errorf("got %s %s, want FAILED States.DataLimitExceeded", res.Status, res.Error)
	}
}

// TestManyConcurrentExecutions starts executions from several goroutines
// while Run loops, with task completions from other goroutines; run it
// with -race. Every execution reports exactly once.
func TestManyConcurrentExecutions(t *testing.T) {
	const (
		starters = 8
		perG     = 125
		total    = starters * perG
	)
	en := engine.New(engine.Options{})
	reg := registry(t, func(_ context.Context, req *task.Request, done func(task.Result)) {
		go func() {
			n, _ := req.Input.Get("n")
			done(task.Result{Output: value.FromObject([]string{"n"}, []value.Value{n})})
		}()
	})
	p := program(t, `{"StartAt":"T","States":{
		"T":{"Type":"Task","Resource":"arn:aws:states:::test","ResultPath":"$.r","Next":"M"},
		"M":{"Type":"Map","ItemsPath":"$.items","ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Task","Resource":"arn:aws:states:::test","End":true}}},"ResultPath":"$.m","Next":"W"},
		"W":{"Type":"Wait","Seconds":0,"End":true}}}`, reg)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	runErr := make(chan error, 1)
	go func() { runErr <- en.Run(ctx) }()

	var mu sync.Mutex
	seen := map[string]int{}
	wrong := 0
	all := make(chan struct{})
	var wg sync.WaitGroup
	for g := range starters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perG {
				n := g*perG + i
				name := fmt.Sprintf("exec-%d", n)
				in := value.MustParse(fmt.Sprintf(`{"n":%d,"items":[{"n":%d},{"n":%d}]}`, n, n, n+1))
				en.Start(engine.Start{Program: p, Tasks: reg, Input: in, Name: name, Done: func(r engine.Result) {
					mu.Lock()
					defer mu.Unlock()
					seen[r.Name]++
					if r.Status != engine.Succeeded || r.Name != name {
						wrong++
					} else if rn, _ := r.Output.Get("r"); rn.JSON() != fmt.Sprintf(`{"n":%d}`, n) {
						wrong++
					} else if m, _ := r.Output.Get("m"); m.JSON() != fmt.Sprintf(`[{"n":%d},{"n":%d}]`, n, n+1) {
						wrong++
					}
					if len(seen) == total && seen[r.Name] == 1 {
						close(all)
					}
				}})
			}
		}()
	}
	wg.Wait()
	select {
	case <-all:
	case <-time.After(30 * time.Second):
		mu.Lock()
		t.Fatalf("only %d of %d executions finished", len(seen), total)
	}
	cancel()
	if err := <-runErr; err != context.Canceled {
		t.Errorf("Run returned %v, want context.Canceled", err)
	}
	mu.Lock()
	defer mu.Unlock()
	for name, n := range seen {
		if n != 1 {
			t.Errorf("%s reported %d times, want 1", name, n)
		}
	}
	if wrong > 0 {
		t.Errorf("%d executions had a wrong result", wrong)
	}
}

func TestStartWhileRunning(t *testing.T) {
	en := engine.New(engine.Options{})
	reg := registry(t, echo)
	p := program(t, `{"StartAt":"S","States":{"S":{"Type":"Pass","Result":"ok","End":true}}}`, reg)
	ctx, cancel := context.WithCancel(context.Background())
	runErr := make(chan error, 1)
	go func() { runErr <- en.Run(ctx) }()
	for i := range 3 {
		time.Sleep(10 * time.Millisecond) // let Run go idle first
		got := make(chan engine.Result, 2)
		en.Start(engine.Start{Program: p, Input: value.EmptyObject(), Done: func(r engine.Result) { got <- r }})
		select {
		case r := <-got:
			if r.Status != engine.Succeeded || r.Output.JSON() != `"ok"` {
				t.Errorf("start %d: got %s %s, want SUCCEEDED \"ok\"", i, r.Status, r.Output.JSON())
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("start %d: no result while Run loops", i)
		}
	}
	cancel()
	select {
	case err := <-runErr:
		if err != context.Canceled {
			t.Errorf("Run returned %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
}
