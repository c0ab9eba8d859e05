package sinks

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/expressd/expressd/pkg/telemetry"
)

// Dispatcher limits. A sink that falls behind loses records, never
// slows an execution: Emit only ever does a non-blocking channel send.
const (
	// DefaultBuffer is the queue length per sink when Named.Buffer is 0:
	// 64 Ki records (≈ 8 MiB of Record headers) absorb a burst of several
	// seconds of ALL-level logging at typical rates while a sink reconnects.
	DefaultBuffer = 65536
	// maxBatch caps the records handed to one Write: large enough to
	// amortize a syscall or a network round trip, small enough that a
	// retried batch is cheap.
	maxBatch = 512
	// batchWait is how long a partial batch waits for more records: it
	// bounds the delay a record sees in a quiet system.
	batchWait = 100 * time.Millisecond
	// warnEvery rate-limits the "records dropped" warning per sink.
	warnEvery = 10 * time.Second
	// minBackoff and maxBackoff bound the wait between retries of a
	// failed Write (doubling from min to max).
	minBackoff = 50 * time.Millisecond
	maxBackoff = 5 * time.Second
	// maxWriteAttempts is how often a batch is tried when Write fails
	// with an error other than ErrNotConnected (a disk error, a rejected
	// message) before the batch is dropped and counted.
	maxWriteAttempts = 5
)

// Named is a sink ready for the Dispatcher: Name labels metrics and log
// lines, Buffer is its queue length (0: DefaultBuffer) and MaxInFlight the
// number of concurrent Writes (0: 1).
type Named struct {
	Name        string
	Sink        Sink
	Buffer      int
	MaxInFlight int
}

// Stats counts the records of one sink: written (accepted by Write and kept
// by its filter), filtered (dropped by the sink's filter) and dropped
// (queue full, batch given up after errors, or emitted after Close).
type Stats struct {
	Name                       string
	Written, Filtered, Dropped int64
}

// Dispatcher fans records out to sinks without blocking. Each sink has a
// bounded queue drained by its own goroutine, which batches records (up to
// maxBatch, or what arrived within batchWait) and calls Write, retrying
// with back-off. When a queue is full the record is dropped for that sink,
// counted (Metrics.SinkRecords and Stats) and reported by a warning at most
// every warnEvery per sink.
//
// Emit and Stats are safe for concurrent use. With MaxInFlight 1 a sink
// sees records in Emit order (per emitting goroutine); with more,
// concurrent batches may be written out of order.
type Dispatcher struct {
	outs   []*out
	m      telemetry.Metrics
	log    *slog.Logger
	closed atomic.Bool
	stop   chan struct{} // closed by Close: drain the queues and return

	ctx    context.Context // passed to Write; cancelled when Close's ctx ends
	cancel context.CancelFunc

	closeOnce sync.Once
	closeErr  error
}

// out is one sink's queue and counters.
type out struct {
	d        *Dispatcher
	name     string
	sink     Sink
	inFlight int
	q        chan Record
	done     chan struct{} // closed when run returns
	timer    *time.Timer

	written    atomic.Int64
	filtered   atomic.Int64
	dropped    atomic.Int64
	unreported atomic.Int64 // drops not yet in a warning
	lastWarn   atomic.Int64 // unix nanoseconds of the last warning
	// Write failures, for failWarn: counted, and logged at most every
	// warnEvery.
	failed, failedLogged, lastFail atomic.Int64
}

// NewDispatcher starts one goroutine per sink. A nil m or log means
// telemetry.Nop and a discarding logger. The Dispatcher owns the sinks:
// Close closes them.
func NewDispatcher(sinks []Named, m telemetry.Metrics, log *slog.Logger) *Dispatcher {
	if m == nil {
		m = telemetry.Nop{}
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	d := &Dispatcher{m: m, log: log, stop: make(chan struct{})}
	d.ctx, d.cancel = context.WithCancel(context.Background())
	for _, n := range sinks {
		o := &out{d: d, name: n.Name, sink: n.Sink, inFlight: max(n.MaxInFlight, 1), done: make(chan struct{})}
		buf := n.Buffer
		if buf <= 0 {
			buf = DefaultBuffer
		}
		o.q = make(chan Record, buf)
		o.timer = time.NewTimer(time.Hour)
		o.timer.Stop()
		d.outs = append(d.outs, o)
		go o.run()
	}
	return d
}

// Emit queues r for every sink. It never blocks: a sink whose queue is
// full, or a Dispatcher already closed, drops the record and counts it.
// Emit does not allocate.
func (d *Dispatcher) Emit(r Record) {
	if d.closed.Load() {
		for _, o := range d.outs {
			o.drop(1)
		}
		return
	}
	for _, o := range d.outs {
		select {
		case o.q <- r:
		default:
			o.drop(1)
		}
	}
}

// Stats returns the counters of every sink, in the order given to
// NewDispatcher.
func (d *Dispatcher) Stats() []Stats {
	s := make([]Stats, len(d.outs))
	for i, o := range d.outs {
		s[i] = Stats{Name: o.name, Written: o.written.Load(), Filtered: o.filtered.Load(), Dropped: o.dropped.Load()}
	}
	return s
}

// Close stops accepting records, writes what is queued, then closes every
// sink. It returns when all of that is done or ctx ends, whichever comes
// first; when ctx ends, pending Writes get a cancelled context, queued
// records are counted as dropped, and sinks still inside Write are left
// unclosed (reported in the error). Close is idempotent.
func (d *Dispatcher) Close(ctx context.Context) error {
	d.closeOnce.Do(func() { d.closeErr = d.close(ctx) })
	return d.closeErr
}

func (d *Dispatcher) close(ctx context.Context) error {
	d.closed.Store(true)
	close(d.stop)
	stopCancel := context.AfterFunc(ctx, d.cancel)
	defer stopCancel()
	defer d.cancel()
	var errs []error
	for _, o := range d.outs {
		select {
		case <-o.done:
		case <-ctx.Done():
		}
		select {
		case <-o.done:
			if err := o.sink.Close(ctx); err != nil {
				errs = append(errs, fmt.Errorf("sinks: close %s: %w", o.name, err))
			}
		default:
			errs = append(errs, fmt.Errorf("sinks: close %s: still writing when the deadline passed: %w", o.name, ctx.Err()))
		}
		if n := o.unreported.Swap(0); n > 0 {
			d.log.Warn("sink dropped log records", "sink", o.name, "dropped", n, "dropped_total", o.dropped.Load())
		}
	}
	return errors.Join(errs...)
}

// failWarn counts a write failure and reports whether to log it now (at most
// every warnEvery per sink: a sink that fails for good, such as stdout
// closed by a reader that went away, must not flood the daemon's own log)
// and how many failed since the last line.
func (o *out) failWarn() (int64, bool) {
	n := o.failed.Add(1)
	now := time.Now().UnixNano()
	last := o.lastFail.Load()
	if last != 0 && now-last < int64(warnEvery) || !o.lastFail.CompareAndSwap(last, now) {
		return 0, false
	}
	return n - o.failedLogged.Swap(n), true
}

// drop counts n records lost for o and warns at most every warnEvery.
func (o *out) drop(n int) {
	o.dropped.Add(int64(n))
	o.d.m.SinkRecords(o.name, 0, n)
	o.unreported.Add(int64(n))
	now := time.Now().UnixNano()
	last := o.lastWarn.Load()
	if now-last < int64(warnEvery) || !o.lastWarn.CompareAndSwap(last, now) {
		return
	}
	o.d.log.Warn("sink falling behind: log records dropped", "sink", o.name,
		"dropped", o.unreported.Swap(0), "dropped_total", o.dropped.Load(), "queue", cap(o.q))
}

// run drains o.q until Close, handing batches to Write. Up to inFlight
// batch buffers circulate through free; with inFlight 1 Write runs on this
// goroutine.
func (o *out) run() {
	defer close(o.done)
	free := make(chan []Record, o.inFlight)
	for range o.inFlight {
		free <- make([]Record, 0, maxBatch)
	}
	var writers sync.WaitGroup
	for stopping := false; !stopping; {
		b := <-free
		b, stopping = o.collect(b[:0])
		switch {
		case len(b) == 0:
			free <- b
		case o.inFlight == 1:
			o.write(b)
			free <- b
		default:
			writers.Go(func() {
				o.write(b)
				free <- b
			})
		}
	}
	writers.Wait()
	// Whatever was emitted while the last batches were written (Emit
	// races with Close) is dropped and counted.
	for {
		select {
		case <-o.q:
			o.drop(1)
		default:
			return
		}
	}
}

// collect fills b with the next batch: it waits for a first record, then
// takes up to maxBatch records arriving within batchWait. stopping reports
// that Close was called and the queue is empty.
func (o *out) collect(b []Record) (_ []Record, stopping bool) {
	if len(b) == 0 {
		select {
		case r := <-o.q:
			b = append(b, r)
		case <-o.d.stop:
			return o.drain(b)
		}
	}
	for len(b) < maxBatch {
		select {
		case r := <-o.q:
			b = append(b, r)
			continue
		default:
		}
		break
	}
	if len(b) == maxBatch {
		return b, false
	}
	o.timer.Reset(batchWait)
	defer o.timer.Stop()
	for len(b) < maxBatch {
		select {
		case r := <-o.q:
			b = append(b, r)
		case <-o.timer.C:
			return b, false
		case <-o.d.stop:
			return o.drain(b)
		}
	}
	return b, false
}

// drain fills b with what is queued without waiting (Close was called).
func (o *out) drain(b []Record) ([]Record, bool) {
	for len(b) < maxBatch {
		select {
		case r := <-o.q:
			b = append(b, r)
		default:
			return b, true
		}
	}
	return b, false
}

// write hands b to the sink, retrying with back-off: indefinitely for
// ErrNotConnected, maxWriteAttempts times for other errors, and never
// after Close's deadline. A batch given up is counted as dropped.
func (o *out) write(b []Record) {
	ctx := o.d.ctx
	backoff := minBackoff
	for attempt := 1; ; attempt++ {
		err := o.sink.Write(ctx, b)
		if err == nil {
			// Records the sink's filter turned into no line are filtered,
			// not written (a filter keeping only failures wrote nothing).
			n := int64(len(b))
			if fc, ok := o.sink.(FilterCounter); ok {
				f := min(fc.TakeFiltered(), n)
				o.filtered.Add(f)
				n -= f
			}
			o.written.Add(n)
			o.d.m.SinkRecords(o.name, int(n), 0)
			return
		}
		if ctx.Err() != nil {
			o.drop(len(b))
			return
		}
		notConnected := errors.Is(err, ErrNotConnected)
		if !notConnected && attempt >= maxWriteAttempts {
			if n, ok := o.failWarn(); ok {
				o.d.log.Error("sink write failed; batch dropped", "sink", o.name, "records", len(b), "attempts", attempt, "error", err, "failures_since_last_line", n)
			}
			o.drop(len(b))
			return
		}
		if attempt == 1 {
			if n, ok := o.failWarn(); ok {
				o.d.log.Warn("sink write failed; retrying", "sink", o.name, "records", len(b), "error", err, "failures_since_last_line", n)
			}
		}
		t := time.NewTimer(backoff)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			o.drop(len(b))
			return
		}
		backoff = min(2*backoff, maxBackoff)
	}
}
