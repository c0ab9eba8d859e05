package bench

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nats.go/micro"

	"github.com/expressd/expressd/pkg/config"
	"github.com/expressd/expressd/pkg/daemon"
	"github.com/expressd/expressd/pkg/engine"
	"github.com/expressd/expressd/pkg/engine/natsjs"
	"github.com/expressd/expressd/pkg/internal/redact"
	"github.com/expressd/expressd/pkg/task"
	"github.com/expressd/expressd/pkg/telemetry"
	"github.com/expressd/expressd/pkg/value"
	"github.com/expressd/expressd/pkg/vm"
)

// E2EOptions configures RunE2E.
type E2EOptions struct {
	Events      int     // events to publish; default 100,000
	Rate        float64 // events/s; 0 = as fast as PubAcks allow
	Concurrency int     // the consumer's MaxAckPending; default 4096
	Workers     int     // engine loops; 0 = GOMAXPROCS
	// URL is an external NATS server; "" starts an embedded one (JetStream
	// file storage in a temporary folder, random 127.0.0.1 port).
	URL string
	// Keep keeps the embedded server's storage folder (its path is in the
	// result) or, with URL, the bench's streams and results.
	Keep bool
	// Stall ends the run when no new result arrived for this long
	// (default 60 s); missing results then count as lost.
	Stall time.Duration
	// Window is the number of event publishes awaiting their PubAck at
	// once (default 4096).
	Window int
	// Progress receives progress lines (nil: none); TTY draws a bar.
	Progress io.Writer
	TTY      bool
	// Logger receives the binding's logs (nil: discarded).
	Logger *slog.Logger
}

// E2EResult is the report of RunE2E. JSON field names are the stable
// interface of `expressd bench e2e --json`.
type E2EResult struct {
	Bench              string  `json:"bench"`
	Workload           string  `json:"workload"`
	Events             int     `json:"events"`
	Rate               float64 `json:"rate"` // requested; 0 = unlimited
	Concurrency        int     `json:"concurrency"`
	Workers            int     `json:"workers"`
	Server             string  `json:"server"`
	DurationSec        float64 `json:"duration_sec"` // first publish → last result
	PublishSec         float64 `json:"publish_sec"`  // first publish → last PubAck
	ExecutionsPerSec   float64 `json:"executions_per_sec"`
	TransitionsPerSec  float64 `json:"transitions_per_sec"`
	TransitionsPerExec float64 `json:"transitions_per_exec"`
	P50Ms              float64 `json:"p50_ms"`
	P90Ms              float64 `json:"p90_ms"`
	P99Ms              float64 `json:"p99_ms"`
	P999Ms             float64 `json:"p999_ms"`
	MaxMs              float64 `json:"max_ms"`
	Results            int64   `json:"results"`        // distinct ids seen published
	Stored             int64   `json:"stored"`         // distinct ids stored in EXPRESSD_RESULTS
	Lost               int64   `json:"lost"`           // events − stored
	Duplicates         int64   `json:"duplicates"`     // result publishes seen − distinct ids
	Failed             int64   `json:"failed"`         // stored results not SUCCEEDED
	WrongOutput        int64   `json:"wrong_output"`   // stored outputs ≠ expected
	PublishErrors      int64   `json:"publish_errors"` // event publishes that failed after retries
	// CPUSec is the process CPU time during the run (the embedded server,
	// the binding, the publisher and the observer all run in it).
	CPUSec   float64 `json:"cpu_sec"`
	StoreDir string  `json:"store_dir,omitempty"`
	Build
}

// e2eRun is the state of one RunE2E.
type e2eRun struct {
	opts E2EOptions
	w    *Workload
	log  *slog.Logger

	dir    string
	cfg    *config.Config
	d      *daemon.Daemon // the daemon exactly as `expressd serve` runs it
	loadNC *nats.Conn     // event publisher
	subNC  *nats.Conn     // result observer
	svcNC  *nats.Conn     // the echo service
	svc    micro.Service

	machine, stream, subject, results string

	t0        time.Time
	pubAt     []int64 // ns since t0 per event id
	recvAt    []int64 // ns since t0 per event id; 0 = not seen
	recvMu    sync.Mutex
	recvDone  bool
	seen      atomic.Int64 // result publishes seen
	distinct  atomic.Int64
	published atomic.Int64
	acked     atomic.Int64
	pubErrs   atomic.Int64
	lastAckAt atomic.Int64
	bad       atomic.Int64 // result messages without an e-<n> id
}

// RunE2E runs the workload end to end: events published to JetStream, the
// daemon package as `expressd serve` runs it (the same config defaults, task
// integrations, telemetry and binding: durable pull consumer, engine
// workers, results stored with PubAcks, then acks), results observed on the
// results subject. It checks the workload's output once through an engine
// with the same integrations before publishing.
func RunE2E(ctx context.Context, w *Workload, opts E2EOptions) (_ *E2EResult, err error) {
	if opts.Events <= 0 {
		opts.Events = 100_000
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = 4096
	}
	if opts.Stall <= 0 {
		opts.Stall = 60 * time.Second
	}
	if opts.Window <= 0 {
		opts.Window = 4096
	}
	r := &e2eRun{opts: opts, w: w, log: opts.Logger}
	if r.log == nil {
		r.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	defer func() {
		if cerr := r.close(); err == nil && cerr != nil {
			err = cerr
		}
	}()
	suffix := randHex(4)
	r.machine = "bench-" + suffix
	r.stream = "EXPRESSD_BENCH_" + suffix
	r.subject = "expressd-bench." + suffix + ".events"
	r.results = natsjs.ResultsPrefix + r.machine
	if err := r.start(ctx); err != nil {
		return nil, err
	}
	reg, req, err := daemon.TaskRegistry(r.cfg, r.loadNC, telemetry.Nop{})
	if err != nil {
		return nil, err
	}
	defer func() { _ = req.Close() }()
	prog, err := w.Compile(r.machine, reg)
	if err != nil {
		return nil, err
	}
	perExec, err := r.precheck(ctx, prog, reg)
	if err != nil {
		return nil, err
	}
	n := opts.Events
	r.pubAt = make([]int64, n)
	r.recvAt = make([]int64, n)
	sub, err := r.subNC.Subscribe(r.results, r.onResult)
	if err != nil {
		return nil, err
	}
	_ = sub.SetPendingLimits(-1, -1)
	if err := r.subNC.Flush(); err != nil {
		return nil, err
	}

	label := "e2e " + w.Name
	prog2 := NewProgress(opts.Progress, opts.TTY, label, int64(n), func() (int64, string) {
		return r.distinct.Load(), "published " + Group(r.published.Load()) + " acked " + Group(r.acked.Load())
	})
	c0 := CPUTime()
	r.t0 = time.Now()
	prog2.Start()
	pubDone := make(chan error, 1)
	go func() { pubDone <- r.publish(ctx) }()
	waitErr := r.wait(ctx, pubDone)
	cpu := CPUTime() - c0
	prog2.Stop()
	_ = sub.Unsubscribe()
	r.recvMu.Lock()
	r.recvDone = true
	r.recvMu.Unlock()
	if waitErr != nil {
		return nil, waitErr
	}

	res := &E2EResult{Bench: "e2e", Workload: w.Name, Events: n, Rate: opts.Rate, Concurrency: opts.Concurrency,
		Workers: opts.Workers, TransitionsPerExec: float64(perExec), Build: BuildInfo()}
	if res.Workers <= 0 {
		res.Workers = res.GOMAXPROCS
	}
	res.Server = "embedded (file storage)"
	if opts.URL != "" {
		res.Server = redact.URL(opts.URL)
	}
	lat := make([]time.Duration, 0, n)
	first, last := int64(-1), int64(0)
	for i := range n {
		if r.pubAt[i] != 0 && (first < 0 || r.pubAt[i] < first) {
			first = r.pubAt[i]
		}
		if at := r.recvAt[i]; at != 0 {
			lat = append(lat, time.Duration(at-r.pubAt[i]))
			last = max(last, at)
		}
	}
	res.Results = int64(len(lat))
	res.Duplicates = r.seen.Load() - res.Results
	res.PublishErrors = r.pubErrs.Load()
	res.CPUSec = cpu.Seconds()
	if first >= 0 && last > first {
		d := time.Duration(last - first)
		res.DurationSec = d.Seconds()
		res.ExecutionsPerSec = float64(res.Results) / d.Seconds()
		res.TransitionsPerSec = res.ExecutionsPerSec * float64(perExec)
	}
	if la := r.lastAckAt.Load(); first >= 0 && la > first {
		res.PublishSec = time.Duration(la - first).Seconds()
	}
	ps := Percentiles(lat, 50, 90, 99, 99.9, 100)
	res.P50Ms, res.P90Ms, res.P99Ms, res.P999Ms, res.MaxMs = Millis(ps[0]), Millis(ps[1]), Millis(ps[2]), Millis(ps[3]), Millis(ps[4])
	if err := r.audit(ctx, res); err != nil {
		return nil, err
	}
	res.Lost = int64(n) - res.Stored
	if opts.Keep && r.dir != "" && opts.URL == "" {
		res.StoreDir = filepath.Join(r.dir, "nats")
	}
	return res, nil
}

// start writes the workload's definition into a config as a user would
// (embedded server on a free loopback port with file storage in a
// temporary folder, or the external URL; logging off; the workload's
// machine with the bench's concurrency), starts the daemon with it, and
// opens the bench's own connections: the publisher's, the observer's and
// the echo service's.
func (r *e2eRun) start(ctx context.Context) error {
	dir, err := os.MkdirTemp("", "expressd-bench-")
	if err != nil {
		return err
	}
	r.dir = dir
	def := filepath.Join(dir, r.machine+".asl.json")
	if err := os.WriteFile(def, r.w.Def, 0o644); err != nil {
		return err
	}
	cfg := &config.Config{
		HTTP:     config.HTTP{Listen: config.ListenOff},
		Logging:  config.Logging{Level: "OFF"},
		Shutdown: config.Shutdown{DrainTimeout: 10 * time.Second},
		Machines: []config.Machine{{
			Name: r.machine, Definition: def, Concurrency: r.opts.Concurrency, Timeout: config.MaxTimeout,
			Trigger: &config.Trigger{Stream: r.stream, Subjects: []string{r.subject}, Consumer: "bench",
				MaxDeliver: 5, AckWait: 30 * time.Second},
		}},
	}
	if r.opts.URL != "" {
		cfg.NATS.URL = r.opts.URL
	} else {
		cfg.NATS.Embedded = &config.Embedded{Listen: "127.0.0.1:0", StoreDir: filepath.Join(dir, "nats")}
	}
	cfg.ApplyDefaults()
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("bench config: %w", err)
	}
	r.cfg = cfg
	if r.d, err = daemon.Start(ctx, cfg, r.log, daemon.WithWorkers(r.opts.Workers)); err != nil {
		return err
	}
	url := r.d.NATSURL()
	for _, c := range []struct {
		name string
		nc   **nats.Conn
	}{{"load", &r.loadNC}, {"observer", &r.subNC}, {"service", &r.svcNC}} {
		nc, err := nats.Connect(url, nats.Name("expressd-bench-"+c.name), nats.MaxReconnects(-1))
		if err != nil {
			return fmt.Errorf("connect to NATS %s: %w", redact.URL(url), err)
		}
		*c.nc = nc
	}
	svc, err := StartEchoService(r.svcNC)
	if err != nil {
		return fmt.Errorf("echo service: %w", err)
	}
	r.svc = svc
	return r.svcNC.Flush()
}

// precheck runs one execution through an engine with the same
// integrations: it must succeed (with the expected output, if any). It
// returns the execution's transitions (Parallel and Map children
// included). The engine runs on a virtual clock, so Waits take no time.
func (r *e2eRun) precheck(ctx context.Context, prog *vm.Program, reg *task.Registry) (int64, error) {
	in, err := value.Parse(r.w.Input)
	if err != nil {
		return 0, err
	}
	en := engine.New(engine.Options{Clock: engine.NewVirtualClock(time.Now())})
	var res engine.Result
	en.Start(engine.Start{Program: prog, Tasks: reg, Input: in, InputSize: len(r.w.Input), OwnInput: true,
		Name: "precheck", Done: func(x engine.Result) { res = x }})
	cctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := en.Drain(cctx); err != nil {
		return 0, fmt.Errorf("checking the output before the run: %w", err)
	}
	if res.Status != engine.Succeeded {
		return 0, fmt.Errorf("checking the output before the run: execution %s: %s: %s", res.Status, res.Error, res.Cause)
	}
	if err := r.w.CheckOutput(value.AppendJSON(nil, res.Output)); err != nil {
		return 0, fmt.Errorf("checking the output before the run: %w", err)
	}
	return res.Transitions, nil
}

// onResult timestamps a result as it is published (core subscription).
func (r *e2eRun) onResult(m *nats.Msg) {
	now := time.Since(r.t0).Nanoseconds()
	id, ok := eventID(m.Data)
	r.recvMu.Lock()
	defer r.recvMu.Unlock()
	if r.recvDone {
		return
	}
	r.seen.Add(1)
	if !ok || id >= len(r.recvAt) {
		r.bad.Add(1)
		return
	}
	if r.recvAt[id] == 0 {
		r.recvAt[id] = max(now, 1)
		r.distinct.Add(1)
	}
}

// eventID extracts n from the result body's "msg_id":"e-<n>".
func eventID(body []byte) (int, bool) {
	const key = `"msg_id":"e-`
	i := bytes.LastIndex(body, []byte(key))
	if i < 0 {
		return 0, false
	}
	i += len(key)
	n, digits := 0, 0
	for ; i < len(body) && body[i] >= '0' && body[i] <= '9'; i++ {
		n = n*10 + int(body[i]-'0')
		digits++
	}
	if digits == 0 || i >= len(body) || body[i] != '"' {
		return 0, false
	}
	return n, true
}

// publish publishes the events with async JetStream publishes, at most
// opts.Window awaiting their PubAck; a failed publish is retried (the
// event's Nats-Msg-Id makes a retry safe).
func (r *e2eRun) publish(ctx context.Context) error {
	js, err := jetstream.New(r.loadNC, jetstream.WithPublishAsyncMaxPending(r.opts.Window))
	if err != nil {
		return err
	}
	type inflight struct {
		id  int
		fut jetstream.PubAckFuture
	}
	futs := make(chan inflight, r.opts.Window)
	var acks sync.WaitGroup
	acks.Add(1)
	go func() {
		defer acks.Done()
		for f := range futs {
			select {
			case <-f.fut.Ok():
			case err := <-f.fut.Err():
				ok := false
				for try := 0; try < 5 && !ok; try++ {
					cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
					_, err = js.PublishMsg(cctx, f.fut.Msg())
					cancel()
					ok = err == nil
				}
				if !ok {
					r.pubErrs.Add(1)
					r.log.Warn("event publish failed", "id", f.id, "error", err)
				}
			}
			r.acked.Add(1)
			r.lastAckAt.Store(time.Since(r.t0).Nanoseconds())
		}
	}()
	defer func() {
		close(futs)
		acks.Wait()
	}()
	var interval time.Duration
	if r.opts.Rate > 0 {
		interval = time.Duration(float64(time.Second) / r.opts.Rate)
	}
	data := r.w.Input
	for i := range r.opts.Events {
		if interval > 0 {
			target := time.Duration(i) * interval
			if ahead := target - time.Since(r.t0); ahead > 500*time.Microsecond {
				time.Sleep(ahead)
			}
		}
		if i&1023 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		msg := &nats.Msg{Subject: r.subject, Data: data, Header: nats.Header{nats.MsgIdHdr: []string{"e-" + strconv.Itoa(i)}}}
		r.pubAt[i] = max(time.Since(r.t0).Nanoseconds(), 1)
		fut, err := js.PublishMsgAsync(msg)
		if err != nil {
			// Too many pending or a disconnect: publish synchronously.
			cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			_, err = js.PublishMsg(cctx, msg)
			cancel()
			if err != nil {
				r.pubErrs.Add(1)
			}
			r.published.Add(1)
			r.acked.Add(1)
			continue
		}
		r.published.Add(1)
		futs <- inflight{id: i, fut: fut}
	}
	return nil
}

// wait waits until every event has a result, the results stall, or ctx
// ends.
func (r *e2eRun) wait(ctx context.Context, pubDone <-chan error) error {
	n := int64(r.opts.Events)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	last, lastChange := int64(-1), time.Now()
	published := false
	for {
		select {
		case err := <-pubDone:
			if err != nil {
				return fmt.Errorf("publishing events: %w", err)
			}
			published = true
			pubDone = nil
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
		d := r.distinct.Load()
		if d >= n && published {
			return nil
		}
		if d != last {
			last, lastChange = d, time.Now()
		} else if published && time.Since(lastChange) > r.opts.Stall {
			r.log.Warn("results stalled", "results", d, "events", n)
			return nil
		}
	}
}

// audit reads the stored results of the run from EXPRESSD_RESULTS: distinct
// ids stored, results not SUCCEEDED, outputs different from the expected.
func (r *e2eRun) audit(ctx context.Context, res *E2EResult) error {
	js, err := jetstream.New(r.subNC)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	stream, err := js.Stream(ctx, natsjs.ResultsStream)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	info, err := stream.Info(ctx, jetstream.WithSubjectFilter(r.results))
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	total := info.State.Subjects[r.results]
	cons, err := stream.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{FilterSubjects: []string{r.results}})
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	stored := make([]bool, r.opts.Events)
	var read uint64
	for read < total {
		// Ask for no more than is left: a fetch waits until its batch is full.
		batch, err := cons.Fetch(int(min(4096, total-read)), jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			return fmt.Errorf("audit: %w", err)
		}
		got := 0
		for m := range batch.Messages() {
			got++
			read++
			r.check(m.Data(), stored, res)
		}
		if err := batch.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) {
			return fmt.Errorf("audit: %w", err)
		}
		if got == 0 {
			break
		}
	}
	for _, s := range stored {
		if s {
			res.Stored++
		}
	}
	return nil
}

// check accounts for one stored result body.
func (r *e2eRun) check(body []byte, stored []bool, res *E2EResult) {
	id, ok := eventID(body)
	if !ok || id >= len(stored) {
		return
	}
	if stored[id] {
		return // a second stored result for one event (should not happen: dedup window)
	}
	stored[id] = true
	v, err := value.Parse(body)
	if err != nil {
		res.Failed++
		return
	}
	if st, _ := v.Get("status"); st.Str() != string(engine.Succeeded) {
		if res.Failed == 0 {
			r.log.Warn("execution did not succeed", "result", string(body))
		}
		res.Failed++
		return
	}
	if r.w.Expect != nil {
		if out, _ := v.Get("output"); !value.Equal(out, *r.w.Expect) {
			res.WrongOutput++
		}
	}
}

// close stops everything the run started; with URL and without Keep it
// deletes the bench's trigger stream and purges its results.
func (r *e2eRun) close() error {
	var errs []error
	if r.d != nil {
		r.d.Stop(10 * time.Second) // before its stream goes: it would wait for it to come back
	}
	if r.svc != nil {
		_ = r.svc.Stop()
	}
	if r.opts.URL != "" && !r.opts.Keep && r.loadNC != nil && r.stream != "" {
		if js, err := jetstream.New(r.loadNC); err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			if err := js.DeleteStream(ctx, r.stream); err != nil && !errors.Is(err, jetstream.ErrStreamNotFound) {
				errs = append(errs, fmt.Errorf("delete stream %s: %w", r.stream, err))
			}
			if s, err := js.Stream(ctx, natsjs.ResultsStream); err == nil {
				_ = s.Purge(ctx, jetstream.WithPurgeSubject(r.results))
			}
			cancel()
		}
	}
	for _, nc := range []*nats.Conn{r.loadNC, r.subNC, r.svcNC} {
		if nc != nil {
			nc.Close()
		}
	}
	if r.dir != "" && !r.opts.Keep {
		if err := os.RemoveAll(r.dir); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
