package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"runtime/pprof"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/expressd/expressd/pkg/engine"
	"github.com/expressd/expressd/pkg/value"
)

// ParkedOptions configures RunParked.
type ParkedOptions struct {
	Executions int // default 100,000
	// Chunk is the number of executions started between two passes of the
	// engine loop (default 8192), as a consumer would feed them.
	Chunk    int
	Progress io.Writer
	TTY      bool
	// HeapProfile, when set, receives a heap profile taken while every
	// execution is parked (pprof -sample_index=inuse_space shows what each
	// parked execution holds).
	HeapProfile io.Writer
}

// ParkedResult is the report of RunParked. JSON field names are the
// stable interface of `expressd bench parked --json`.
type ParkedResult struct {
	Bench      string `json:"bench"`
	Workload   string `json:"workload"`
	Executions int    `json:"executions"`
	Parked     int    `json:"parked"`
	// HeapBefore and HeapAfter are HeapAlloc after two GCs, before the
	// first start and with every execution parked.
	HeapBefore uint64 `json:"heap_before_bytes"`
	HeapAfter  uint64 `json:"heap_after_bytes"`
	// BytesPerExec is the heap growth per parked execution, input included.
	BytesPerExec float64 `json:"bytes_per_exec"`
	// PayloadBytes is the input's JSON text length. BeyondPayload is
	// BytesPerExec minus the payload as the execution holds it in memory
	// (InputValueBytes: its text and decoded value): the engine's own cost
	// of a parked execution, whose target is ≤ 1 KiB.
	PayloadBytes  int     `json:"payload_bytes"`
	BeyondPayload float64 `json:"bytes_per_exec_beyond_payload"`
	// InputValueBytes is the heap one copy of the input takes as an
	// execution holds it (text and decoded value), measured separately.
	InputValueBytes float64 `json:"input_value_bytes"`
	// ParkSec is the time to start and park all executions.
	ParkSec      float64 `json:"park_sec"`
	ParkedPerSec float64 `json:"parked_per_sec"`
	Build
}

// RunParked starts opts.Executions executions of the workload on one
// engine (real clock), runs the engine until every one is parked in its
// Wait, and measures the live heap per parked execution. The workload must
// park (a Wait longer than the run, under the 5-minute cap: 240 s in
// bench/workloads/wait-heavy). The executions are abandoned afterwards.
func RunParked(w *Workload, opts ParkedOptions) (*ParkedResult, error) {
	if opts.Executions <= 0 {
		opts.Executions = 100_000
	}
	if opts.Chunk <= 0 {
		opts.Chunk = 8192
	}
	prog, err := w.Compile(w.Name, nil)
	if err != nil {
		return nil, err
	}
	if len(prog.Waits) == 0 {
		return nil, errors.New("the definition has no Wait state to park in")
	}
	if _, err := value.Parse(w.Input); err != nil {
		return nil, err
	}
	res := &ParkedResult{Bench: "parked", Workload: w.Name, Executions: opts.Executions, PayloadBytes: len(w.Input), Build: BuildInfo()}
	res.InputValueBytes = inputValueBytes(w.Input)

	var finished atomic.Int64
	var firstEnd atomic.Value
	done := func(r engine.Result) {
		if finished.Add(1) == 1 {
			firstEnd.Store(r)
		}
	}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel() // Run with a cancelled context makes one pass of the loop and returns
	var started atomic.Int64
	prog2 := NewProgress(opts.Progress, opts.TTY, "parked "+w.Name, int64(opts.Executions), func() (int64, string) {
		return started.Load(), ""
	})

	heapBefore := liveHeap()
	t0 := time.Now()
	prog2.Start()
	en := engine.New(engine.Options{})
	for i := 0; i < opts.Executions; {
		end := min(opts.Executions, i+opts.Chunk)
		for ; i < end; i++ {
			// Each execution holds its own payload, as an event would: a copy
			// of the text, parsed in place (as the binding parses messages).
			v, _ := value.ParseOwned(append([]byte(nil), w.Input...))
			en.Start(engine.Start{Program: prog, Input: v, InputSize: len(w.Input), OwnInput: true,
				Name: "p-" + strconv.Itoa(i), Done: done})
		}
		// Two passes: the first starts the executions and runs them to their
		// Wait; the second finds nothing left to run.
		_ = en.Run(cancelled)
		_ = en.Run(cancelled)
		started.Store(int64(end))
	}
	parkTime := time.Since(t0)
	prog2.Stop()
	if n := finished.Load(); n > 0 {
		r := firstEnd.Load().(engine.Result)
		return nil, fmt.Errorf("%d executions ended instead of parking (first: %s %s %s) — is the Wait long enough?",
			n, r.Status, r.Error, r.Cause)
	}
	res.Parked = en.Active()
	heapAfter := liveHeap()
	if opts.HeapProfile != nil {
		if err := pprof.WriteHeapProfile(opts.HeapProfile); err != nil {
			return nil, err
		}
	}
	runtime.KeepAlive(en)
	res.HeapBefore, res.HeapAfter = heapBefore, heapAfter
	res.ParkSec = parkTime.Seconds()
	res.ParkedPerSec = float64(opts.Executions) / parkTime.Seconds()
	if heapAfter > heapBefore {
		res.BytesPerExec = float64(heapAfter-heapBefore) / float64(opts.Executions)
	}
	res.BeyondPayload = res.BytesPerExec - res.InputValueBytes
	if res.Parked != opts.Executions {
		return res, fmt.Errorf("%d of %d executions parked", res.Parked, opts.Executions)
	}
	return res, nil
}

// liveHeap returns HeapAlloc after two garbage collections.
func liveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// inputValueBytes measures the heap of one parsed copy of in.
func inputValueBytes(in []byte) float64 {
	const n = 4096
	keep := make([]value.Value, n)
	before := liveHeap()
	for i := range keep {
		keep[i], _ = value.ParseOwned(append([]byte(nil), in...))
	}
	after := liveHeap()
	runtime.KeepAlive(keep)
	if after < before {
		return 0
	}
	return float64(after-before) / n
}
