package vm

import (
	"math"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/expressd/expressd/pkg/jsonpath"
	"github.com/expressd/expressd/pkg/states"
	"github.com/expressd/expressd/pkg/value"
)

// PayloadLimit is the Step Functions payload quota: 256 KiB of UTF-8 JSON
// for execution input, state input and output and task results. Larger
// values fail with States.DataLimitExceeded.
const PayloadLimit = 256 * 1024

// MaxWaitSeconds is the longest delay a Wait state accepts: AWS rejects
// delays of 2^31 seconds or more ("Wait state delay is too long.").
const MaxWaitSeconds = math.MaxInt32

// Kind says why Run returned.
type Kind uint8

// Status kinds.
const (
	// Succeeded: the execution (or branch) ended with Status.Output.
	Succeeded Kind = iota + 1
	// Failed: the execution ended with Status.Failure.
	Failed
	// Yield: call task Status.Task with Status.Input, then ResumeValue or
	// ResumeFailure and Run again.
	Yield
	// Sleep: Run again at Status.Until (Wait state or retry back-off).
	Sleep
	// Fork: run Status.Fork's children, then ResumeValue with their outputs
	// in order (or ResumeFailure with the first failure) and Run again.
	Fork
	// Budget: the transition budget of this Run call is used up; Run again
	// (the engine checks the execution timeout and fairness in between).
	Budget
)

// ForkSpec describes the children of a Parallel or Map state.
type ForkSpec struct {
	Entries        []uint32      // entry pc per child (Map: the same processor entry for every item)
	Inputs         []value.Value // input per child
	Map            bool          // children are Map iterations (Items[i] is $$.Map.Item.Value)
	Items          []value.Value
	MaxConcurrency int // 0 = unlimited
	State          string
}

// Status is the outcome of one Run call.
type Status struct {
	Kind    Kind
	Output  value.Value
	Failure Failure
	Task    uint32
	Input   value.Value
	Until   time.Time
	Retry   bool // Sleep is a retry back-off
	Fork    ForkSpec
	// TimeoutSeconds is the Task's timeout (TimeoutSeconds or the value at
	// TimeoutSecondsPath), 0 when it has none.
	TimeoutSeconds int64
}

// Machine runs Executions. It holds only scratch space, so one Machine per
// worker goroutine serves any number of executions of any programs.
//
// A Machine is not safe for concurrent use.
type Machine struct {
	// Now returns the current time; nil means time.Now. Engines with a
	// virtual clock (tests, `expressd run` replays) set it.
	Now func() time.Time
	// Rand returns a float in [0,1) for JitterStrategy FULL; nil means math/rand/v2.
	Rand func() float64

	e     *Execution
	intr  *Intrinsic
	idoc  value.Value // $ for the intrinsic being evaluated
	trace Tracer
}

// Tracer observes state transitions (execution logs). A nil Tracer costs
// nothing. A Tracer must not keep the values it is given beyond the call
// (it encodes what it records): the VM may update an object it owns in
// place afterwards.
type Tracer interface {
	StateEntered(e *Execution, state int, input value.Value)
	StateExited(e *Execution, state int, output value.Value)
}

// SetTracer installs t (nil to remove it).
func (m *Machine) SetTracer(t Tracer) { m.trace = t }

func (m *Machine) now() time.Time {
	if m.Now != nil {
		return m.Now()
	}
	return time.Now()
}

// Run runs e until it ends or yields, entering at most budget states
// (budget <= 0 means no limit).
func (m *Machine) Run(e *Execution, budget int) Status {
	m.e = e
	defer func() { m.e = nil }()
	p := e.prog
	code := p.Code

	switch e.resumeKind {
	case resumeFailure:
		e.resumeKind = resumeNone
		f := *e.resumeFail
		e.resumeFail = nil
		if st, ok := m.fail(e, e.pc-1, f); !ok {
			return st
		}
	case resumeValue:
		e.resumeKind = resumeNone
	}

	pc := e.pc
	entered := 0
	for {
		in := code[pc]
		pc++
		switch in.Op {
		case OpNop:
		case OpEnter:
			if budget > 0 {
				// The first state of a slice always runs, so every slice
				// makes progress whatever the budget.
				if entered >= budget {
					e.pc = pc - 1
					return Status{Kind: Budget}
				}
				entered++
			}
			e.state = int32(in.A)
			e.transitions++
			e.events++
			e.stateEvent = e.events
			e.retryCount = 0
			if a := e.aux; a != nil {
				a.retries = a.retries[:0]
				a.ctxValid = false
			}
			if p.UsesContext {
				e.enteredAt = m.now().UnixNano()
			}
			e.regs[RegEff] = e.regs[RegIn]
			e.sizes[RegEff] = e.sizes[RegIn]
			if e.counter != nil {
				e.countEvent()
			}
			if m.trace != nil {
				m.trace.StateEntered(e, int(in.A), e.regs[RegIn])
			}
		case OpMove:
			s, d := unpackRegs(in.B)
			e.regs[d] = e.regs[s]
			e.sizes[d] = e.sizes[s]
		case OpConst:
			e.regs[in.B] = p.Consts[in.A]
			e.sizes[in.B] = p.ConstSizes[in.A]
		case OpEmpty:
			e.regs[in.B] = value.EmptyObject()
			e.sizes[in.B] = 2
		case OpPath:
			s, d := unpackRegs(in.B)
			v, err := m.getPath(in.A, e.regs[s])
			if err != nil {
				if st, ok := m.failAt(e, pc-1, m.pathFailure(in.A, err)); !ok {
					return st
				}
				pc = e.pc
				continue
			}
			e.regs[d] = v
			if p.Paths[in.A].Definite() && p.Paths[in.A].Root() == jsonpath.RootInput {
				e.sizes[d] = e.sizes[s] // a part of the source is no larger
			} else {
				e.sizes[d] = -1
			}
		case OpTemplate:
			e.owned = value.Value{} // the result may embed src
			s, d := unpackRegs(in.B)
			t := &p.Templates[in.A]
			v, f, ok := m.evalNode(&t.Root, e.regs[s])
			if !ok {
				if st, ok := m.failAt(e, pc-1, f); !ok {
					return st
				}
				pc = e.pc
				continue
			}
			e.regs[d] = v
			e.sizes[d] = -1
		case OpResultPath:
			path := p.Paths[in.A]
			if name, ok := path.Member(); ok && value.Same(e.owned, e.regs[RegIn]) && !value.Same(e.regs[RegRes], e.owned) &&
				e.regs[RegIn].SetOwned(name, e.regs[RegRes]) {
				e.regs[RegOut] = e.regs[RegIn]
				if si, sr := e.sizes[RegIn], e.sizes[RegRes]; si >= 0 && sr >= 0 {
					e.sizes[RegOut] = si + sr + 6*len(name) + 8 // a name byte escapes to at most 6
				} else {
					e.sizes[RegOut] = -1
				}
				break
			}
			v, err := path.Set(e.regs[RegIn], e.regs[RegRes])
			if err != nil {
				f := Fail(states.ResultPathMatchFailure, "Unable to apply ResultPath \""+path.String()+"\" to input "+value.Value.JSON(e.regs[RegIn])+": "+err.Error())
				if st, ok := m.failAt(e, pc-1, f); !ok {
					return st
				}
				pc = e.pc
				continue
			}
			e.regs[RegOut] = v
			if !path.IsRootOnly() {
				e.owned = v // Set built a new top-level container
			}
			// The result replaces or adds one member on the path; each
			// created level adds at most the path's text and punctuation.
			if si, sr := e.sizes[RegIn], e.sizes[RegRes]; si >= 0 && sr >= 0 {
				e.sizes[RegOut] = si + sr + 6*len(path.String()) + 8
			} else {
				e.sizes[RegOut] = -1
			}
		case OpAssign:
			e.owned = value.Value{} // variables may keep src
			if f, ok := m.assign(&p.Assigns[in.A], e.regs[in.B]); !ok {
				if st, ok := m.failAt(e, pc-1, f); !ok {
					return st
				}
				pc = e.pc
				continue
			}
		case OpCheckSize:
			if sz := e.sizes[in.B]; sz >= 0 && sz <= PayloadLimit {
				break
			}
			sz := value.Size(e.regs[in.B])
			e.sizes[in.B] = sz
			if sz > PayloadLimit {
				name := p.States[e.state].Name
				f := Fail(states.DataLimitExceeded, "The state/task '"+name+"' returned a result with a size exceeding the maximum number of bytes service limit.")
				if st, ok := m.failAt(e, pc-1, f); !ok {
					return st
				}
				pc = e.pc
				continue
			}
		case OpGoto:
			m.leave(e, e.regs[RegOut])
			e.sizes[RegIn] = e.sizes[RegOut]
			pc = in.A
		case OpJump:
			pc = in.A
		case OpTest:
			ok, good := m.compare(&p.Compares[in.A], e.regs[RegEff])
			if !good {
				f := m.compareFailure(&p.Compares[in.A], e.regs[RegEff])
				if st, ok := m.failAt(e, pc-1, f); !ok {
					return st
				}
				pc = e.pc
				continue
			}
			if !ok {
				pc = in.B
			}
		case OpNoChoice:
			// AWS reports no cause text for States.NoChoiceMatched beyond the state name.
			f := Fail(states.NoChoiceMatched, "No Matches!")
			if st, ok := m.failAt(e, pc-1, f); !ok {
				return st
			}
			pc = e.pc
			continue
		case OpTask:
			e.owned = value.Value{} // the task keeps its input
			t := &p.Tasks[in.A]
			timeout := t.TimeoutSeconds
			if t.TimeoutPath >= 0 {
				n, f, ok := m.timeoutSeconds(uint32(t.TimeoutPath), e.regs[RegIn])
				if !ok {
					if st, ok := m.failAt(e, pc-1, f); !ok {
						return st
					}
					pc = e.pc
					continue
				}
				timeout = n
			}
			e.pc = pc
			e.events += 2 // TaskScheduled, TaskStarted
			return Status{Kind: Yield, Task: in.A, Input: e.regs[RegEff], TimeoutSeconds: timeout}
		case OpWait:
			until, f, ok := m.waitUntil(&p.Waits[in.A], e.regs[RegEff])
			if !ok {
				if st, ok := m.failAt(e, pc-1, f); !ok {
					return st
				}
				pc = e.pc
				continue
			}
			e.pc = pc
			return Status{Kind: Sleep, Until: until}
		case OpParallel:
			e.owned = value.Value{} // the branches share the input
			par := &p.Parallels[in.A]
			inputs := make([]value.Value, len(par.Branches))
			for i := range inputs {
				inputs[i] = e.regs[RegEff]
			}
			e.pc = pc
			e.events++ // ParallelStateStarted
			return Status{Kind: Fork, Fork: ForkSpec{Entries: par.Branches, Inputs: inputs, State: p.States[par.State].Name}}
		case OpMap:
			e.owned = value.Value{} // the iterations share parts of the input
			spec, f, ok := m.mapFork(&p.Maps[in.A], e.regs[RegEff])
			if !ok {
				if st, ok := m.failAt(e, pc-1, f); !ok {
					return st
				}
				pc = e.pc
				continue
			}
			e.pc = pc
			e.events++ // MapStateStarted
			return Status{Kind: Fork, Fork: spec}
		case OpSucceed:
			out := e.regs[RegOut]
			if e.counter != nil && e.state >= 0 {
				e.countEvent()
			}
			if m.trace != nil && e.state >= 0 {
				m.trace.StateExited(e, int(e.state), out)
			}
			e.events++
			e.commitVars()
			e.done = true
			e.pc = pc - 1
			return Status{Kind: Succeeded, Output: out}
		case OpFail:
			f := m.failState(&p.Fails[in.A])
			e.done = true
			e.pc = pc - 1
			f.State = p.States[e.state].Name
			return Status{Kind: Failed, Failure: f}
		default:
			panic("vm: invalid opcode " + strconv.Itoa(int(in.Op)) + " at pc " + strconv.Itoa(int(pc-1)))
		}
	}
}

// failAt handles a failure raised by the instruction at pc. It returns
// ok=true when a Catch moved the execution to another state (e.pc is the
// new pc), and the Status to return otherwise (execution failed, or a retry
// back-off Sleep).
// Failures raised by the VM itself carry AWS's prefix naming the state;
// failures resumed from a task or a child execution arrive complete.
func (m *Machine) failAt(e *Execution, pc uint32, f Failure) (Status, bool) {
	if f.Error == states.Runtime && f.HasCause && e.state >= 0 {
		f.Cause = "An error occurred while executing the state '" + e.prog.States[e.state].Name + "' (entered at the event id #" + strconv.FormatInt(e.stateEvent, 10) + "). " + f.Cause
	}
	return m.fail(e, pc, f)
}

func (m *Machine) fail(e *Execution, pc uint32, f Failure) (Status, bool) {
	p := e.prog
	if e.state >= 0 {
		f.State = p.States[e.state].Name
	}
	e.events++ // the failure event (TaskFailed, ExecutionFailed, …)
	if e.state >= 0 && f.Error != states.Runtime {
		if hi := p.States[e.state].Handler; hi >= 0 {
			h := &p.Handlers[hi]
			if pc >= h.Start && pc < h.End {
				for i := range h.Retriers {
					r := &h.Retriers[i]
					if !errorMatches(r.ErrorEquals, f.Error) {
						continue
					}
					a := e.x()
					for len(a.retries) < len(h.Retriers) {
						a.retries = append(a.retries, 0)
					}
					if a.retries[i] >= r.MaxAttempts {
						break // exhausted: go to Catch; later retriers are not consulted
					}
					a.retries[i]++
					e.retryCount++
					a.ctxValid = false
					d := r.IntervalSeconds * math.Pow(r.BackoffRate, float64(a.retries[i]-1))
					if r.MaxDelaySeconds > 0 && d > r.MaxDelaySeconds {
						d = r.MaxDelaySeconds
					}
					if r.FullJitter {
						d *= m.rand()
					}
					e.pc = h.Retry
					a.pending = a.pending[:0] // the retried state assigns afresh
					e.regs[RegEff] = e.regs[RegIn]
					e.sizes[RegEff] = e.sizes[RegIn]
					return Status{Kind: Sleep, Until: m.now().Add(time.Duration(d * float64(time.Second))), Retry: true}, false
				}
				for i := range h.Catchers {
					c := &h.Catchers[i]
					if !errorMatches(c.ErrorEquals, f.Error) {
						continue
					}
					errObj := errorOutput(f)
					switch c.ResultPath {
					case ResultPathRoot:
						e.regs[RegOut] = errObj
					case ResultPathNull:
						e.regs[RegOut] = e.regs[RegIn]
					default:
						v, err := p.Paths[c.ResultPath].Set(e.regs[RegIn], errObj)
						if err != nil {
							e.done = true
							return Status{Kind: Failed, Failure: Failure{Error: states.Runtime, HasError: true, HasCause: true, State: f.State,
								Cause: "An error occurred while executing the state '" + f.State + "' (entered at the event id #" + strconv.FormatInt(e.stateEvent, 10) + "). Unable to apply ResultPath to the error output: " + err.Error()}}, false
						}
						e.regs[RegOut] = v
					}
					if e.aux != nil {
						e.aux.pending = e.aux.pending[:0]
					}
					if c.Assign >= 0 {
						if af, ok := m.assign(&p.Assigns[c.Assign], errObj); !ok {
							e.done = true
							af.State = f.State
							if af.Error == states.Runtime && af.HasCause {
								af.Cause = "An error occurred while executing the state '" + f.State + "' (entered at the event id #" + strconv.FormatInt(e.stateEvent, 10) + "). " + af.Cause
							}
							return Status{Kind: Failed, Failure: af}, false
						}
					}
					m.leave(e, e.regs[RegOut])
					e.sizes[RegIn] = -1
					e.pc = c.Next
					return Status{}, true
				}
			}
		}
	}
	e.done = true
	return Status{Kind: Failed, Failure: f}, false
}

func (m *Machine) rand() float64 {
	if m.Rand != nil {
		return m.Rand()
	}
	return rand.Float64()
}

// errorMatches reports whether a Retrier/Catcher ErrorEquals list matches
// the error name. States.ALL and States.TaskFailed are wildcards;
// States.Runtime is never caught (handled by the caller).
func errorMatches(list []string, name states.Name) bool {
	for _, x := range list {
		switch states.Name(x) {
		case name:
			return true
		case states.ALL:
			return true
		case states.TaskFailed:
			if name != states.Timeout {
				return true
			}
		}
	}
	return false
}

// errorOutput is the catcher input {"Error": …, "Cause": …}.
func errorOutput(f Failure) value.Value {
	keys := make([]string, 0, 2)
	vals := make([]value.Value, 0, 2)
	if f.HasError {
		keys = append(keys, "Error")
		vals = append(vals, value.FromString(string(f.Error)))
	}
	if f.HasCause {
		keys = append(keys, "Cause")
		vals = append(vals, value.FromString(f.Cause))
	}
	return value.FromObject(keys, vals)
}

// leave ends the current state with output out: its exit event, its
// variable assignments, and out becoming the next state's input.
func (m *Machine) leave(e *Execution, out value.Value) {
	if e.counter != nil {
		e.countEvent()
	}
	if m.trace != nil {
		m.trace.StateExited(e, int(e.state), out)
	}
	e.events++
	e.commitVars()
	e.regs[RegIn] = out
}

// commitVars applies the pending assignments of the state being left.
func (e *Execution) commitVars() {
	a := e.aux
	if a == nil || len(a.pending) == 0 {
		return
	}
	for _, pv := range a.pending {
		e.vars[pv.slot] = pv.v
		e.varSet[pv.slot] = true
	}
	clear(a.pending)
	a.pending = a.pending[:0]
}
