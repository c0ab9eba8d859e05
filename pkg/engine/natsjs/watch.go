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

// minNudgeGap is the least time between two checks that errors asked for:
// a failing store reports every event, and a check per report would load a
// JetStream that is already in trouble.
const minNudgeGap = time.Second

// DefaultStreamRecreateGrace is how long, by default, a trigger stream
// must stay missing before the watcher creates it again: an operator who
// deletes a stream to create it with other settings has that long before
// the daemon's default settings win the race.
const DefaultStreamRecreateGrace = 10 * time.Second

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
	var lastNudged time.Time
	for {
		full := false
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			full = true
		case <-b.nudge:
			if wait := time.Until(lastNudged.Add(minNudgeGap)); wait > 0 {
				select {
				case <-ctx.Done():
					return
				case <-time.After(wait):
				}
			}
			lastNudged = time.Now()
		}
		b.check(ctx, full)
	}
}

// nudgeStreams asks the watcher to check the results and DLQ streams now.
func (b *Binding) nudgeStreams() {
	b.nudgeOwn.Store(true)
	b.nudgeWatch()
}

// nudge asks the watcher to check this machine's consumer now.
func (m *machine) nudge() {
	m.nudged.Store(true)
	m.b.nudgeWatch()
}

// check runs one round of the watcher: everything (full), or what was
// nudged.
func (b *Binding) check(ctx context.Context, full bool) {
	if !b.opts.Conn.IsConnected() {
		return // Ready says so already; the calls would only time out
	}
	if b.nudgeOwn.Swap(false) || full {
		b.checkOwnStreams(ctx)
	}
	if full {
		b.checkTriggerSubjects(ctx)
	}
	for _, m := range b.machines {
		if ctx.Err() != nil {
			return
		}
		if m.Trigger != nil && (m.nudged.Swap(false) || full) {
			m.check(ctx)
		}
	}
}

// checkTriggerSubjects adds to each existing trigger stream the subjects
// it lacks (another process's concurrent update, or an operator, may have
// dropped some). A missing stream is the machines' check's business.
func (b *Binding) checkTriggerSubjects(ctx context.Context) {
	seen := map[string]bool{}
	for _, m := range b.machines {
		if m.Trigger == nil || seen[m.Trigger.Stream] || ctx.Err() != nil {
			continue
		}
		seen[m.Trigger.Stream] = true
		cctx, cancel := context.WithTimeout(ctx, checkTimeout)
		if _, err := b.js.Stream(cctx, m.Trigger.Stream); err == nil {
			if _, err := b.ensureTrigger(cctx, m.Trigger.Stream); err != nil && ctx.Err() == nil {
				b.rlog.Warn("subjects "+m.Trigger.Stream, "cannot add the trigger subjects to the stream", "stream", m.Trigger.Stream, "error", err)
			}
		}
		cancel()
	}
}

// checkOwnStreams creates the results and DLQ streams again when missing.
func (b *Binding) checkOwnStreams(ctx context.Context) {
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
}

// check makes sure the machine's consumer exists and its consume loop
// runs on it, and sets it up again otherwise.
func (m *machine) check(ctx context.Context) {
	b, t := m.b, m.Trigger
	key := "consumer " + m.Name
	cctx, cancel := context.WithTimeout(ctx, checkTimeout)
	defer cancel()
	m.mu.Lock()
	run, inst := m.run, m.inst
	m.mu.Unlock()
	cons, err := b.js.Consumer(cctx, t.Stream, t.Consumer)
	var why string
	switch {
	case err == nil:
		ci := cons.CachedInfo()
		m.missingSince = time.Time{}
		if run != nil && ci.Created.Equal(inst.created) && !closed(run.cc.Closed()) {
			m.floor = ci.AckFloor.Stream
			b.health.clear(key)
			return
		}
		why = "consume loop ended"
		if inst != nil && !ci.Created.Equal(inst.created) {
			why = "consumer was recreated"
			m.markGone()
		}
	case errors.Is(err, jetstream.ErrStreamNotFound):
		m.markGone()
		now := time.Now()
		if m.missingSince.IsZero() {
			m.missingSince = now
		}
		if at := m.missingSince.Add(b.opts.StreamRecreateGrace); now.Before(at) {
			b.health.set(key, fmt.Sprintf("machine %s: stream %s is missing; creating it again at %s unless it appears",
				m.Name, t.Stream, at.UTC().Format(time.RFC3339)))
			b.rlog.Warn(key+" missing", "trigger stream missing; creating it again after the grace period unless it appears",
				"machine", m.Name, "stream", t.Stream, "grace", b.opts.StreamRecreateGrace)
			return
		}
		why = "stream " + t.Stream + " was deleted"
	case errors.Is(err, jetstream.ErrConsumerNotFound):
		why = "consumer was deleted"
		m.markGone()
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
	m.missingSince = time.Time{}
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
