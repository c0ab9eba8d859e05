package natsjs

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// ownStreams are the streams of the daemon itself: EXPRESSD_RESULTS and
// EXPRESSD_DLQ, created when absent (at start, and by the watcher when
// they are deleted while the daemon runs).
func (b *Binding) ownStreams() []jetstream.StreamConfig {
	return []jetstream.StreamConfig{
		{
			Name:       ResultsStream,
			Subjects:   []string{ResultsSubject},
			Storage:    jetstream.FileStorage,
			Replicas:   b.replicas(),
			Duplicates: resultsDuplicateWindow,
			MaxAge:     7 * 24 * time.Hour,
			Discard:    jetstream.DiscardOld,
		},
		{
			Name:       DLQStream,
			Subjects:   []string{DLQSubject},
			Storage:    jetstream.FileStorage,
			Replicas:   b.replicas(),
			Duplicates: resultsDuplicateWindow,
			MaxAge:     30 * 24 * time.Hour,
		},
	}
}

// ensureStreams creates EXPRESSD_RESULTS and EXPRESSD_DLQ when absent.
// Existing streams are used as they are: operators may have tuned them.
func (b *Binding) ensureStreams(ctx context.Context) error {
	for _, cfg := range b.ownStreams() {
		if err := b.retryUnavailable(ctx, "stream "+cfg.Name, func() error {
			_, err := b.ensureStream(ctx, cfg, false)
			return err
		}); err != nil {
			return err
		}
	}
	return nil
}

// replicas is the replica count of the streams the binding creates.
func (b *Binding) replicas() int { return max(b.opts.Replicas, 1) }

// startupRetry bounds how long Start retries JetStream calls that fail
// because the service is not ready yet (a cluster electing its meta leader,
// a server still recovering its store).
const startupRetry = 30 * time.Second

// retryUnavailable runs f until it succeeds, fails with an error that
// retrying cannot fix, or startupRetry passes.
func (b *Binding) retryUnavailable(ctx context.Context, what string, f func() error) error {
	deadline := time.Now().Add(startupRetry)
	delay := 100 * time.Millisecond
	for {
		err := f()
		if err != nil && errors.Is(err, nats.ErrNoResponders) {
			err = fmt.Errorf("%w (nothing answers the JetStream API: is JetStream enabled on the server, -js, and for this account?)", err)
		}
		if err == nil || !transient(err) || time.Now().After(deadline) || ctx.Err() != nil {
			return err
		}
		b.log.Warn("JetStream not ready, retrying", "what", what, "error", err, "retrying_for", startupRetry)
		time.Sleep(delay)
		delay = min(2*delay, 2*time.Second)
	}
}

// transient reports whether a JetStream error may go away by itself.
func transient(err error) bool {
	var apiErr *jetstream.APIError
	if errors.As(err, &apiErr) {
		return apiErr.Code == 503 || apiErr.Code == 408
	}
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, nats.ErrTimeout) ||
		errors.Is(err, jetstream.ErrJetStreamNotEnabled) || errors.Is(err, nats.ErrNoResponders) ||
		errors.Is(err, jetstream.ErrNoStreamResponse)
}

// ensureStream creates a stream when it does not exist and returns its
// info. For a trigger stream (merge), an existing stream missing some of
// the subjects gets them added.
func (b *Binding) ensureStream(ctx context.Context, cfg jetstream.StreamConfig, merge bool) (*jetstream.StreamInfo, error) {
	s, err := b.js.Stream(ctx, cfg.Name)
	switch {
	case errors.Is(err, jetstream.ErrStreamNotFound):
		s, err := b.js.CreateStream(ctx, cfg)
		if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			// Another process created it in between: use it as it is.
			return b.ensureStream(ctx, cfg, merge)
		}
		if err != nil {
			return nil, fmt.Errorf("natsjs: create stream %s: %w", cfg.Name, err)
		}
		if b.ready.Load() {
			b.log.Warn("stream was missing; created it again", "stream", cfg.Name, "subjects", cfg.Subjects)
		} else {
			b.log.Info("created stream", "stream", cfg.Name, "subjects", cfg.Subjects)
		}
		return s.CachedInfo(), nil
	case err != nil:
		return nil, fmt.Errorf("natsjs: stream %s: %w", cfg.Name, err)
	}
	info := s.CachedInfo()
	if !merge {
		return info, nil
	}
	have := info.Config
	missing := false
	for _, subj := range cfg.Subjects {
		if !slices.Contains(have.Subjects, subj) {
			have.Subjects = append(have.Subjects, subj)
			missing = true
		}
	}
	if missing {
		s, err := b.js.UpdateStream(ctx, have)
		if err != nil {
			return nil, fmt.Errorf("natsjs: add subjects %v to stream %s: %w", cfg.Subjects, cfg.Name, err)
		}
		info = s.CachedInfo()
	}
	return info, nil
}

// start subscribes to the machine's sync requests and sets up its trigger.
func (m *machine) start(ctx context.Context) error {
	b := m.b
	sub, err := b.opts.Conn.QueueSubscribe(SyncPrefix+m.Name, "expressd", m.onSync)
	if err != nil {
		return fmt.Errorf("natsjs: subscribe %s: %w", SyncPrefix+m.Name, err)
	}
	m.mu.Lock()
	m.syncSub = sub
	m.mu.Unlock()
	if m.Trigger == nil {
		return nil
	}
	t := m.Trigger
	err = b.retryUnavailable(ctx, "consumer "+t.Consumer, func() error { return m.setup(ctx) })
	if err != nil {
		return fmt.Errorf("natsjs: machine %s: %w", m.Name, err)
	}
	return nil
}

// consumerConfig is the durable consumer of the machine's trigger.
func (m *machine) consumerConfig() jetstream.ConsumerConfig {
	t := m.Trigger
	cfg := jetstream.ConsumerConfig{
		Durable:   t.Consumer,
		AckPolicy: jetstream.AckExplicitPolicy,
		AckWait:   t.AckWait,
		// Unlimited at the server: the binding dead-letters an event on
		// the delivery after its last allowed run (policy.go), which needs
		// that delivery to happen even when the last run's worker died.
		MaxDeliver:     -1,
		MaxAckPending:  m.Concurrency,
		DeliverPolicy:  jetstream.DeliverAllPolicy,
		FilterSubjects: t.Subjects,
	}
	if len(t.Subjects) == 1 {
		cfg.FilterSubject, cfg.FilterSubjects = t.Subjects[0], nil
	}
	return cfg
}

// triggerStream is the stream config of a trigger stream as the binding
// creates it: the subjects of every machine on it.
func (b *Binding) triggerStream(name string) jetstream.StreamConfig {
	cfg := jetstream.StreamConfig{Name: name, Storage: jetstream.FileStorage, Replicas: b.replicas()}
	for _, m := range b.machines {
		if m.Trigger != nil && m.Trigger.Stream == name {
			for _, s := range m.Trigger.Subjects {
				if !slices.Contains(cfg.Subjects, s) {
					cfg.Subjects = append(cfg.Subjects, s)
				}
			}
		}
	}
	return cfg
}

// ensureTrigger creates a trigger stream, or adds the subjects it lacks,
// once for all the machines on it: machines sharing a stream set up in
// parallel each read, extended and wrote back the subject list, and the
// last write won (27 of 32 machines lost their subjects). Calls for one
// stream are serialized in this process; across processes the watcher's
// rounds repair what a concurrent update undid.
func (b *Binding) ensureTrigger(ctx context.Context, name string) (*jetstream.StreamInfo, error) {
	b.streamMu.Lock()
	mu := b.streamLocks[name]
	if mu == nil {
		if b.streamLocks == nil {
			b.streamLocks = map[string]*sync.Mutex{}
		}
		mu = &sync.Mutex{}
		b.streamLocks[name] = mu
	}
	b.streamMu.Unlock()
	mu.Lock()
	defer mu.Unlock()
	return b.ensureStream(ctx, b.triggerStream(name), true)
}

// setup makes sure the trigger stream (with the subjects of every machine
// on it) and the durable consumer exist, and starts a consume loop on it,
// replacing the current one. A consumer that has to be created again on
// the same stream (same creation time) starts after the last ack floor
// seen, so the events it had already completed do not all run again; on a
// new stream it starts at the beginning.
func (m *machine) setup(ctx context.Context) error {
	b, t := m.b, m.Trigger
	info, err := b.ensureTrigger(ctx, t.Stream)
	if err != nil {
		return err
	}
	cfg := m.consumerConfig()
	cur, err := b.js.Consumer(ctx, t.Stream, t.Consumer)
	switch {
	case err == nil:
		// The deliver policy of a consumer cannot change: keep its own.
		have := cur.CachedInfo().Config
		cfg.DeliverPolicy, cfg.OptStartSeq, cfg.OptStartTime = have.DeliverPolicy, have.OptStartSeq, have.OptStartTime
	case errors.Is(err, jetstream.ErrConsumerNotFound):
		if m.floor > 0 && info.Created.Equal(m.streamCreated) {
			cfg.DeliverPolicy, cfg.OptStartSeq = jetstream.DeliverByStartSequencePolicy, m.floor+1
		}
	default:
		return fmt.Errorf("natsjs: consumer %s on stream %s: %w", t.Consumer, t.Stream, err)
	}
	cons, err := b.js.CreateOrUpdateConsumer(ctx, t.Stream, cfg)
	if err != nil {
		// Another process may have created it in between, with another
		// deliver policy (which cannot change): take its policy, once.
		if cur, gerr := b.js.Consumer(ctx, t.Stream, t.Consumer); gerr == nil {
			have := cur.CachedInfo().Config
			cfg.DeliverPolicy, cfg.OptStartSeq, cfg.OptStartTime = have.DeliverPolicy, have.OptStartSeq, have.OptStartTime
			cons, err = b.js.CreateOrUpdateConsumer(ctx, t.Stream, cfg)
		}
	}
	if err != nil {
		return fmt.Errorf("natsjs: consumer %s on stream %s: %w", t.Consumer, t.Stream, err)
	}
	ci := cons.CachedInfo()
	m.streamCreated, m.floor = info.Created, ci.AckFloor.Stream
	return m.consume(cons, ci.Created)
}

// consume starts a consume loop on cons (created at created) and makes it
// the machine's current one. The loop it replaces is stopped; its
// deliveries still running keep their acks only if they came from the
// same consumer instance.
func (m *machine) consume(cons jetstream.Consumer, created time.Time) error {
	b := m.b
	// The deliveries of an earlier instance must not be acked once this
	// one pulls: mark it gone first.
	m.mu.Lock()
	inst := m.inst
	m.mu.Unlock()
	if inst == nil || !inst.created.Equal(created) {
		m.markGone()
		inst = &instance{created: created}
	}
	run := &consumeRun{inst: inst}
	batch := min(b.opts.FetchBatch, m.Concurrency)
	cc, err := cons.Consume(func(msg jetstream.Msg) { m.onMessage(run, msg) },
		jetstream.PullMaxMessages(batch),
		// A short expiry keeps pulls from going stale (see DESIGN.md: pulls
		// were seen to stall until expiry against an in-process server).
		jetstream.PullExpiry(5*time.Second),
		jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) { m.consumeError(inst, err) }))
	if err != nil {
		return fmt.Errorf("natsjs: consume %s: %w", m.Trigger.Consumer, err)
	}
	run.cc = cc
	m.mu.Lock()
	old := m.run
	m.run, m.inst = run, inst
	m.mu.Unlock()
	if old != nil {
		old.cc.Stop()
	}
	return nil
}

// consumeError handles an error reported by a consume loop: it is logged
// (rate-limited) and makes the watcher check the machine's consumer now.
// A deleted consumer shows up here as ErrConsumerDeleted (the loop ends),
// or as missing heartbeats and no-responder pulls.
func (m *machine) consumeError(inst *instance, err error) {
	b := m.b
	if errors.Is(err, jetstream.ErrConsumerDeleted) {
		// The server says so before anyone can create the consumer again:
		// from now on no delivery of this instance is acked.
		m.ackMu.Lock()
		inst.gone.Store(true)
		m.ackMu.Unlock()
	}
	if !errors.Is(err, jetstream.ErrNoHeartbeat) || !b.opts.Conn.IsConnected() {
		b.rlog.Warn("consume "+m.Name, "consume", "machine", m.Name, "error", err)
	}
	m.nudge()
}

// stopIntake stops taking new events and sync requests, and waits (up to
// intakeDrainTimeout) until the messages the client had buffered went
// through onMessage and onSync, which nak or refuse them.
func (m *machine) stopIntake() {
	m.mu.Lock()
	run, sub := m.run, m.syncSub
	m.mu.Unlock()
	if run != nil {
		run.cc.Drain()
	}
	if sub != nil {
		_ = sub.Drain()
	}
	deadline := time.After(intakeDrainTimeout)
	if run != nil {
		select {
		case <-run.cc.Closed():
		case <-deadline:
			m.b.log.Warn("consume loop did not drain in time", "machine", m.Name)
		}
	}
	for sub != nil && sub.IsValid() {
		select {
		case <-deadline:
			m.b.log.Warn("sync subscription did not drain in time", "machine", m.Name)
			return
		case <-time.After(5 * time.Millisecond):
		}
	}
}
