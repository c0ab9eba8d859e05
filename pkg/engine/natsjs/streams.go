package natsjs

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// ensureStreams creates EXPRESSD_RESULTS and EXPRESSD_DLQ when absent.
// Existing streams are used as they are: operators may have tuned them.
func (b *Binding) ensureStreams(ctx context.Context) error {
	for _, cfg := range []jetstream.StreamConfig{
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
	} {
		if err := b.retryUnavailable(ctx, "stream "+cfg.Name, func() error { return b.ensureStream(ctx, cfg, false) }); err != nil {
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
		if err == nil || !transient(err) || time.Now().After(deadline) || ctx.Err() != nil {
			return err
		}
		b.log.Warn("JetStream not ready, retrying", "what", what, "error", err)
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

// ensureStream creates a stream when it does not exist. For a trigger
// stream (merge), an existing stream missing some of the subjects gets them
// added.
func (b *Binding) ensureStream(ctx context.Context, cfg jetstream.StreamConfig, merge bool) error {
	s, err := b.js.Stream(ctx, cfg.Name)
	switch {
	case errors.Is(err, jetstream.ErrStreamNotFound):
		if _, err := b.js.CreateStream(ctx, cfg); err != nil {
			return fmt.Errorf("natsjs: create stream %s: %w", cfg.Name, err)
		}
		b.log.Info("created stream", "stream", cfg.Name, "subjects", cfg.Subjects)
		return nil
	case err != nil:
		return fmt.Errorf("natsjs: stream %s: %w", cfg.Name, err)
	}
	if !merge {
		return nil
	}
	have := s.CachedInfo().Config
	missing := false
	for _, subj := range cfg.Subjects {
		if !slices.Contains(have.Subjects, subj) {
			have.Subjects = append(have.Subjects, subj)
			missing = true
		}
	}
	if missing {
		if _, err := b.js.UpdateStream(ctx, have); err != nil {
			return fmt.Errorf("natsjs: add subjects %v to stream %s: %w", cfg.Subjects, cfg.Name, err)
		}
	}
	return nil
}

// start sets up the machine's trigger (stream, durable consumer, consume
// loop, max-deliveries advisories) and its sync subscription.
func (m *machine) start(ctx context.Context) error {
	b := m.b
	nc := b.opts.Conn
	sub, err := nc.QueueSubscribe(SyncPrefix+m.Name, "expressd", m.onSync)
	if err != nil {
		return fmt.Errorf("natsjs: subscribe %s: %w", SyncPrefix+m.Name, err)
	}
	m.syncSub = sub
	t := m.Trigger
	if t == nil {
		return nil
	}
	scfg := jetstream.StreamConfig{
		Name:     t.Stream,
		Subjects: t.Subjects,
		Storage:  jetstream.FileStorage,
		Replicas: b.replicas(),
	}
	if err := b.retryUnavailable(ctx, "stream "+t.Stream, func() error { return b.ensureStream(ctx, scfg, true) }); err != nil {
		return err
	}
	ccfg := jetstream.ConsumerConfig{
		Durable:        t.Consumer,
		AckPolicy:      jetstream.AckExplicitPolicy,
		AckWait:        t.AckWait,
		MaxDeliver:     t.MaxDeliver,
		MaxAckPending:  m.Concurrency,
		DeliverPolicy:  jetstream.DeliverAllPolicy,
		FilterSubjects: t.Subjects,
	}
	if len(t.Subjects) == 1 {
		ccfg.FilterSubject, ccfg.FilterSubjects = t.Subjects[0], nil
	}
	var cons jetstream.Consumer
	err = b.retryUnavailable(ctx, "consumer "+t.Consumer, func() error {
		var cerr error
		cons, cerr = b.js.CreateOrUpdateConsumer(ctx, t.Stream, ccfg)
		return cerr
	})
	if err != nil {
		return fmt.Errorf("natsjs: consumer %s on stream %s: %w", t.Consumer, t.Stream, err)
	}
	m.consumer = cons
	// Events that used their last delivery without being acknowledged
	// (their worker died) go to the DLQ; the server reports them by advisory.
	adv := "$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES." + t.Stream + "." + t.Consumer
	if m.advSub, err = nc.QueueSubscribe(adv, "expressd", m.onMaxDeliveries); err != nil {
		return fmt.Errorf("natsjs: subscribe %s: %w", adv, err)
	}
	batch := min(b.opts.FetchBatch, m.Concurrency)
	cc, err := cons.Consume(m.onMessage,
		jetstream.PullMaxMessages(batch),
		// A short expiry keeps pulls from going stale (see DESIGN.md: pulls
		// were seen to stall until expiry against an in-process server).
		jetstream.PullExpiry(5*time.Second),
		jetstream.ConsumeErrHandler(func(_ jetstream.ConsumeContext, err error) {
			if !errors.Is(err, jetstream.ErrNoHeartbeat) {
				b.log.Warn("consume", "machine", m.Name, "error", err)
			}
		}))
	if err != nil {
		return fmt.Errorf("natsjs: consume %s: %w", t.Consumer, err)
	}
	m.consume = cc
	return nil
}

// stopIntake stops taking new events and sync requests. Messages already
// buffered by the client are drained to onMessage, which naks them.
func (m *machine) stopIntake() {
	if m.consume != nil {
		m.consume.Drain()
	}
	if m.syncSub != nil {
		_ = m.syncSub.Drain()
	}
	if m.advSub != nil {
		_ = m.advSub.Unsubscribe()
	}
}
