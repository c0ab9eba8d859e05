package natsjs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// checkTimeout bounds one JetStream call of the watcher.
const checkTimeout = 5 * time.Second

// watch keeps what the binding depends on in place while it runs, every
// CheckInterval and at once when a consume loop reports an error: the
// results and DLQ streams, each trigger stream and durable consumer, and a
// running consume loop on it. What was deleted is created again (an
// operator deleting the trigger stream, the consumer or EXPRESSD_RESULTS
// must not leave the daemon idle while /readyz says ready); what cannot be
// recreated is a health problem until it can, so /readyz reports it.
func (b *Binding) watch(ctx context.Context) {
	t := time.NewTicker(b.opts.CheckInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-b.nudge:
		}
		b.check(ctx)
	}
}

// check runs one round of the watcher.
func (b *Binding) check(ctx context.Context) {
	if !b.opts.Conn.IsConnected() {
		return // Ready says so already; the calls would only time out
	}
	for _, cfg := range b.ownStreams() {
		key := "stream " + cfg.Name
		cctx, cancel := context.WithTimeout(ctx, checkTimeout)
		_, err := b.ensureStream(cctx, cfg, false)
		cancel()
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			b.health.set(key, fmt.Sprintf("stream %s: %v", cfg.Name, err))
			b.rlog.Error(key, "stream missing and not created again", "stream", cfg.Name, "error", err)
			continue
		}
		b.health.clear(key)
	}
	for _, m := range b.machines {
		if ctx.Err() != nil {
			return
		}
		if m.Trigger != nil {
			m.check(ctx)
		}
	}
}

// check makes sure the machine's consumer exists and its consume loop
// runs on it, and sets it up again otherwise.
func (m *machine) check(ctx context.Context) {
	b, t := m.b, m.Trigger
	key := "consumer " + m.Name
	cctx, cancel := context.WithTimeout(ctx, checkTimeout)
	defer cancel()
	m.mu.Lock()
	run := m.run
	m.mu.Unlock()
	cons, err := b.js.Consumer(cctx, t.Stream, t.Consumer)
	var why string
	switch {
	case err == nil:
		ci := cons.CachedInfo()
		if run != nil && ci.Created.Equal(run.created) && !closed(run.cc.Closed()) {
			m.floor = ci.AckFloor.Stream
			b.health.clear(key)
			return
		}
		why = "consume loop ended"
		if run != nil && !ci.Created.Equal(run.created) {
			why = "consumer was recreated"
		}
	case errors.Is(err, jetstream.ErrStreamNotFound):
		why = "stream " + t.Stream + " was deleted"
	case errors.Is(err, jetstream.ErrConsumerNotFound):
		why = "consumer was deleted"
	default:
		if ctx.Err() == nil {
			b.rlog.Warn(key+" check", "cannot check consumer", "machine", m.Name, "stream", t.Stream, "consumer", t.Consumer, "error", err)
		}
		return
	}
	b.health.set(key, fmt.Sprintf("machine %s: %s; setting up consumer %s on stream %s again", m.Name, why, t.Consumer, t.Stream))
	b.log.Warn("consumer lost; setting it up again", "machine", m.Name, "stream", t.Stream, "consumer", t.Consumer, "reason", why)
	if err := m.setup(cctx); err != nil {
		if ctx.Err() == nil {
			b.health.set(key, fmt.Sprintf("machine %s: %s, and setting it up again failed: %v", m.Name, why, err))
			b.rlog.Error(key, "consumer not set up again", "machine", m.Name, "error", err)
		}
		return
	}
	b.health.clear(key)
	b.log.Info("consuming again", "machine", m.Name, "stream", t.Stream, "consumer", t.Consumer)
}

// closed reports whether ch is closed.
func closed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}
