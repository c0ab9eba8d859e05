package vm

import (
	"time"

	"github.com/expressd/expressd/pkg/states"
	"github.com/expressd/expressd/pkg/value"
)

// Context is the execution-wide part of the context object ($$): what
// $$.Execution and $$.StateMachine report. It is shared by an execution and
// all its Parallel/Map children and must not change once the execution runs.
type Context struct {
	ExecutionID   string // execution ARN
	ExecutionName string
	StartTime     time.Time
	Input         value.Value
	Machine       *MachineInfo // shared by every execution of the machine
	// RedriveCount is reported as $$.Execution.RedriveCount when HasRedrive
	// (asynchronous executions); synchronous Express executions omit it.
	HasRedrive bool

	// The $$.Execution and $$.StateMachine objects, built on first use by
	// the executions of this context (all on one engine goroutine).
	built          bool
	execObj, smObj value.Value
}

// Invalidate drops the objects built from c, for a Context reused for
// another execution after its fields changed.
func (c *Context) Invalidate() { c.built = false }

// MachineInfo is the per-machine part of the context object.
type MachineInfo struct {
	ID      string // state machine ARN
	Name    string
	RoleArn string
}

var noMachine = &MachineInfo{}

// machine returns c's MachineInfo, never nil.
func (c *Context) machine() *MachineInfo {
	if c.Machine == nil {
		return noMachine
	}
	return c.Machine
}

// Failure is an ASL runtime failure: data matched by Retry and Catch and
// reported as an execution's error and cause. It is not a Go error.
type Failure struct {
	Error    states.Name
	Cause    string
	HasError bool // Error is set (a Fail state may have no Error)
	HasCause bool
	State    string // the state that failed
}

// Fail builds a Failure with both error and cause set.
func Fail(name states.Name, cause string) Failure {
	return Failure{Error: name, Cause: cause, HasError: true, HasCause: true}
}

// resume says how a yielded execution continues.
type resume uint8

const (
	resumeNone resume = iota
	resumeValue
	resumeFailure
)

// pendingVar is a variable assignment waiting for the end of its state.
type pendingVar struct {
	slot uint32
	v    value.Value
}

// Execution is the resumable state of one run of a Program (the top-level
// machine, a Parallel branch or a Map iteration). The VM keeps every piece
// of state here, not on the Go stack, so an execution can yield at a Task,
// Wait, Parallel or Map and be resumed later by any Machine.
//
// An Execution is not safe for concurrent use.
type Execution struct {
	prog *Program
	pc   uint32
	regs [numRegs]value.Value
	// sizes holds an upper bound of the JSON size of each register, -1 when
	// unknown, so that OpCheckSize walks a value only when its size may be
	// near the payload limit.
	sizes [numRegs]int
	state int32 // current state index, -1 before the first OpEnter
	// owned is an object this execution built (a ResultPath copy) and has
	// not shared since: a later ResultPath "$.name" on it may update it in
	// place instead of copying it. Any escape of a register value clears it.
	owned value.Value

	enteredAt  int64 // unix nanoseconds, set only when the program reads $$
	retryCount int64 // retries of the current state ($$.State.RetryCount)
	vars       []value.Value
	varSet     []bool
	ctx        *Context
	// aux holds what only some executions need (retry counters, pending
	// variables, the cached context object, the Map item); allocated on
	// first use, so a simple execution stays small (parked executions).
	aux         *execAux
	resumeKind  resume
	resumeFail  *Failure // only while resuming with a failure
	events      int64    // AWS history event counter (for "entered at the event id #N")
	stateEvent  int64
	transitions int64
	// counter, when set, numbers the execution's history events across all
	// its runs (logs); lastEv and prevEv are this run's last two ids.
	counter        *int64
	lastEv, prevEv int64
	done           bool
}

// execAux is the lazily allocated part of an Execution.
type execAux struct {
	retries   []int64 // attempts used per retrier of the current state's handler
	pending   []pendingVar
	ctxCache  value.Value
	ctxValid  bool
	hasItem   bool
	itemIndex int
	itemValue value.Value
}

// x returns the aux part, allocating it on first use.
func (e *Execution) x() *execAux {
	if e.aux == nil {
		e.aux = &execAux{}
	}
	return e.aux
}

// NewExecution returns an execution of p that starts at the first state
// with the given input.
func NewExecution(p *Program, input value.Value, ctx *Context) *Execution {
	e := &Execution{}
	e.Reset(p, 0, input, ctx)
	return e
}

// Reset reinitialises e to run p from entry with input, keeping its
// allocated scratch space. Engines reuse Executions through it.
func (e *Execution) Reset(p *Program, entry uint32, input value.Value, ctx *Context) {
	e.prog = p
	e.pc = entry
	e.regs = [numRegs]value.Value{input, input, value.Value{}, input}
	e.sizes = [numRegs]int{-1, -1, -1, -1}
	e.owned = value.Value{}
	e.state = -1
	e.retryCount = 0
	n := len(p.VarNames)
	if cap(e.vars) < n {
		e.vars = make([]value.Value, n)
		e.varSet = make([]bool, n)
	}
	e.vars = e.vars[:n]
	e.varSet = e.varSet[:n]
	clear(e.vars)
	clear(e.varSet)
	e.ctx = ctx
	if a := e.aux; a != nil {
		a.retries = a.retries[:0]
		clear(a.pending)
		a.pending = a.pending[:0]
		*a = execAux{retries: a.retries, pending: a.pending}
	}
	e.resumeKind = resumeNone
	e.events = 1 // ExecutionStarted
	e.stateEvent = 0
	e.transitions = 0
	e.done = false
	e.counter = nil
	e.lastEv, e.prevEv = 0, 0
}

// Child returns a new execution of the same program for a Parallel branch
// or Map iteration that starts at entry with input. The child sees the
// parent's variables (a copy: siblings are isolated and cannot write the
// parent's scope) and shares its Context.
func (e *Execution) Child(entry uint32, input value.Value) *Execution {
	c := &Execution{}
	c.Reset(e.prog, entry, input, e.ctx)
	copy(c.vars, e.vars)
	copy(c.varSet, e.varSet)
	c.events = e.events
	return c
}

// SetInputSize records an upper bound of the input's JSON size (the length
// of the text it was parsed from), sparing a walk of the input for the
// payload limit checks.
func (e *Execution) SetInputSize(n int) {
	e.sizes = [numRegs]int{n, n, -1, n}
}

// OwnInput declares that the execution's input object belongs to the
// execution alone (the caller parsed it for this execution and keeps no
// reference), so states may update it in place instead of copying it.
// It has no effect when the program reads the context object, whose
// $$.Execution.Input must keep the original input.
func (e *Execution) OwnInput() {
	if !e.prog.UsesContext && e.regs[RegIn].Kind() == value.Object {
		e.owned = e.regs[RegIn]
	}
}

// SetMapItem makes $$.Map.Item.Index and $$.Map.Item.Value available.
func (e *Execution) SetMapItem(index int, v value.Value) {
	a := e.x()
	a.hasItem = true
	a.itemIndex = index
	a.itemValue = v
	a.ctxValid = false
}

// Program returns the program e runs.
func (e *Execution) Program() *Program { return e.prog }

// Transitions returns the number of states entered so far (AWS bills these).
func (e *Execution) Transitions() int64 { return e.transitions }

// Events returns the number of AWS history events this execution would
// have produced so far.
func (e *Execution) Events() int64 { return e.events }

// AddEvents accounts for history events produced outside the VM (Task
// scheduled/started, children of a Parallel or Map).
func (e *Execution) AddEvents(n int64) { e.events += n }

// State returns the index of the current state, -1 before the first.
func (e *Execution) State() int { return int(e.state) }

// Done reports whether the execution has ended.
func (e *Execution) Done() bool { return e.done }

// ResumeValue continues a yielded Task, Parallel or Map with its result.
func (e *Execution) ResumeValue(v value.Value) {
	e.regs[RegRes] = v
	e.sizes[RegRes] = -1
	e.resumeKind = resumeValue
}

// ResumeFailure continues a yielded Task, Parallel or Map with a failure;
// the state's Retry and Catch apply.
func (e *Execution) ResumeFailure(f Failure) {
	e.resumeFail = &f
	e.resumeKind = resumeFailure
}

// PendingAssignments calls fn for each variable the current state assigns
// (visible to a Tracer's StateExited, before they take effect).
func (e *Execution) PendingAssignments(fn func(name string, v value.Value)) {
	if e.aux == nil {
		return
	}
	for _, pv := range e.aux.pending {
		fn(e.prog.VarNames[pv.slot], pv.v)
	}
}

// SetEventCounter makes the VM number state entered/exited events with a
// counter shared by the execution and all its children (execution logs);
// the engine numbers its own events (tasks, Map, Parallel) with it too.
func (e *Execution) SetEventCounter(c *int64) { e.counter = c }

// countEvent takes the next event id for this run.
func (e *Execution) countEvent() {
	*e.counter++
	e.prevEv, e.lastEv = e.lastEv, *e.counter
}

// LastEvent returns the id of this run's last event and the one before it.
func (e *Execution) LastEvent() (last, prev int64) { return e.lastEv, e.prevEv }

// SetLastEvent records an event the engine numbered for this run.
func (e *Execution) SetLastEvent(id int64) { e.prevEv, e.lastEv = e.lastEv, id }

// StateInput returns the raw input of the current state.
func (e *Execution) StateInput() value.Value { return e.regs[RegIn] }

// Release drops every value e refers to (registers, variables, cached
// context, Map item) while keeping its allocated space, so that a recycled
// Execution does not keep a finished execution's payloads alive.
func (e *Execution) Release() {
	e.regs = [numRegs]value.Value{}
	e.owned = value.Value{}
	clear(e.vars)
	e.ctx = nil
	e.resumeFail = nil
	if a := e.aux; a != nil {
		clear(a.pending)
		a.pending = a.pending[:0]
		*a = execAux{retries: a.retries[:0], pending: a.pending}
	}
}
