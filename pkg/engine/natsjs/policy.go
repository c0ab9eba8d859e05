package natsjs

import (
	"context"
	"time"
)

// The ack policy, in one place (DESIGN.md "Ack policy"):
//
//   - execution ended (SUCCEEDED, FAILED or TIMED_OUT) and result stored
//     (PubAck received) → Ack. A failed execution is finished: AWS does not
//     retry failed asynchronous Express executions.
//   - event not JSON or over 256 KiB → FAILED result stored and a DLQ copy
//     stored → Term.
//   - result not stored (infrastructure trouble) → NakWithDelay, so the
//     event runs again; on its last delivery (max_deliver) → DLQ + Term.
//   - shutdown → Nak what has not finished, for prompt redelivery.
//   - long executions → InProgress every ack_wait/3 (see keepAlive).
//   - an event whose last delivery expired unacknowledged (its worker died)
//     → DLQ, from the server's MAX_DELIVERIES advisory (see dlq.go).

// nakDelay is the redelivery delay after a failure to store a result: it
// grows with the delivery count, from 1s up to 30s, to ride out a NATS
// outage without a redelivery storm.
func nakDelay(deliveries uint64) time.Duration {
	d := time.Duration(deliveries) * time.Second
	return min(d, 30*time.Second)
}

// resultStored acknowledges an event whose result (and DLQ copy) is stored.
func resultStored(ev *event) {
	if !ev.m.untrack(ev) {
		return // shutdown nak'ed it already
	}
	if ev.dlq != "" {
		_ = ev.msg.Term()
	} else {
		_ = ev.msg.Ack()
	}
	ev.m.b.inflight.Done()
}

// resultNotStored handles an event whose result could not be stored.
func resultNotStored(ev *event, err error) {
	b := ev.m.b
	if !ev.m.untrack(ev) {
		return
	}
	defer b.inflight.Done()
	last := ev.m.Trigger != nil && ev.m.Trigger.MaxDeliver > 0 && ev.deliv >= uint64(ev.m.Trigger.MaxDeliver)
	b.log.Warn("result not stored", "machine", ev.m.Name, "stream", ev.stream, "seq", ev.seq, "delivery", ev.deliv, "last", last, "error", err)
	if !last {
		_ = ev.msg.NakWithDelay(nakDelay(ev.deliv))
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, derr := b.js.PublishMsg(ctx, ev.dlqMsg("result not stored after "+itoa(ev.deliv)+" deliveries: "+err.Error())); derr != nil {
		// Neither result nor DLQ copy stored: leave the event to the
		// server's MAX_DELIVERIES advisory rather than drop it.
		b.log.Error("DLQ copy not stored", "machine", ev.m.Name, "stream", ev.stream, "seq", ev.seq, "error", derr)
		_ = ev.msg.NakWithDelay(nakDelay(ev.deliv))
		return
	}
	b.opts.Engine.Metrics.DeadLettered(ev.m.Name, "result not stored")
	_ = ev.msg.Term()
}

// nakShutdown returns an unfinished event to the stream at shutdown.
func nakShutdown(ev *event) {
	_ = ev.msg.Nak()
}
