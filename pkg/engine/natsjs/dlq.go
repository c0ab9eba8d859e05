package natsjs

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	"github.com/nats-io/nats.go"
)

// maxDeliveriesAdvisory is the part of the server's MAX_DELIVERIES
// advisory that the binding needs.
type maxDeliveriesAdvisory struct {
	Stream     string `json:"stream"`
	Consumer   string `json:"consumer"`
	StreamSeq  uint64 `json:"stream_seq"`
	Deliveries uint64 `json:"deliveries"`
}

// onMaxDeliveries copies an event whose last delivery expired without an
// acknowledgement (its worker died mid-execution) to the DLQ, so that no
// event silently stops being processed.
func (m *machine) onMaxDeliveries(msg *nats.Msg) {
	b := m.b
	var adv maxDeliveriesAdvisory
	if err := json.Unmarshal(msg.Data, &adv); err != nil {
		b.log.Warn("bad MAX_DELIVERIES advisory", "machine", m.Name, "error", err)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := b.js.Stream(ctx, adv.Stream)
	if err != nil {
		b.log.Error("DLQ: stream lookup", "stream", adv.Stream, "error", err)
		return
	}
	raw, err := s.GetMsg(ctx, adv.StreamSeq)
	if err != nil {
		b.log.Error("DLQ: event lookup", "stream", adv.Stream, "seq", adv.StreamSeq, "error", err)
		return
	}
	dlq := dlqMessage(m.Name, adv.Stream, adv.StreamSeq, raw.Subject, adv.Deliveries,
		"max deliveries reached ("+strconv.FormatUint(adv.Deliveries, 10)+") without a stored result", raw.Header, raw.Data)
	if _, err := b.js.PublishMsg(ctx, dlq); err != nil {
		b.log.Error("DLQ copy not stored", "machine", m.Name, "stream", adv.Stream, "seq", adv.StreamSeq, "error", err)
		return
	}
	b.opts.Engine.Metrics.DeadLettered(m.Name, "max deliveries")
}
