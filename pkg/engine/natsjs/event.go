package natsjs

import (
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/expressd/expressd/pkg/engine"
	"github.com/expressd/expressd/pkg/states"
	"github.com/expressd/expressd/pkg/telemetry"
	"github.com/expressd/expressd/pkg/value"
	"github.com/expressd/expressd/pkg/vm"
)

// Error names of events that cannot start an execution.
const (
	// ErrInvalidInput: the event is not valid JSON (AWS's StartExecution
	// rejects such input with InvalidExecutionInput).
	ErrInvalidInput = states.InvalidExecutionInput
	// ErrExecutionLimit: a sync request found its machine's sync
	// executions at their limit (AWS's name for "the maximum number of
	// running executions has been reached").
	ErrExecutionLimit = states.ExecutionLimitExceeded
)

// event is one trigger message on its way through an execution to its
// stored result and acknowledgement.
type event struct {
	m       *machine
	inst    *instance // the consumer instance that delivered it
	msg     jetstream.Msg
	stream  string
	seq     uint64
	stored  int64 // when the stream stored the event, Unix ns: with stream and seq, the event's identity
	deliv   uint64
	subject string
	msgID   string
	name    string
	touched time.Time // last InProgress (or arrival)
	res     engine.Result
	dlq     string // non-empty: copy the event to the DLQ with this reason, then Term
	dlqKind string // with dlq: the reason's metric label
	noRes   bool   // with dlq: the event did not run; store only the DLQ copy
}

// onMessage is the consume callback: it decodes one event and starts its
// execution, or routes an undecodable event to FAILED + DLQ.
func (m *machine) onMessage(run *consumeRun, msg jetstream.Msg) {
	b := m.b
	// The intake lock makes "not stopping" and the inflight count one step:
	// Stop cannot begin waiting between them.
	b.intake.RLock()
	defer b.intake.RUnlock()
	if b.stopping.Load() {
		nakStopping(msg)
		return
	}
	meta, err := msg.Metadata()
	if err != nil {
		leaveUnnamed(m, err)
		return
	}
	ev := &event{
		m:       m,
		inst:    run.inst,
		msg:     msg,
		stream:  meta.Stream,
		seq:     meta.Sequence.Stream,
		stored:  meta.Timestamp.UnixNano(),
		deliv:   meta.NumDelivered,
		subject: msg.Subject(),
		touched: time.Now(),
	}
	if h := msg.Headers(); h != nil {
		ev.msgID = h.Get(nats.MsgIdHdr)
	}
	ev.name = ev.msgID
	if ev.name == "" {
		ev.name = ev.stream + "-" + strconv.FormatUint(ev.seq, 10)
	}
	b.inflight.Add(1)
	m.track(ev)
	if ev.deliv > 1 {
		b.opts.Engine.Metrics.Redelivered(m.Name)
	}
	if deliveriesUsedUp(ev) {
		return
	}
	data := msg.Data()
	if len(data) > vm.PayloadLimit {
		reject(ev, states.DataLimitExceeded, "The event is "+strconv.Itoa(len(data))+" bytes; the execution input limit is "+strconv.Itoa(vm.PayloadLimit)+" bytes.")
		return
	}
	input, err := run.dec.ParseOwned(data) // nats.go gives each message its own payload buffer
	if err != nil {
		reject(ev, ErrInvalidInput, "The event is not valid JSON: "+err.Error())
		return
	}
	var trace telemetry.Carrier
	if h := msg.Headers(); len(h) > 0 {
		trace = telemetry.MapCarrier(h)
	}
	b.engine().Start(engine.Start{
		Program:   m.Program,
		Tasks:     m.Tasks,
		Input:     input,
		InputSize: len(data),
		OwnInput:  true,
		Name:      ev.name,
		Timeout:   m.Timeout,
		Logging:   m.Logging,
		Trace:     trace,
		Done:      ev.done,
	})
}

// done receives the execution's result on its engine goroutine.
func (ev *event) done(res engine.Result) {
	ev.res = res
	ev.m.b.pub.submit(ev)
}

// executionArn builds an Express execution ARN for an event that never
// reached an engine.
func (b *Binding) executionArn(machine, name string) string {
	region, account := b.opts.Engine.Region, b.opts.Engine.Account
	if region == "" {
		region = "us-east-1"
	}
	if account == "" {
		account = "123456789012"
	}
	return "arn:aws:states:" + region + ":" + account + ":express:" + machine + ":" + name + ":" + newID()
}

// eventID identifies the event for as long as any stream keeps it:
// "<stream>:<seq>:<stored>", stored being the time the stream stored it
// (Unix ns, from the delivery's metadata). The sequence alone is not
// enough: a trigger stream deleted and created again numbers its events
// from 1 again, and within the results stream's duplicate window the new
// events' results would be dropped as duplicates of the old ones.
func eventID(stream string, seq uint64, stored int64) string {
	return stream + ":" + strconv.FormatUint(seq, 10) + ":" + strconv.FormatInt(stored, 10)
}

// resultMsgID is the result's Nats-Msg-Id, "<machine>:<event id>": the
// results stream drops a re-run's second result within its duplicate
// window, and only that.
func (ev *event) resultMsgID() string {
	return ev.m.Name + ":" + eventID(ev.stream, ev.seq, ev.stored)
}

// resultMsg builds the result message of an event.
func (ev *event) resultMsg() *nats.Msg {
	msg := nats.NewMsg(ev.m.Results)
	msg.Header.Set(nats.MsgIdHdr, ev.resultMsgID())
	msg.Header.Set(HeaderStatus, string(ev.res.Status))
	msg.Header.Set(HeaderExecution, ev.res.ExecutionArn)
	msg.Data = resultBody(nil, ev.res, eventInfo{stream: ev.stream, seq: ev.seq, subject: ev.subject, msgID: ev.msgID, hasSeq: true})
	return msg
}

// dlqMsg builds the DLQ copy of an event: the original payload and headers
// plus the reason.
func (ev *event) dlqMsg(reason string) *nats.Msg {
	return dlqMessage(ev.m.Name, ev.stream, ev.seq, ev.stored, ev.subject, ev.deliv, reason, ev.msg.Headers(), ev.msg.Data(),
		ev.m.b.opts.Conn.MaxPayload())
}

// dlqMessage builds a DLQ message for the event at stream/seq: its payload
// and headers plus the reason and origin headers. Its own Nats-Msg-Id,
// "dlq:<machine>:<event id>", lets the DLQ stream drop a second copy of the
// same event. The event's Nats-* headers steer a publish (Nats-Expected-
// Stream, Nats-Rollup, Nats-TTL…): copied as they are, they would make the
// DLQ refuse the copy forever, or purge it; they are kept renamed
// Expressd-Orig-Nats-…. A payload too large for the server's max_payload
// once the headers are added is left out (Expressd-Payload-Omitted says
// so; the event stays in its stream at stream/seq).
func dlqMessage(machine, stream string, seq uint64, stored int64, subject string, deliveries uint64, reason string, hdr nats.Header, data []byte, maxPayload int64) *nats.Msg {
	msg := nats.NewMsg(DLQPrefix + machine)
	for k, vs := range hdr {
		name := k
		if strings.HasPrefix(strings.ToLower(k), "nats-") {
			name = HeaderOrigPrefix + k
		}
		for _, v := range vs {
			msg.Header.Add(name, v)
		}
	}
	seqText := strconv.FormatUint(seq, 10)
	msg.Header.Set(nats.MsgIdHdr, "dlq:"+machine+":"+eventID(stream, seq, stored))
	msg.Header.Set(HeaderReason, reason)
	msg.Header.Set(HeaderMachine, machine)
	msg.Header.Set(HeaderStream, stream)
	msg.Header.Set(HeaderSeq, seqText)
	msg.Header.Set(HeaderSubject, subject)
	msg.Header.Set(HeaderDeliveries, strconv.FormatUint(deliveries, 10))
	msg.Data = data
	if maxPayload > 0 && int64(len(data)+headerSize(msg.Header)) > maxPayload {
		msg.Header.Set(HeaderPayloadOmitted, strconv.Itoa(len(data))+" bytes: too large for the server's max_payload with the DLQ headers; the event is in stream "+stream+" at sequence "+seqText)
		msg.Data = nil
	}
	return msg
}

// headerSize is about the size of h on the wire, with room to spare.
func headerSize(h nats.Header) int {
	n := 64
	for k, vs := range h {
		for _, v := range vs {
			n += len(k) + len(v) + 4
		}
	}
	return n
}

// eventInfo is the "event" member of a result body.
type eventInfo struct {
	stream  string
	seq     uint64
	subject string
	msgID   string
	hasSeq  bool
}

const dateLayout = "2006-01-02T15:04:05.000Z07:00"

// resultBody appends the result message body of the contract:
// {"execution_arn","name","status","output","error","cause","start_date",
// "stop_date","event":{"stream","seq","subject","msg_id"}}; error and cause
// only when present. It writes the JSON directly: one body per event.
func resultBody(dst []byte, res engine.Result, ev eventInfo) []byte {
	dst = append(dst, `{"execution_arn":`...)
	dst = value.AppendQuoted(dst, res.ExecutionArn)
	dst = append(dst, `,"name":`...)
	dst = value.AppendQuoted(dst, res.Name)
	dst = append(dst, `,"status":"`...)
	dst = append(dst, res.Status...)
	dst = append(dst, `","output":`...)
	if res.Status == engine.Succeeded {
		dst = value.AppendJSON(dst, res.Output)
	} else {
		dst = append(dst, "null"...)
	}
	if res.HasError {
		dst = append(dst, `,"error":`...)
		dst = value.AppendQuoted(dst, string(res.Error))
	}
	if res.HasCause {
		dst = append(dst, `,"cause":`...)
		dst = value.AppendQuoted(dst, res.Cause)
	}
	dst = append(dst, `,"start_date":"`...)
	dst = res.Start.UTC().AppendFormat(dst, dateLayout)
	dst = append(dst, `","stop_date":"`...)
	dst = res.Stop.UTC().AppendFormat(dst, dateLayout)
	dst = append(dst, `","event":{`...)
	if ev.hasSeq {
		dst = append(dst, `"stream":`...)
		dst = value.AppendQuoted(dst, ev.stream)
		dst = append(dst, `,"seq":`...)
		dst = strconv.AppendUint(dst, ev.seq, 10)
		dst = append(dst, ',')
	}
	dst = append(dst, `"subject":`...)
	dst = value.AppendQuoted(dst, ev.subject)
	dst = append(dst, `,"msg_id":`...)
	dst = value.AppendQuoted(dst, ev.msgID)
	return append(dst, "}}"...)
}
