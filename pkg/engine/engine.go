package engine

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	mrand "math/rand/v2"
	"strconv"
	"sync"
	"time"

	"github.com/expressd/expressd/pkg/internal/uuid"
	"github.com/expressd/expressd/pkg/states"
	"github.com/expressd/expressd/pkg/task"
	"github.com/expressd/expressd/pkg/telemetry"
	"github.com/expressd/expressd/pkg/value"
	"github.com/expressd/expressd/pkg/vm"
)

// MaxDuration is the Express execution cap: an execution still running
// after 5 minutes ends TIMED_OUT with States.Timeout.
const MaxDuration = 5 * time.Minute

// MaxInlineConcurrency is the number of Map iterations that run at once
// when MaxConcurrency is 0 or larger: AWS runs at most 40 concurrent
// iterations of an inline Map, and the bound also caps the memory one
// Map over a huge array can hold in flight.
const MaxInlineConcurrency = 40

// DefaultBudget is the number of states an execution may enter before it
// goes to the back of the run queue, so that a loop without Wait cannot
// starve other executions or the timeout check.
const DefaultBudget = 1000

// Status is the final status of an execution.
type Status string

// Execution statuses, as AWS reports them.
const (
	Succeeded Status = "SUCCEEDED"
	Failed    Status = "FAILED"
	TimedOut  Status = "TIMED_OUT"
)

// Result is the outcome of one execution.
type Result struct {
	Status       Status
	Output       value.Value // SUCCEEDED only
	Error        states.Name
	Cause        string
	HasError     bool
	HasCause     bool
	ExecutionArn string
	Name         string
	Start, Stop  time.Time
	Transitions  int64
}

// Clock tells the engine the time. The real clock is used unless Options
// sets another.
type Clock interface {
	Now() time.Time
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

// VirtualClock is a clock that only moves when the engine has nothing else
// to do: then it jumps to the next timer. Waits and retry back-offs take no
// real time, which makes tests and replays of long workflows instant.
type VirtualClock struct {
	mu sync.Mutex
	t  time.Time
}

// NewVirtualClock returns a virtual clock starting at start.
func NewVirtualClock(start time.Time) *VirtualClock { return &VirtualClock{t: start} }

// Now returns the virtual time.
func (c *VirtualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *VirtualClock) advanceTo(t time.Time) {
	c.mu.Lock()
	if t.After(c.t) {
		c.t = t
	}
	c.mu.Unlock()
}

// Options configures an Engine.
type Options struct {
	Clock       Clock             // nil: the real clock
	MaxDuration time.Duration     // execution cap; 0 or more than MaxDuration means MaxDuration
	Budget      int               // states per run slice; 0 means DefaultBudget
	Region      string            // for ARNs; default us-east-1
	Account     string            // for ARNs; default 123456789012
	Metrics     telemetry.Metrics // nil: telemetry.Nop
	Tracer      telemetry.Tracer  // nil: telemetry.Nop
}

// Start describes one execution to start.
type Start struct {
	Program *vm.Program
	Tasks   *task.Registry // resolves the program's Task handlers
	Input   value.Value
	Name    string // execution name; a random UUID when empty
	// Sync marks a synchronous execution (StartSyncExecution): the context
	// object then has no Execution.RedriveCount.
	Sync bool
	// InputSize, when known (the length of the event it was parsed from),
	// spares a walk of the input for payload limit checks.
	InputSize int
	// OwnInput declares that nothing else holds Input (it was parsed for
	// this execution), so states may update it in place.
	OwnInput bool
	// Timeout caps this execution below the engine's MaxDuration (0: no
	// extra cap).
	Timeout time.Duration
	// Logging, when set and not LevelOff, emits the execution's log records.
	Logging *Logging
	// Trace carries the W3C trace context of the triggering event (its
	// headers); the execution's span continues that trace. May be nil.
	Trace telemetry.Carrier
	Done  func(Result)
}

// Engine runs executions: it drives the VM, performs task calls, keeps
// Wait and retry timers, fans out Parallel branches and Map iterations as
// child executions, and enforces the execution cap. One goroutine runs the
// loop (Run or Drain); Start and task completions may come from any
// goroutine.
type Engine struct {
	opts     Options
	machines map[*vm.Program]*machineInfo // loop goroutine only
	rng      *mrand.ChaCha8
	// freeExecs recycles the Executions of finished executions.
	freeExecs []*vm.Execution
	clock     Clock
	m         vm.Machine
	cur       *run // the run being stepped (for the vm.Tracer callbacks)

	runq   []*run
	timers timerQueue
	active int // root executions not finished
	tasks  int // task calls in flight

	mu    sync.Mutex
	inbox []func() // completions posted from other goroutines
	// starts queued by Start; spare is the other half of a double buffer
	// so that queueing does not allocate in the steady state.
	starts, spare []Start
	wake          chan struct{}
}

// New returns an engine.
func New(opts Options) *Engine {
	if opts.MaxDuration <= 0 || opts.MaxDuration > MaxDuration {
		opts.MaxDuration = MaxDuration
	}
	if opts.Budget <= 0 {
		opts.Budget = DefaultBudget
	}
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	if opts.Account == "" {
		opts.Account = "123456789012"
	}
	if opts.Metrics == nil {
		opts.Metrics = telemetry.Nop{}
	}
	if opts.Tracer == nil {
		opts.Tracer = telemetry.Nop{}
	}
	en := &Engine{opts: opts, clock: opts.Clock, wake: make(chan struct{}, 1)}
	if en.clock == nil {
		en.clock = realClock{}
	}
	en.m.Now = en.clock.Now
	return en
}

// root is the bookkeeping shared by an execution and all its children.
type root struct {
	// What is kept of the Start: the fields used after the start.
	prog    *vm.Program
	tasks   *task.Registry
	done    func(Result)
	timeout time.Duration

	ctx *vm.Context
	// Storage for the parts every execution has, allocated with the root:
	// one allocation instead of four.
	ctxMem      vm.Context
	deadlineMem timer
	top         run // the top-level run

	finished    bool
	inflight    int32 // task calls in flight (counted in Engine.tasks)
	invocations map[uint32]int
	transitions int64
	deadline    *timer          // the execution cap, removed when the execution ends
	log         *logger         // &logMem when the execution logs, else nil
	logMem      logger          // in the root's own allocation: logging costs none
	tctx        context.Context // carries the execution's trace span
	span        telemetry.Span
}

// run is one vm.Execution inside the engine: the top-level execution, a
// Parallel branch or a Map iteration.
type run struct {
	e         *vm.Execution
	root      *root
	parent    *run
	index     int // position among the parent's children
	fork      *fork
	seq       uint64 // bumped whenever a pending wake-up (timer, task) becomes stale
	cancelled bool
	inTask    bool
	taskTimer *timer   // the running task's TimeoutSeconds, if any
	wakeTimer *timer   // the pending Wait or retry back-off, if any
	task      *vm.Task // the task being called (for its log events)
	taskSpan  telemetry.Span
	taskStart int64 // unix nanoseconds
	entered   bool  // a state was entered (the first has previous_event_id 0)
}

type fork struct {
	startedID int64 // id of MapStateStarted / ParallelStateStarted
	spec      vm.ForkSpec
	results   []value.Value
	running   int
	next      int // next child to start
	limit     int
	failed    bool
	events    int64
	kids      []*run
}

// Start queues an execution. It is safe to call from any goroutine.
func (en *Engine) Start(s Start) {
	en.mu.Lock()
	en.starts = append(en.starts, s)
	en.mu.Unlock()
	select {
	case en.wake <- struct{}{}:
	default:
	}
}

func (en *Engine) post(f func()) {
	en.mu.Lock()
	en.inbox = append(en.inbox, f)
	en.mu.Unlock()
	select {
	case en.wake <- struct{}{}:
	default:
	}
}

// maxFreeExecutions bounds the recycled Executions an engine keeps.
const maxFreeExecutions = 1024

// execution returns a reset Execution, recycled when one is free.
func (en *Engine) execution(p *vm.Program, input value.Value, ctx *vm.Context) *vm.Execution {
	if n := len(en.freeExecs); n > 0 {
		e := en.freeExecs[n-1]
		en.freeExecs[n-1] = nil
		en.freeExecs = en.freeExecs[:n-1]
		e.Reset(p, 0, input, ctx)
		return e
	}
	return vm.NewExecution(p, input, ctx)
}

// machineInfo holds the per-machine strings of every execution's context,
// built once per program.
type machineInfo struct {
	name, execPrefix string
	info             vm.MachineInfo
}

func (en *Engine) machineOf(p *vm.Program) *machineInfo {
	if mi := en.machines[p]; mi != nil {
		return mi
	}
	name := p.Name
	if name == "" {
		name = "StateMachine"
	}
	prefix := "arn:aws:states:" + en.opts.Region + ":" + en.opts.Account + ":"
	mi := &machineInfo{
		name:       name,
		execPrefix: prefix + "express:" + name + ":",
		info: vm.MachineInfo{
			ID:      prefix + "stateMachine:" + name,
			Name:    name,
			RoleArn: "arn:aws:iam::" + en.opts.Account + ":role/expressd",
		},
	}
	if en.machines == nil {
		en.machines = map[*vm.Program]*machineInfo{}
	}
	en.machines[p] = mi
	return mi
}

// newUUID returns a random version 4 UUID from the engine's generator
// (seeded from crypto/rand; the ids need to be unique, not secret).
func (en *Engine) newUUID() string {
	if en.rng == nil {
		var seed [32]byte
		_, _ = rand.Read(seed[:])
		en.rng = mrand.NewChaCha8(seed)
	}
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], en.rng.Uint64())
	binary.LittleEndian.PutUint64(b[8:], en.rng.Uint64())
	return uuid.Format(b)
}

func (en *Engine) start(s Start) {
	now := en.clock.Now()
	name := s.Name
	if name == "" {
		name = en.newUUID()
	}
	mi := en.machineOf(s.Program)
	machine := mi.name
	rt := &root{prog: s.Program, tasks: s.Tasks, done: s.Done, timeout: s.Timeout}
	rt.ctxMem = vm.Context{
		ExecutionID:   mi.execPrefix + name + ":" + en.newUUID(),
		ExecutionName: name,
		StartTime:     now,
		Input:         s.Input,
		Machine:       &mi.info,
		HasRedrive:    !s.Sync,
	}
	rt.ctx = &rt.ctxMem
	en.active++
	r := &rt.top
	r.e, r.root = en.execution(s.Program, s.Input, rt.ctx), rt
	en.opts.Metrics.ExecutionStarted(machine)
	en.opts.Metrics.InFlight(machine, 1)
	rt.tctx, rt.span = en.opts.Tracer.StartExecution(context.Background(), machine, name, s.Trace)
	if s.Logging != nil && s.Logging.Level != LevelOff && s.Logging.Emit != nil {
		rt.logMem = logger{cfg: s.Logging, arn: rt.ctx.ExecutionID, machine: machine}
		rt.log = &rt.logMem
		r.e.SetEventCounter(&rt.log.next)
		en.logExecutionStarted(r)
	}
	if s.InputSize > 0 {
		r.e.SetInputSize(s.InputSize)
	}
	if s.OwnInput {
		r.e.OwnInput()
	}
	limit := en.limitOf(rt)
	size := s.InputSize // the event's bytes are the execution input AWS would measure
	if size == 0 {
		size = value.Size(s.Input)
	}
	if size > vm.PayloadLimit {
		en.finish(rt, Result{Status: Failed, Error: states.DataLimitExceeded, HasError: true, HasCause: true,
			Cause: "The execution input exceeds the maximum size of " + strconv.Itoa(vm.PayloadLimit) + " bytes."})
		return
	}
	rt.deadlineMem = timer{at: now.Add(limit), r: r, kind: timerTimeout}
	rt.deadline = &rt.deadlineMem
	en.timers.push(rt.deadline)
	en.runq = append(en.runq, r)
}

// Active returns the number of executions started and not yet finished.
// It must be called from the loop goroutine (or when the loop is stopped).
func (en *Engine) Active() int { return en.active }

// Drain runs the loop until every started execution has finished (or ctx
// ends).
func (en *Engine) Drain(ctx context.Context) error {
	return en.loop(ctx, true)
}

// Run runs the loop until ctx ends.
func (en *Engine) Run(ctx context.Context) error {
	return en.loop(ctx, false)
}

func (en *Engine) loop(ctx context.Context, drain bool) error {
	var tm *time.Timer
	for {
		en.takeInbox()
		en.fireTimers()
		// One pass runs the runs queued when it began. Runs queued during the
		// pass (children, Budget re-queues, completions) wait for the next
		// pass, so timers (the execution cap) and ctx are checked between
		// slices even when an execution loops without Wait.
		n := len(en.runq)
		for i := 0; i < n; i++ {
			r := en.runq[i]
			en.runq[i] = nil
			if !r.cancelled && !r.root.finished {
				en.step(r)
			}
			if i%64 == 63 {
				en.takeInbox()
			}
		}
		rest := copy(en.runq, en.runq[n:])
		clear(en.runq[rest:])
		en.runq = en.runq[:rest]
		en.takeInbox()
		if len(en.runq) > 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
			continue
		}
		if drain && en.active == 0 {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		next, ok := en.timers.next()
		if vc, virtual := en.clock.(*VirtualClock); virtual && en.tasks == 0 && ok {
			vc.advanceTo(next)
			continue
		}
		var timeout <-chan time.Time
		if ok {
			d := next.Sub(en.clock.Now())
			if d <= 0 {
				continue
			}
			if tm == nil {
				tm = time.NewTimer(d)
			} else {
				tm.Reset(d)
			}
			timeout = tm.C
		}
		select {
		case <-en.wake:
		case <-timeout:
			// With tasks in flight the virtual clock cannot jump (a completion
			// may be on its way), so it follows real time: once the real time
			// to the next deadline has passed, it moves there. Without this a
			// task that never completes never reaches its TimeoutSeconds.
			if vc, virtual := en.clock.(*VirtualClock); virtual {
				vc.advanceTo(next)
			}
		case <-ctx.Done():
			return ctx.Err()
		}
		if tm != nil {
			tm.Stop()
		}
	}
}

func (en *Engine) takeInbox() {
	en.mu.Lock()
	fs := en.inbox
	en.inbox = nil
	starts := en.starts
	en.starts = en.spare[:0]
	en.mu.Unlock()
	for _, f := range fs {
		f()
	}
	for i := range starts {
		en.start(starts[i])
		starts[i] = Start{}
	}
	en.mu.Lock()
	en.spare = starts[:0]
	en.mu.Unlock()
}

func (en *Engine) fireTimers() {
	now := en.clock.Now()
	for {
		t, ok := en.timers.popDue(now)
		if !ok {
			return
		}
		r := t.r
		if r.cancelled || r.root.finished {
			continue
		}
		switch t.kind {
		case timerTimeout:
			en.finish(r.root, Result{Status: TimedOut, Error: states.Timeout, HasError: true, HasCause: true,
				Cause: "The execution exceeded its maximum duration of " + en.limitOf(r.root).String() + "."})
		case timerWake:
			if t.seq == r.seq {
				r.wakeTimer = nil
				r.seq++
				en.runq = append(en.runq, r)
			}
		case timerTaskTimeout:
			if t.seq == r.seq && r.inTask {
				r.taskTimer = nil
				en.endTask(r, states.Timeout, "")
				f := vm.Failure{Error: states.Timeout, HasError: true, Cause: "", HasCause: true}
				en.logTaskEnded(r, r.task, value.Value{}, &f, true)
				r.e.ResumeFailure(f)
				en.runq = append(en.runq, r)
			}
		}
	}
}

func (en *Engine) limitOf(rt *root) time.Duration {
	limit := en.opts.MaxDuration
	if t := rt.timeout; t > 0 && t < limit {
		limit = t
	}
	if ts := rt.prog.TimeoutSeconds; ts > 0 && time.Duration(ts)*time.Second < limit {
		limit = time.Duration(ts) * time.Second
	}
	return limit
}

// step runs one slice of r.
func (en *Engine) step(r *run) {
	before := r.e.Transitions()
	en.cur = r
	if lg := r.root.log; lg != nil && lg.cfg.Level == LevelAll {
		en.m.SetTracer(en) // below ALL the VM only numbers state events
	} else {
		en.m.SetTracer(nil)
	}
	st := en.runVM(r)
	r.root.transitions += r.e.Transitions() - before
	switch st.Kind {
	case vm.Succeeded:
		en.done(r, st.Output, nil)
	case vm.Failed:
		f := st.Failure
		en.done(r, value.Value{}, &f)
	case vm.Budget:
		en.runq = append(en.runq, r)
	case vm.Sleep:
		r.seq++
		r.wakeTimer = &timer{at: st.Until, r: r, kind: timerWake, seq: r.seq}
		en.timers.push(r.wakeTimer)
	case vm.Yield:
		en.callTask(r, st.Task, st.Input, st.TimeoutSeconds)
	case vm.Fork:
		en.fork(r, st.Fork)
	}
}

// runVM runs the machine with the engine's one recover: an invariant
// violation inside the VM fails the execution with States.Runtime instead
// of crashing the process.
func (en *Engine) runVM(r *run) (st vm.Status) {
	defer func() {
		if p := recover(); p != nil {
			name := ""
			if s := r.e.State(); s >= 0 {
				name = r.e.Program().States[s].Name
			}
			st = vm.Status{Kind: vm.Failed, Failure: vm.Failure{Error: states.Runtime, HasError: true, HasCause: true, State: name,
				Cause: fmt.Sprintf("internal error in state %q: %v", name, p)}}
		}
	}()
	return en.m.Run(r.e, en.opts.Budget)
}

func (en *Engine) callTask(r *run, ti uint32, input value.Value, timeout int64) {
	p := r.e.Program()
	t := &p.Tasks[ti]
	reg := r.root.tasks
	id := int(t.Handler)
	if id < 0 && reg != nil {
		id, _ = reg.Resolve(t.Resource)
	}
	h := reg.Handler(id)
	if h == nil {
		r.e.ResumeFailure(vm.Fail(states.Runtime, "An error occurred while executing the state '"+p.States[t.State].Name+
			"'. No task integration serves the resource '"+t.Resource+"'."))
		en.runq = append(en.runq, r)
		return
	}
	rt := r.root
	if rt.invocations == nil {
		rt.invocations = map[uint32]int{}
	}
	inv := rt.invocations[t.State]
	rt.invocations[t.State] = inv + 1
	req := &task.Request{
		Resource:       t.Resource,
		State:          p.States[t.State].Name,
		Input:          input,
		Invocation:     inv,
		Execution:      rt.ctx.ExecutionID,
		Machine:        rt.ctx.Machine.Name,
		TimeoutSeconds: timeout,
	}
	r.seq++
	seq := r.seq
	r.inTask = true
	r.task = t
	var tctx context.Context
	tctx, r.taskSpan = en.opts.Tracer.StartTask(rt.tctx, req.State, t.Resource)
	r.taskStart = en.clock.Now().UnixNano()
	en.tasks++
	rt.inflight++
	en.logTaskScheduled(r, t, input, timeout)
	if timeout > 0 {
		r.taskTimer = &timer{at: en.clock.Now().Add(time.Duration(timeout) * time.Second), r: r, kind: timerTaskTimeout, seq: seq}
		en.timers.push(r.taskTimer)
	}
	var once sync.Once
	h.Invoke(tctx, req, func(res task.Result) {
		once.Do(func() { en.post(func() { en.taskDone(r, seq, res) }) })
	})
}

func (en *Engine) taskDone(r *run, seq uint64, res task.Result) {
	if seq != r.seq || !r.inTask || r.root.finished {
		return // timed out, cancelled or finished meanwhile (finish counted it out)
	}
	en.timers.remove(r.taskTimer)
	r.taskTimer = nil
	if res.Err != nil {
		en.endTask(r, res.Err.Name, res.Err.Cause)
	} else {
		en.endTask(r, "", "")
	}
	if res.Err != nil {
		f := vm.Failure{Error: res.Err.Name, Cause: res.Err.Cause, HasError: true, HasCause: true}
		en.logTaskEnded(r, r.task, value.Value{}, &f, false)
		r.e.ResumeFailure(f)
	} else {
		en.logTaskEnded(r, r.task, res.Output, nil, false)
		r.e.ResumeValue(res.Output)
	}
	en.runq = append(en.runq, r)
}

func (en *Engine) fork(r *run, spec vm.ForkSpec) {
	n := len(spec.Inputs)
	f := &fork{spec: spec, results: make([]value.Value, n), kids: make([]*run, n)}
	f.limit = n
	if spec.Map {
		f.limit = MaxInlineConcurrency
		if spec.MaxConcurrency > 0 && spec.MaxConcurrency < f.limit {
			f.limit = spec.MaxConcurrency
		}
	}
	r.fork = f
	if !wants(r, evMapStarted) {
		skip(r)
	} else if spec.Map {
		en.event(r, evMapStarted, "", func() value.Value { return obj("length", value.FromInt(int64(n))) })
	} else {
		en.event(r, evParallelStarted, "", nil)
	}
	f.startedID, _ = r.e.LastEvent()
	if n == 0 {
		r.fork = nil
		en.event(r, evMapSucceeded, "", nil)
		r.e.ResumeValue(value.FromArray([]value.Value{}))
		en.runq = append(en.runq, r)
		return
	}
	for f.next < n && f.running < f.limit {
		en.startChild(r)
	}
}

func (en *Engine) startChild(parent *run) {
	f := parent.fork
	i := f.next
	f.next++
	f.running++
	c := &run{e: parent.e.Child(f.spec.Entries[i], f.spec.Inputs[i]), root: parent.root, parent: parent, index: i}
	if lg := parent.root.log; lg != nil {
		c.e.SetEventCounter(&lg.next)
	}
	if f.spec.Map {
		c.e.SetMapItem(i, f.spec.Items[i])
		en.iterationEvent(parent, evMapIterationStarted, i)
		last, _ := parent.e.LastEvent()
		c.e.SetLastEvent(last)
	} else {
		c.e.SetLastEvent(f.startedID)
	}
	f.kids[i] = c
	en.runq = append(en.runq, c)
}

// done handles the end of a run: the execution's result, or a child's
// contribution to its Parallel/Map.
func (en *Engine) done(r *run, out value.Value, fail *vm.Failure) {
	rt := r.root
	if fail != nil {
		en.logFailStateEntered(r)
	}
	if r.parent == nil {
		if fail != nil {
			en.finish(rt, Result{Status: Failed, Error: fail.Error, Cause: fail.Cause, HasError: fail.HasError, HasCause: fail.HasCause})
		} else {
			en.finish(rt, Result{Status: Succeeded, Output: out})
		}
		return
	}
	p := r.parent
	f := p.fork
	if f == nil || f.failed || p.cancelled {
		return
	}
	f.running--
	f.events += r.e.Events()
	if fail != nil {
		f.failed = true
		if f.spec.Map {
			en.iterationEvent(p, evMapIterationFailed, r.index)
		}
		for _, k := range f.kids {
			if k != nil && k != r {
				if f.spec.Map {
					en.iterationEvent(p, evMapIterationAborted, k.index)
				}
				en.cancel(k)
			}
		}
		if f.spec.Map {
			en.event(p, evMapFailed, "", nil)
		} else {
			en.event(p, evParallelFailed, "", nil)
		}
		p.fork = nil
		p.e.AddEvents(f.events)
		p.e.ResumeFailure(*fail)
		en.runq = append(en.runq, p)
		return
	}
	f.results[r.index] = out
	f.kids[r.index] = nil
	if f.spec.Map {
		en.iterationEvent(p, evMapIterationSucceeded, r.index)
	}
	if f.next < len(f.results) {
		en.startChild(p)
		return
	}
	if f.running == 0 {
		p.fork = nil
		if f.spec.Map {
			en.event(p, evMapSucceeded, "", nil)
		} else {
			en.event(p, evParallelSucceeded, "", nil)
		}
		p.e.AddEvents(f.events)
		p.e.ResumeValue(value.FromArray(f.results))
		en.runq = append(en.runq, p)
	}
}

// endTask ends r's task call: a late completion is ignored from now on.
// errName is "" for a successful call.
func (en *Engine) endTask(r *run, errName states.Name, cause string) {
	if r.task != nil {
		en.opts.Metrics.TaskCall(r.task.Resource, string(errName), time.Duration(en.clock.Now().UnixNano()-r.taskStart))
	}
	if r.taskSpan != nil {
		r.taskSpan.End(string(errName), cause)
		r.taskSpan = nil
	}
	r.inTask = false
	r.seq++
	en.tasks--
	r.root.inflight--
}

// cancel stops a run and its descendants: their task calls end, and
// pending timers, completions and queue entries for them are ignored.
func (en *Engine) cancel(r *run) {
	r.cancelled = true
	en.timers.remove(r.wakeTimer)
	r.wakeTimer = nil
	if r.inTask {
		en.timers.remove(r.taskTimer)
		r.taskTimer = nil
		en.endTask(r, states.Cancelled, "the branch or iteration was stopped")
	}
	if r.fork != nil {
		for _, k := range r.fork.kids {
			if k != nil {
				en.cancel(k)
			}
		}
	}
}

func (en *Engine) finish(rt *root, res Result) {
	if rt.finished {
		return
	}
	rt.finished = true
	en.active--

	en.timers.remove(rt.deadline)
	rt.deadline = nil
	// Task calls still in flight are abandoned: they are counted out here
	// and taskDone drops their completions by the finished flag.
	en.tasks -= int(rt.inflight)
	rt.inflight = 0
	res.ExecutionArn = rt.ctx.ExecutionID
	res.Name = rt.ctx.ExecutionName
	res.Start = rt.ctx.StartTime
	res.Stop = en.clock.Now()
	res.Transitions = rt.transitions
	en.logExecutionEnded(rt, &rt.top, &res)
	machine := rt.ctx.Machine.Name
	en.opts.Metrics.ExecutionEnded(machine, string(res.Status), res.Stop.Sub(res.Start), res.Transitions)
	en.opts.Metrics.InFlight(machine, -1)
	if res.Status == Succeeded {
		rt.span.End("", "")
	} else {
		rt.span.End(string(res.Error), res.Cause)
	}
	if rt.done != nil {
		rt.done(res)
	}
	// Nothing may keep the finished execution (and its payloads) alive:
	// its runs' pending timers leave the queue; its Execution is recycled
	// without its values. Stale references to the runs (late task
	// completions, queue entries) check rt.finished before touching them.
	en.release(&rt.top)
	if len(en.freeExecs) < maxFreeExecutions {
		rt.top.e.Release()
		en.freeExecs = append(en.freeExecs, rt.top.e)
	}
}

// release removes the pending timers of r and its descendants.
func (en *Engine) release(r *run) {
	en.timers.remove(r.wakeTimer)
	en.timers.remove(r.taskTimer)
	r.wakeTimer, r.taskTimer = nil, nil
	if r.fork != nil {
		for _, k := range r.fork.kids {
			if k != nil {
				en.release(k)
			}
		}
	}
}

// iterationEvent logs MapIteration{Started,Succeeded,Failed,Aborted}
// {name, index} on the Map's run.
func (en *Engine) iterationEvent(p *run, t evType, index int) {
	if p.root.log == nil {
		return
	}
	if !wants(p, t) {
		skip(p)
		return
	}
	name := p.fork.spec.State
	en.event(p, t, "", func() value.Value {
		return obj("name", value.FromString(name), "index", value.FromInt(int64(index)))
	})
}
