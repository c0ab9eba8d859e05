package natsjs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/expressd/expressd/pkg/engine"
	"github.com/expressd/expressd/pkg/states"
	"github.com/expressd/expressd/pkg/task"
	"github.com/expressd/expressd/pkg/telemetry"
	"github.com/expressd/expressd/pkg/value"
	"github.com/expressd/expressd/pkg/vm"
)

// Stream and subject names of the contract (DESIGN.md).
const (
	ResultsStream  = "EXPRESSD_RESULTS"
	ResultsSubject = "expressd.results.>"
	DLQStream      = "EXPRESSD_DLQ"
	DLQSubject     = "expressd.dlq.>"
	SyncPrefix     = "expressd.sync."
	ResultsPrefix  = "expressd.results."
	DLQPrefix      = "expressd.dlq."
)

// Header names of result and DLQ messages.
const (
	HeaderStatus     = "Expressd-Status"
	HeaderExecution  = "Expressd-Execution"
	HeaderReason     = "Expressd-Reason"
	HeaderMachine    = "Expressd-Machine"
	HeaderStream     = "Expressd-Stream"
	HeaderSeq        = "Expressd-Seq"
	HeaderSubject    = "Expressd-Subject"
	HeaderDeliveries = "Expressd-Deliveries"
	// HeaderOrigPrefix prefixes the event's own Nats-* headers in its DLQ
	// copy (Expressd-Orig-Nats-Expected-Stream, …).
	HeaderOrigPrefix = "Expressd-Orig-"
	// HeaderPayloadOmitted is set on a DLQ copy whose payload was left out
	// (too large for the server's max_payload with the headers).
	HeaderPayloadOmitted = "Expressd-Payload-Omitted"
)

// resultsDuplicateWindow is the EXPRESSD_RESULTS duplicate window: a
// re-run's second result (same Nats-Msg-Id) within it is dropped. It must
// cover the longest redelivery path: ack_wait × max_deliver plus the
// 5-minute execution cap.
const resultsDuplicateWindow = 30 * time.Minute

// PubAckTimeout bounds the wait for the PubAck of a result (or DLQ copy).
// A PubAck can be lost for good (the stream's leader died after the
// publish reached it); the publisher waits for PubAcks in order, so an
// unbounded wait would stop every later event from being acknowledged.
// After the timeout the event is handled as "result not stored" (nak with
// delay, re-run; the results stream drops a duplicate result).
const PubAckTimeout = 5 * time.Second

// Trigger is a machine's JetStream trigger.
type Trigger struct {
	Stream   string
	Subjects []string
	Consumer string
	// MaxDeliver is how many deliveries of an event may run it; the next
	// delivery copies it to the DLQ instead (see policy.go). The consumer
	// itself redelivers without limit, so that an event whose worker died
	// on its last run still comes back to be dead-lettered.
	MaxDeliver int
	AckWait    time.Duration
}

// Machine is one state machine served by the binding.
type Machine struct {
	Name        string
	Program     *vm.Program
	Tasks       *task.Registry
	Trigger     *Trigger // nil: sync requests only
	Concurrency int      // MaxAckPending of the consumer
	// SyncConcurrency bounds the sync executions of this machine in flight
	// in this process (0: DefaultSyncConcurrency); a request beyond it is
	// answered at once with ExecutionLimitExceeded.
	SyncConcurrency int
	Results         string // results subject
	Timeout         time.Duration
	// Logging is the machine's execution log configuration (nil: off).
	Logging *engine.Logging
}

// DefaultSyncConcurrency is the default bound on a machine's sync
// executions in flight: sync requests are at most once and nobody
// redelivers them, so a full machine refuses rather than queues (600,000
// parked requests once held 1.3 GB).
const DefaultSyncConcurrency = 1024

// DefaultCheckInterval is how often the binding checks, by default, that
// the consumers and streams it depends on still exist (see watch.go).
const DefaultCheckInterval = 5 * time.Second

// Options configures a Binding.
type Options struct {
	Conn     *nats.Conn
	Machines []Machine
	// Workers is the number of engine loops; 0 means GOMAXPROCS.
	Workers int
	// Engine is the template for the workers' engine options.
	Engine engine.Options
	// FetchBatch is the number of messages a pull asks for (default 512).
	FetchBatch int
	// Replicas of the streams the binding creates when absent (default 1;
	// 3 on a cluster). Existing streams are used as they are.
	Replicas int
	// CheckInterval is how often the binding checks its consumers and
	// streams and recreates those that were deleted (default
	// DefaultCheckInterval). Errors of a consume loop trigger a check of
	// that machine at once.
	CheckInterval time.Duration
	// StreamRecreateGrace is how long a deleted trigger stream stays
	// missing before the binding creates it again (default
	// DefaultStreamRecreateGrace); the consumer and the results and DLQ
	// streams are created again at once.
	StreamRecreateGrace time.Duration
	Logger              *slog.Logger
}

// Binding runs the machines' consumers and sync subscriptions on a set of
// engine workers.
type Binding struct {
	opts    Options
	js      jetstream.JetStream
	log     *slog.Logger
	rlog    *rateLog
	engines []*engine.Engine
	next    atomic.Uint32
	cancel  context.CancelFunc
	loops   sync.WaitGroup

	machines []*machine
	pub      *publisher

	streamMu    sync.Mutex             // guards streamLocks
	streamLocks map[string]*sync.Mutex // one per trigger stream: serializes ensureTrigger

	nudgeOwn       atomic.Bool // the watcher should check the results and DLQ streams
	health         health
	resultsFailing atomic.Bool   // the last result publish failed (health has healthResults)
	dlqFailing     atomic.Bool   // the last DLQ publish failed (health has healthDLQ)
	nudge          chan struct{} // asks the watcher for a check now
	stopWatch      context.CancelFunc
	watchWG        sync.WaitGroup // the watcher
	keepAliveWG    sync.WaitGroup // the InProgress ticker

	stopping atomic.Bool
	intake   sync.RWMutex // held (read) by callbacks from their stopping check to inflight.Add
	inflight sync.WaitGroup
	ready    atomic.Bool
}

// machine is the runtime state of one Machine.
type machine struct {
	Machine
	b       *Binding
	syncSub *nats.Subscription
	syncN   atomic.Int32 // sync executions in flight

	mu      sync.Mutex
	running map[*event]struct{}    // executions in flight, for InProgress and shutdown
	syncs   map[*nats.Msg]struct{} // sync requests in flight, answered at shutdown
	run     *consumeRun            // the current consume loop (nil: none)
	inst    *instance              // the consumer instance of run

	// ackMu orders acks against a consumer instance going away: every
	// "is it gone? then ack" holds it for reading, marking an instance
	// gone holds it for writing, so no ack of a gone instance's delivery
	// is sent after the instance was marked (and, on the same connection,
	// before a recreated consumer exists).
	ackMu sync.RWMutex

	// What the watcher knows of the consumer (its goroutine only, and
	// start before the watcher runs): the trigger stream's creation time
	// and the consumer's last seen ack floor, so that a consumer recreated
	// on the same stream resumes after the floor instead of re-running
	// every event still in the stream.
	streamCreated time.Time
	floor         uint64
	missingSince  time.Time // when the trigger stream was first seen missing (zero: present)

	nudged atomic.Bool // the watcher should check this machine

	// The sync subscription's decoder keeps its scratch space between
	// requests: nats.go calls a subscription's handler from one goroutine.
	// (Each consume loop has its own: an old loop may still hand out its
	// buffered deliveries while the next one runs.)
	syncDec value.Decoder
}

// consumeRun is one consume loop. nats.go calls its handler from one
// goroutine, which owns dec.
type consumeRun struct {
	cc   jetstream.ConsumeContext
	inst *instance
	dec  value.Decoder
}

// instance is one consumer instance (a durable consumer as created at
// one time); the consume loops on it share it, and so do their deliveries.
// Once the instance is gone (deleted, then maybe recreated under the same
// name by the watcher, another worker or an operator), its deliveries'
// acks must not be sent: nats-server applies an ack by stream sequence to
// whatever consumer has the name now, and a recreated stream numbers new
// events from 1 again.
type instance struct {
	created time.Time
	gone    atomic.Bool // set under machine.ackMu (write)
}

// markGone marks the machine's current consumer instance gone.
func (m *machine) markGone() {
	m.mu.Lock()
	inst := m.inst
	m.mu.Unlock()
	if inst != nil && !inst.gone.Load() {
		m.ackMu.Lock()
		inst.gone.Store(true)
		m.ackMu.Unlock()
	}
}

// settle sends an ack, nak, term or in-progress for ev unless its consumer
// instance is gone; it reports whether it was sent.
func (ev *event) settle(f func() error) bool {
	m := ev.m
	m.ackMu.RLock()
	defer m.ackMu.RUnlock()
	if ev.inst.gone.Load() {
		return false
	}
	_ = f()
	return true
}

// startParallel bounds how many machines Start sets up at once (each is
// a few JetStream API round trips).
const startParallel = 16

// Start creates the streams and consumers that are missing, subscribes, and
// starts the worker engines. It returns once every machine is consuming.
func Start(ctx context.Context, opts Options) (*Binding, error) {
	if opts.Conn == nil {
		return nil, errors.New("natsjs: no NATS connection")
	}
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	if opts.FetchBatch <= 0 {
		opts.FetchBatch = 512
	}
	if opts.CheckInterval <= 0 {
		opts.CheckInterval = DefaultCheckInterval
	}
	if opts.StreamRecreateGrace <= 0 {
		opts.StreamRecreateGrace = DefaultStreamRecreateGrace
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Engine.Metrics == nil {
		opts.Engine.Metrics = telemetry.Nop{}
	}
	js, err := jetstream.New(opts.Conn, jetstream.WithPublishAsyncTimeout(PubAckTimeout),
		// As many results may await their PubAck as the acker queue holds.
		jetstream.WithPublishAsyncMaxPending(ackQueue))
	if err != nil {
		return nil, fmt.Errorf("natsjs: %w", err)
	}
	b := &Binding{opts: opts, js: js, log: opts.Logger, rlog: newRateLog(opts.Logger), nudge: make(chan struct{}, 1)}
	if err := b.ensureStreams(ctx); err != nil {
		return nil, err
	}
	loopCtx, cancel := context.WithCancel(context.Background())
	b.cancel = cancel
	for i := 0; i < opts.Workers; i++ {
		en := engine.New(opts.Engine)
		b.engines = append(b.engines, en)
		b.loops.Add(1)
		go func() {
			defer b.loops.Done()
			_ = en.Run(loopCtx)
		}()
	}
	b.pub = newPublisher(b)
	for _, m := range opts.Machines {
		rm := &machine{Machine: m, b: b, running: map[*event]struct{}{}, syncs: map[*nats.Msg]struct{}{}}
		if rm.Results == "" {
			rm.Results = ResultsPrefix + m.Name
		}
		if rm.SyncConcurrency <= 0 {
			rm.SyncConcurrency = DefaultSyncConcurrency
		}
		b.machines = append(b.machines, rm)
	}
	// Trigger streams first, one at a time (machines may share one), then
	// the consumers in parallel.
	seen := map[string]bool{}
	for _, m := range b.machines {
		if m.Trigger == nil || seen[m.Trigger.Stream] {
			continue
		}
		seen[m.Trigger.Stream] = true
		if err := b.retryUnavailable(ctx, "stream "+m.Trigger.Stream, func() error {
			_, err := b.ensureTrigger(ctx, m.Trigger.Stream)
			return err
		}); err != nil {
			b.stopAfterFailedStart()
			return nil, fmt.Errorf("natsjs: machine %s: %w", m.Name, err)
		}
	}
	if err := b.each(startParallel, func(m *machine) error { return m.start(ctx) }); err != nil {
		b.stopAfterFailedStart()
		return nil, err
	}
	// The subscriptions (sync requests) are in place on the server before
	// Start reports the binding ready.
	if err := opts.Conn.FlushTimeout(10 * time.Second); err != nil {
		b.stopAfterFailedStart()
		return nil, fmt.Errorf("natsjs: flush: %w", err)
	}
	watchCtx, stopWatch := context.WithCancel(context.Background())
	b.stopWatch = stopWatch
	b.keepAliveWG.Add(1)
	go func() { defer b.keepAliveWG.Done(); b.keepAlive(loopCtx) }()
	b.watchWG.Add(1)
	go func() { defer b.watchWG.Done(); b.watch(watchCtx) }()
	b.ready.Store(true)
	return b, nil
}

// stopAfterFailedStart stops what a failed Start had started, without
// waiting for executions the machines that did start had taken (they are
// nak'ed for redelivery).
func (b *Binding) stopAfterFailedStart() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	b.Stop(ctx)
}

// each runs f for every machine, at most n at a time, and returns the
// first error.
func (b *Binding) each(n int, f func(*machine) error) error {
	sem := make(chan struct{}, n)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	for _, m := range b.machines {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := f(m); err != nil {
				mu.Lock()
				if first == nil {
					first = err
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return first
}

// Ready reports whether every machine is consuming, the results and DLQ
// streams take writes, and NATS is connected.
func (b *Binding) Ready() bool {
	return b.ready.Load() && !b.stopping.Load() && b.opts.Conn.IsConnected() && b.health.empty()
}

// Problems returns why the binding is not ready, one line per problem
// (empty when Ready).
func (b *Binding) Problems() []string {
	var out []string
	switch {
	case b.stopping.Load():
		out = append(out, "shutting down")
	case !b.ready.Load():
		out = append(out, "starting")
	}
	if !b.opts.Conn.IsConnected() {
		out = append(out, "not connected to NATS ("+b.opts.Conn.Status().String()+")")
	}
	return append(out, b.health.list()...)
}

// nudgeWatch asks the watcher for a check now.
func (b *Binding) nudgeWatch() {
	if !b.stopping.Load() {
		select {
		case b.nudge <- struct{}{}:
		default:
		}
	}
}

// engine picks a worker for a new execution (round robin).
func (b *Binding) engine() *engine.Engine {
	return b.engines[int(b.next.Add(1))%len(b.engines)]
}

// intakeDrainTimeout bounds how long Stop waits for the consume loops and
// sync subscriptions to hand over (and nak) the messages the client has
// buffered. It is separate from the drain deadline of executions: without
// it, buffered deliveries would be dropped unacknowledged and come back only
// after ack_wait.
const intakeDrainTimeout = 5 * time.Second

// Stop stops fetching, lets executions in flight finish until ctx ends,
// naks the rest so that they are redelivered, and stops the workers.
func (b *Binding) Stop(ctx context.Context) {
	b.intake.Lock()
	already := b.stopping.Swap(true)
	b.intake.Unlock()
	if already {
		return
	}
	b.ready.Store(false)
	// The watcher must not restart a consume loop from here on.
	if b.stopWatch != nil {
		b.stopWatch()
	}
	b.watchWG.Wait()
	// All machines at once: 1,000 machines stopped one by one took 11 s.
	_ = b.each(len(b.machines)+1, func(m *machine) error {
		m.stopIntake()
		return nil
	})
	done := make(chan struct{})
	go func() {
		b.inflight.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		// Executions still running are abandoned: their events go back to
		// the stream now instead of after ack_wait.
		for _, m := range b.machines {
			m.nakRunning()
		}
	}
	// Stop the engines before the publisher: an execution that ends while
	// the engines still run hands its result to the publisher, whose queue
	// must still be open then.
	if b.cancel != nil {
		b.cancel()
	}
	b.loops.Wait()
	b.keepAliveWG.Wait()
	if b.pub != nil {
		b.pub.close()
	}
	// Make sure the naks and acks reached the server: a caller that closes
	// the connection right after Stop would otherwise lose those still
	// buffered (a close with unread input resets the TCP connection), and
	// their events would wait for ack_wait instead of coming back now.
	_ = b.opts.Conn.FlushTimeout(2 * time.Second)
}

// keepAlive sends InProgress for executions running longer than a third of
// their machine's ack_wait, so the server does not redeliver them while they
// run; the 5-minute cap bounds how long this goes on.
func (b *Binding) keepAlive(ctx context.Context) {
	period := time.Second
	for _, m := range b.machines {
		if m.Trigger != nil && m.Trigger.AckWait/3 < period {
			period = max(m.Trigger.AckWait/3, 100*time.Millisecond)
		}
	}
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			for _, m := range b.machines {
				if m.Trigger != nil {
					m.touchLong(now)
				}
			}
		}
	}
}

func (m *machine) touchLong(now time.Time) {
	limit := m.Trigger.AckWait / 3
	m.mu.Lock()
	var long []*event
	for ev := range m.running {
		if now.Sub(ev.touched) >= limit {
			ev.touched = now
			long = append(long, ev)
		}
	}
	m.mu.Unlock()
	for _, ev := range long {
		inProgress(ev)
	}
}

func (m *machine) track(ev *event) {
	m.mu.Lock()
	m.running[ev] = struct{}{}
	m.mu.Unlock()
}

// untrack removes ev from the running set; it reports false when ev was no
// longer there (shutdown already nak'ed it).
func (m *machine) untrack(ev *event) bool {
	m.mu.Lock()
	_, ok := m.running[ev]
	delete(m.running, ev)
	m.mu.Unlock()
	return ok
}

func (m *machine) nakRunning() {
	m.mu.Lock()
	evs := make([]*event, 0, len(m.running))
	for ev := range m.running {
		evs = append(evs, ev)
	}
	clear(m.running)
	m.mu.Unlock()
	for _, ev := range evs {
		nakShutdown(ev)
		m.b.inflight.Done()
	}
	// Sync requests are at most once: answer them instead of leaving the
	// callers to time out.
	m.mu.Lock()
	reqs := make([]*nats.Msg, 0, len(m.syncs))
	for r := range m.syncs {
		reqs = append(reqs, r)
	}
	clear(m.syncs)
	m.mu.Unlock()
	now := time.Now()
	for _, r := range reqs {
		res := engine.Result{Status: engine.Failed, Error: states.ServiceUnavailable, Cause: "expressd shut down before the execution finished",
			HasError: true, HasCause: true, Start: now, Stop: now}
		_ = r.Respond(resultBody(nil, res, eventInfo{subject: r.Subject, msgID: r.Header.Get(nats.MsgIdHdr)}))
		m.syncN.Add(-1)
		m.b.inflight.Done()
	}
}
