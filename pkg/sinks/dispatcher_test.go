package sinks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/expressd/expressd/pkg/telemetry"
)

// countingMetrics records SinkRecords calls.
type countingMetrics struct {
	telemetry.Nop
	written, dropped atomic.Int64
}

func (m *countingMetrics) SinkRecords(_ string, written, dropped int) {
	m.written.Add(int64(written))
	m.dropped.Add(int64(dropped))
}

// blockingSink blocks every Write until release is closed, ignoring ctx.
type blockingSink struct {
	release chan struct{}
	entered chan struct{}
	once    sync.Once
}

func (s *blockingSink) Write(ctx context.Context, batch []Record) error {
	s.once.Do(func() { close(s.entered) })
	<-s.release
	return nil
}

func (s *blockingSink) Close(context.Context) error { return nil }

// memSink keeps the ids it was given; it fails the first failN Writes with err.
type memSink struct {
	mu     sync.Mutex
	ids    []int64
	failN  int
	err    error
	closed bool
}

func (s *memSink) Write(_ context.Context, batch []Record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failN > 0 {
		s.failN--
		return s.err
	}
	for _, r := range batch {
		s.ids = append(s.ids, r.ID)
	}
	return nil
}

func (s *memSink) Close(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return nil
}

// syncBuffer is a bytes.Buffer safe for the logger's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func TestDispatcherDrops(t *testing.T) {
	const buffer, emitted = 100, 10000
	blk := &blockingSink{release: make(chan struct{}), entered: make(chan struct{})}
	mem := &memSink{}
	m := &countingMetrics{}
	var logs syncBuffer
	d := NewDispatcher([]Named{
		{Name: "slow", Sink: blk, Buffer: buffer},
		{Name: "mem", Sink: mem, Buffer: emitted},
	}, m, slog.New(slog.NewTextHandler(&logs, nil)))

	d.Emit(testRecord(0))
	<-blk.entered // the slow sink's goroutine is stuck in Write with record 0
	start := time.Now()
	for i := 1; i < emitted; i++ {
		d.Emit(testRecord(i))
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Errorf("Emit blocked: %d records took %v", emitted, el)
	}

	stats := d.Stats()
	if got, want := stats[0].Dropped, int64(emitted-1-buffer); got != want {
		t.Errorf("slow: dropped %d, want %d", got, want)
	}
	if got := m.dropped.Load(); got != stats[0].Dropped {
		t.Errorf("Metrics dropped %d, want %d", got, stats[0].Dropped)
	}
	if !strings.Contains(logs.String(), "sink=slow dropped=1") {
		t.Errorf("no drop warning for the first drop; log:\n%s", logs.String())
	}
	if n := strings.Count(logs.String(), "falling behind"); n != 1 {
		t.Errorf("%d drop warnings, want 1 (rate-limited)", n)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start = time.Now()
	err := d.Close(ctx)
	if el := time.Since(start); el > time.Second {
		t.Errorf("Close took %v, want about its 300ms deadline", el)
	}
	if err == nil || !strings.Contains(err.Error(), "slow") || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Close: got %v, want a deadline error naming the slow sink", err)
	}
	// The fast sink got everything, in order, and was closed.
	mem.mu.Lock()
	if len(mem.ids) != emitted || !mem.closed {
		t.Errorf("mem: got %d records (closed %v), want %d", len(mem.ids), mem.closed, emitted)
	}
	for i, id := range mem.ids {
		if id != int64(i) {
			t.Fatalf("mem: record %d has id %d", i, id)
		}
	}
	mem.mu.Unlock()
	if got := d.Stats()[1]; got.Written != emitted || got.Dropped != 0 {
		t.Errorf("mem stats: got %+v, want %d written", got, emitted)
	}
	if got := m.written.Load(); got != emitted {
		t.Errorf("Metrics written %d, want %d", got, emitted)
	}
	if !strings.Contains(logs.String(), `msg="sink dropped log records" sink=slow`) {
		t.Errorf("no final drop report at Close; log:\n%s", logs.String())
	}
	close(blk.release)

	// Emit after Close drops and counts.
	before := d.Stats()[1].Dropped
	d.Emit(testRecord(0))
	if got := d.Stats()[1].Dropped; got != before+1 {
		t.Errorf("Emit after Close: dropped %d, want %d", got, before+1)
	}
}

func TestDispatcherRetry(t *testing.T) {
	for _, tc := range []struct {
		name        string
		err         error
		failN       int
		wantWritten int64
	}{
		{"not connected", fmt.Errorf("wrapped: %w", ErrNotConnected), 6, 10},
		{"other error recovers", errors.New("disk hiccup"), maxWriteAttempts - 1, 10},
		{"other error gives up", errors.New("disk full"), maxWriteAttempts, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mem := &memSink{failN: tc.failN, err: tc.err}
			d := NewDispatcher([]Named{{Name: "mem", Sink: mem}}, nil, nil)
			for i := range 10 {
				d.Emit(testRecord(i))
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := d.Close(ctx); err != nil {
				t.Fatal(err)
			}
			got := d.Stats()[0]
			if got.Written != tc.wantWritten || got.Written+got.Dropped != 10 {
				t.Errorf("got %+v, want %d written of 10", got, tc.wantWritten)
			}
		})
	}
}

func TestDispatcherMaxInFlight(t *testing.T) {
	const n = 20000
	mem := &memSink{}
	d := NewDispatcher([]Named{{Name: "mem", Sink: mem, MaxInFlight: 4, Buffer: n}}, nil, nil)
	for i := range n {
		d.Emit(testRecord(i))
	}
	if err := d.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	seen := make([]bool, n)
	for _, id := range mem.ids {
		if seen[id] {
			t.Fatalf("id %d written twice", id)
		}
		seen[id] = true
	}
	if len(mem.ids) != n {
		t.Errorf("got %d records, want %d", len(mem.ids), n)
	}
}

func TestDispatcherBatchWait(t *testing.T) {
	// A lone record is written within batchWait, not held until Close.
	mem := &memSink{}
	d := NewDispatcher([]Named{{Name: "mem", Sink: mem}}, nil, nil)
	defer d.Close(context.Background())
	d.Emit(testRecord(1))
	deadline := time.Now().Add(5 * batchWait)
	for d.Stats()[0].Written != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("record not written after %v", 5*batchWait)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestEmitNoAllocs(t *testing.T) {
	d := NewDispatcher([]Named{{Name: "a", Sink: &discardSink{}}, {Name: "b", Sink: &discardSink{}}}, nil, nil)
	defer d.Close(context.Background())
	r := testRecord(1)
	if n := testing.AllocsPerRun(1000, func() { d.Emit(r) }); n != 0 {
		t.Errorf("Emit: %v allocs, want 0", n)
	}
}

func BenchmarkEmit(b *testing.B) {
	for _, sinks := range []int{1, 3} {
		b.Run("sinks="+string(rune('0'+sinks)), func(b *testing.B) {
			named := make([]Named, sinks)
			for i := range named {
				named[i] = Named{Name: "discard", Sink: &discardSink{}}
			}
			d := NewDispatcher(named, nil, nil)
			r := testRecord(1)
			b.ReportAllocs()
			for b.Loop() {
				d.Emit(r)
			}
			b.StopTimer()
			d.Close(context.Background())
			var dropped int64
			for _, s := range d.Stats() {
				dropped += s.Dropped
			}
			b.ReportMetric(float64(dropped)/float64(b.N*sinks), "dropped/op")
		})
	}
}

func BenchmarkEncode(b *testing.B) {
	for _, filter := range []string{"", `select(.type | endswith("Failed"))`, `{type, id}`} {
		b.Run("filter="+filter, func(b *testing.B) {
			e, err := NewEncoder(filter)
			if err != nil {
				b.Fatal(err)
			}
			batch := testBatch(0, maxBatch)
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				e.Encode(ctx, batch)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(batch)), "ns/record")
		})
	}
}
