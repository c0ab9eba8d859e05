package natsjs

import (
	"errors"
	"strconv"
	"time"

	"github.com/expressd/expressd/pkg/engine"
	"github.com/expressd/expressd/pkg/states"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// The ack policy, in one place (DESIGN.md "Ack policy"). An event is always
// in exactly one of three places: completed (its result stored, then
// acked), still in its stream (not acked: it is delivered again), or in the
// DLQ (copy stored, then terminated). Nothing is acked or terminated
// before what it stands for is stored.
//
//   - execution ended (SUCCEEDED, FAILED or TIMED_OUT) and result stored
//     (PubAck received) → Ack. A failed execution is finished: AWS does not
//     retry failed asynchronous Express executions.
//   - event not JSON or over 256 KiB → FAILED result stored and a DLQ copy
//     stored → Term.
//   - result not stored (infrastructure trouble) → NakWithDelay, so the
//     event runs again.
//   - delivery number max_deliver+1 (every allowed run ended without a
//     stored result: the results stream refused it, or the worker died
//     each time) → DLQ copy stored → Term, without running it. The
//     consumer redelivers without limit (consumer.go), so this delivery
//     always comes, also after a crash on the last run; a MAX_DELIVERIES
//     advisory would be lost whenever no expressd listened at that moment.
//   - a DLQ copy not stored → NakWithDelay: the event stays in its stream,
//     comes back and is tried again, and the daemon says so (error log,
//     metric expressd_store_failures_total{reason="dlq"}, /readyz).
//   - shutdown → Nak what has not finished, for prompt redelivery.
//   - long executions → InProgress every ack_wait/3 (see keepAlive).
//   - a delivery from a consumer instance that no longer exists → nothing:
//     its ack would reach a recreated consumer of the same name.

// nakStopping returns a delivery that arrives while the binding stops:
// another worker (or this one, restarted) takes it.
func nakStopping(msg jetstream.Msg) {
	_ = msg.Nak()
}

// leaveUnnamed handles a message without JetStream metadata: it cannot be
// named, so it is neither acked nor terminated (either could lose an
// event); it comes back after ack_wait.
func leaveUnnamed(m *machine, err error) {
	m.b.rlog.Error("nometa "+m.Name, "message without JetStream metadata left unacknowledged", "machine", m.Name, "error", err)
}

// deliveriesUsedUp dead-letters an event delivered more than max_deliver
// times and reports whether it did: none of its deliveries stored a result
// (its worker died, the results stream refused the result, or a shutdown
// returned it), so it goes to the DLQ without running again.
func deliveriesUsedUp(ev *event) bool {
	limit := ev.m.Trigger.MaxDeliver
	if limit <= 0 || ev.deliv <= uint64(limit) {
		return false
	}
	ev.dlq, ev.dlqKind, ev.noRes = "no result stored in max_deliver ("+strconv.Itoa(limit)+") deliveries", "max deliver", true
	ev.m.b.pub.submit(ev)
	return true
}

// reject records a FAILED result for an event that cannot run (not JSON,
// over the payload limit) and sends it to the DLQ as well; it is
// terminated once both are stored.
func reject(ev *event, name states.Name, cause string) {
	now := time.Now()
	ev.res = engine.Result{Status: engine.Failed, Error: name, Cause: cause, HasError: true, HasCause: true,
		Name: ev.name, Start: now, Stop: now,
		ExecutionArn: ev.m.b.executionArn(ev.m.Name, ev.name)}
	ev.dlq, ev.dlqKind = string(name)+": "+cause, string(name)
	ev.m.b.pub.submit(ev)
}

// nakDelay is the redelivery delay after a failure to store a result: it
// grows with the delivery count, from 1s up to 30s, to ride out a NATS
// outage without a redelivery storm.
func nakDelay(deliveries uint64) time.Duration {
	d := time.Duration(deliveries) * time.Second
	return min(d, 30*time.Second)
}

// resultStored acknowledges an event whose result (and DLQ copy) is stored.
func resultStored(ev *event) {
	b := ev.m.b
	if !ev.noRes && b.resultsFailing.Load() && b.resultsFailing.CompareAndSwap(true, false) {
		b.health.clear(healthResults)
		b.log.Info("results are stored again")
	}
	if ev.dlq != "" && b.dlqFailing.Load() && b.dlqFailing.CompareAndSwap(true, false) {
		b.health.clear(healthDLQ)
		b.log.Info("DLQ copies are stored again")
	}
	if !ev.m.untrack(ev) {
		return // shutdown nak'ed it already
	}
	defer b.inflight.Done()
	if ev.dlq != "" {
		ev.settle(ev.msg.Term)
	} else {
		ev.settle(ev.msg.Ack)
	}
}

// storeProblemHold is how long a store that refused a write counts as a
// problem when nothing is written to it successfully: longer than the
// longest nak delay, so a store that keeps refusing the events that come
// back stays reported.
const storeProblemHold = 45 * time.Second

// Health keys of the stores (see health).
const (
	healthResults = "store results"
	healthDLQ     = "store dlq"
)

// resultNotStored handles an event whose result or DLQ copy could not be
// stored: it stays in the stream and comes back after a delay.
func resultNotStored(ev *event, dlq bool, err error) {
	b := ev.m.b
	m := ev.m
	if dlq {
		b.opts.Engine.Metrics.StoreFailed(m.Name, "dlq")
		b.dlqFailing.Store(true)
		b.health.setFor(healthDLQ, "DLQ copies are not stored (the events stay in their streams): "+err.Error(), storeProblemHold)
		b.rlog.Error("dlq "+m.Name, "DLQ copy not stored; the event stays in its stream and comes back",
			"machine", m.Name, "stream", ev.stream, "seq", ev.seq, "delivery", ev.deliv, "reason", ev.dlq, "error", err)
	} else {
		b.opts.Engine.Metrics.StoreFailed(m.Name, "result")
		b.resultsFailing.Store(true)
		b.health.setFor(healthResults, "results are not stored (the events run again): "+err.Error(), storeProblemHold)
		b.rlog.Warn("result "+m.Name, "result not stored; the event runs again",
			"machine", m.Name, "stream", ev.stream, "seq", ev.seq, "delivery", ev.deliv, "error", err)
	}
	if missingStream(err) {
		b.nudgeStreams()
	}
	if !m.untrack(ev) {
		return
	}
	defer b.inflight.Done()
	ev.settle(func() error { return ev.msg.NakWithDelay(nakDelay(ev.deliv)) })
}

// missingStream reports whether a publish error says that no stream
// captures the subject (the results or DLQ stream was deleted).
func missingStream(err error) bool {
	return errors.Is(err, jetstream.ErrNoStreamResponse) || errors.Is(err, nats.ErrNoResponders) ||
		errors.Is(err, jetstream.ErrStreamNotFound)
}

// inProgress tells the server an execution still runs (keepAlive calls it
// every ack_wait/3), so the event is not redelivered meanwhile.
func inProgress(ev *event) {
	ev.settle(ev.msg.InProgress)
}

// nakShutdown returns an unfinished event to the stream at shutdown.
func nakShutdown(ev *event) {
	ev.settle(ev.msg.Nak)
}
