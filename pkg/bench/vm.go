package bench

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/expressd/expressd/pkg/value"
	"github.com/expressd/expressd/pkg/vm"
)

// VMOptions configures RunVM.
type VMOptions struct {
	Duration time.Duration // measuring time; default 5 s
	Workers  int           // goroutines, each with its own Machine; default 1
}

// VMResult is the report of RunVM. JSON field names are the stable
// interface of `expressd bench vm --json`.
type VMResult struct {
	Bench              string  `json:"bench"`
	Workload           string  `json:"workload"`
	Workers            int     `json:"workers"`
	DurationSec        float64 `json:"duration_sec"`
	Executions         int64   `json:"executions"`
	Transitions        int64   `json:"transitions"`
	TransitionsPerExec float64 `json:"transitions_per_exec"`
	ExecutionsPerSec   float64 `json:"executions_per_sec"`
	TransitionsPerSec  float64 `json:"transitions_per_sec"`
	// NsPerExec is wall time × workers / executions: the cost of one
	// execution on one worker.
	NsPerExec float64 `json:"ns_per_exec"`
	// CPUNsPerExec is the process CPU time (user + system) per execution:
	// steadier than NsPerExec on a machine shared with other work.
	CPUSec        float64 `json:"cpu_sec"`
	CPUNsPerExec  float64 `json:"cpu_ns_per_exec"`
	AllocsPerExec float64 `json:"allocs_per_exec"`
	BytesPerExec  float64 `json:"bytes_per_exec"`
	InputBytes    int     `json:"input_bytes"`
	OutputBytes   int     `json:"output_bytes"`
	Build
}

// VMRunner executes a program on JSON text with one reused vm.Machine and
// vm.Execution (and a free list of child Executions for Parallel branches
// and Map iterations, which it runs one after another). It is what one
// bench worker owns. Not safe for concurrent use.
type VMRunner struct {
	prog *vm.Program
	dec  value.Decoder
	m    vm.Machine
	e    vm.Execution
	ctx  vm.Context
	buf  []byte
	free []*vm.Execution
}

// NewVMRunner returns a runner for prog. It refuses programs with Task
// states (they need integrations: use bench e2e) and Wait states (they need
// timers: use bench parked), naming the state.
func NewVMRunner(prog *vm.Program) (*VMRunner, error) {
	for _, t := range prog.Tasks {
		return nil, fmt.Errorf("state %q is a Task (%s); bench vm runs workflows without integrations — use bench e2e",
			prog.States[t.State].Name, t.Resource)
	}
	for _, w := range prog.Waits {
		return nil, fmt.Errorf("state %q is a Wait; bench vm runs without timers — use bench parked or bench e2e",
			prog.States[w.State].Name)
	}
	name := prog.Name
	r := &VMRunner{prog: prog}
	r.ctx = vm.Context{
		ExecutionID:   "arn:aws:states:us-east-1:123456789012:express:" + name + ":bench:00000000-0000-4000-8000-000000000000",
		ExecutionName: "bench",
		StartTime:     time.Now(),
		Machine: &vm.MachineInfo{
			ID:      "arn:aws:states:us-east-1:123456789012:stateMachine:" + name,
			Name:    name,
			RoleArn: "arn:aws:iam::123456789012:role/expressd",
		},
		HasRedrive: true,
	}
	return r, nil
}

// errFailed is returned by Run for executions that did not succeed.
type errFailed struct{ f vm.Failure }

func (e errFailed) Error() string {
	return "execution FAILED: " + string(e.f.Error) + ": " + e.f.Cause
}

// Run executes the program on the JSON text in and returns the output JSON
// text (valid until the next call) and the number of transitions,
// Parallel branches and Map iterations included.
func (r *VMRunner) Run(in []byte) ([]byte, int64, error) {
	// As pkg/vm's benchmark and the daemon (a fresh buffer per message):
	// the input text is never modified, so strings may refer to it.
	v, err := r.dec.ParseOwned(in)
	if err != nil {
		return nil, 0, err
	}
	r.ctx.Input = v
	r.ctx.Invalidate()
	r.e.Reset(r.prog, 0, v, &r.ctx)
	r.e.SetInputSize(len(in))
	r.e.OwnInput()
	st, n, err := r.drive(&r.e)
	if err != nil {
		return nil, n, err
	}
	if st.Kind != vm.Succeeded {
		return nil, n, errFailed{st.Failure}
	}
	r.buf = value.AppendJSON(r.buf[:0], st.Output)
	return r.buf, n, nil
}

// drive runs e to its end, running Parallel and Map children inline.
func (r *VMRunner) drive(e *vm.Execution) (vm.Status, int64, error) {
	var kids int64
	for {
		st := r.m.Run(e, 0)
		switch st.Kind {
		case vm.Succeeded, vm.Failed:
			return st, e.Transitions() + kids, nil
		case vm.Budget:
		case vm.Fork:
			n, err := r.fork(e, &st.Fork)
			kids += n
			if err != nil {
				return st, e.Transitions() + kids, err
			}
		case vm.Yield:
			return st, e.Transitions() + kids, errors.New("a Task state yielded")
		case vm.Sleep:
			return st, e.Transitions() + kids, errors.New("a Wait state or retry back-off slept")
		default:
			return st, e.Transitions() + kids, fmt.Errorf("unexpected VM status %d", st.Kind)
		}
	}
}

// fork runs the children of a Parallel or Map one after another and
// resumes e with their outputs (or the first failure).
func (r *VMRunner) fork(e *vm.Execution, spec *vm.ForkSpec) (int64, error) {
	results := make([]value.Value, len(spec.Inputs))
	var total int64
	for i := range spec.Inputs {
		var c *vm.Execution
		pooled := len(r.prog.VarNames) == 0
		if pooled && len(r.free) > 0 {
			c = r.free[len(r.free)-1]
			r.free = r.free[:len(r.free)-1]
			c.Reset(r.prog, spec.Entries[i], spec.Inputs[i], &r.ctx)
		} else if pooled {
			c = &vm.Execution{}
			c.Reset(r.prog, spec.Entries[i], spec.Inputs[i], &r.ctx)
		} else {
			// Children see a copy of the parent's variables.
			c = e.Child(spec.Entries[i], spec.Inputs[i])
		}
		if spec.Map {
			c.SetMapItem(i, spec.Items[i])
		}
		st, n, err := r.drive(c)
		if pooled {
			r.free = append(r.free, c)
		}
		total += n
		if err != nil {
			return total, err
		}
		if st.Kind == vm.Failed {
			e.ResumeFailure(st.Failure)
			return total, nil
		}
		results[i] = st.Output
	}
	e.ResumeValue(value.FromArray(results))
	return total, nil
}

// RunVM checks the workload's output once, then runs it on opts.Workers
// goroutines for opts.Duration and reports the rates.
func RunVM(w *Workload, opts VMOptions) (*VMResult, error) {
	if opts.Duration <= 0 {
		opts.Duration = 5 * time.Second
	}
	if opts.Workers <= 0 {
		opts.Workers = 1
	}
	prog, err := w.Compile(w.Name, nil)
	if err != nil {
		return nil, err
	}
	runners := make([]*VMRunner, opts.Workers)
	var outLen int
	var perExec int64
	for i := range runners {
		if runners[i], err = NewVMRunner(prog); err != nil {
			return nil, err
		}
		// Check the output on every worker (warms its buffers, too).
		out, n, err := runners[i].Run(w.Input)
		if err != nil {
			return nil, err
		}
		if err := w.CheckOutput(out); err != nil {
			return nil, err
		}
		outLen, perExec = len(out), n
	}
	var stop atomic.Bool
	execs := make([]int64, opts.Workers)
	trans := make([]int64, opts.Workers)
	errs := make([]error, opts.Workers)
	var ready, wg sync.WaitGroup
	startGate := make(chan struct{})
	ready.Add(opts.Workers)
	wg.Add(opts.Workers)
	for i := range opts.Workers {
		go func() {
			defer wg.Done()
			r := runners[i]
			var n, t int64
			ready.Done()
			<-startGate
			for !stop.Load() {
				for range 16 {
					_, k, err := r.Run(w.Input)
					if err != nil {
						errs[i] = err
						stop.Store(true)
						break
					}
					n++
					t += k
				}
			}
			execs[i], trans[i] = n, t
		}()
	}
	ready.Wait()
	runtime.GC()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	c0 := CPUTime()
	t0 := time.Now()
	close(startGate)
	time.Sleep(opts.Duration)
	stop.Store(true)
	wg.Wait()
	elapsed := time.Since(t0)
	cpu := CPUTime() - c0
	runtime.ReadMemStats(&m1)
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	res := &VMResult{Bench: "vm", Workload: w.Name, Workers: opts.Workers, DurationSec: elapsed.Seconds(),
		InputBytes: len(w.Input), OutputBytes: outLen, TransitionsPerExec: float64(perExec), Build: BuildInfo()}
	for i := range execs {
		res.Executions += execs[i]
		res.Transitions += trans[i]
	}
	if res.Executions > 0 {
		e := float64(res.Executions)
		res.ExecutionsPerSec = e / elapsed.Seconds()
		res.TransitionsPerSec = float64(res.Transitions) / elapsed.Seconds()
		res.NsPerExec = float64(elapsed.Nanoseconds()) * float64(opts.Workers) / e
		res.CPUSec = cpu.Seconds()
		res.CPUNsPerExec = float64(cpu.Nanoseconds()) / e
		res.AllocsPerExec = float64(m1.Mallocs-m0.Mallocs) / e
		res.BytesPerExec = float64(m1.TotalAlloc-m0.TotalAlloc) / e
	}
	return res, nil
}
