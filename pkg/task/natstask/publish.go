package natstask

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/expressd/expressd/pkg/task"
	"github.com/expressd/expressd/pkg/telemetry"
	"github.com/expressd/expressd/pkg/value"
)

// Publisher publishes Task payloads with JetStream and reports the
// PubAck. It owns a JetStream context whose async ack and error handlers
// complete the pending calls, so it starts no goroutine per publish: done
// is called from nats.go's ack-processing goroutine, its ack timer, or
// before Invoke returns.
//
// A Publisher is safe for concurrent use. It implements [task.Handler]
// for [ResourcePublish].
type Publisher struct {
	js     jetstream.JetStream
	tracer telemetry.Tracer

	mu      sync.Mutex
	pending map[*nats.Msg]pubCall
	closed  bool
}

type pubCall struct {
	subject string
	done    func(task.Result)
}

// NewPublish returns a Publisher on nc. The PubAck timeout is
// [WithTimeout] (default 30s), the bound on publishes awaiting their
// PubAck is [WithMaxPending].
//
// It takes a connection rather than a jetstream.JetStream because the
// async ack and error handlers can only be set when the JetStream
// context is created, and they are what avoids a goroutine per publish.
func NewPublish(nc *nats.Conn, opts ...Option) (*Publisher, error) {
	if nc == nil {
		return nil, errors.New("natstask: nil connection")
	}
	o := buildOptions(opts)
	p := &Publisher{pending: make(map[*nats.Msg]pubCall), tracer: o.tracer}
	js, err := jetstream.New(nc,
		jetstream.WithPublishAsyncAckHandler(p.onAck),
		jetstream.WithPublishAsyncErrHandler(p.onErr),
		jetstream.WithPublishAsyncTimeout(o.timeout),
		jetstream.WithPublishAsyncMaxPending(o.maxPending))
	if err != nil {
		return nil, fmt.Errorf("natstask: jetstream: %w", err)
	}
	p.js = js
	return p, nil
}

// Close fails every publish still awaiting its PubAck with
// ErrPublishFailed; later Invokes fail the same way. The connection is
// the caller's and stays open.
func (p *Publisher) Close() {
	p.mu.Lock()
	p.closed = true
	pending := p.pending
	p.pending = nil
	p.mu.Unlock()
	for _, c := range pending {
		c.done(task.Result{Err: &task.Error{Name: ErrPublishFailed, Cause: "publish to subject '" + c.subject + "': publisher closed"}})
	}
}

// Invoke implements [task.Handler] for [ResourcePublish]. The Parameters
// are Subject, Payload, Headers and MsgId (see the package doc).
//
// PublishMsgAsync blocks only when WithMaxPending publishes already
// await their PubAck, for at most nats.go's stall wait (200ms), then
// fails with ErrPublishFailed.
func (p *Publisher) Invoke(ctx context.Context, req *task.Request, done func(task.Result)) {
	in := req.Input
	if e := checkFields(in, "Subject", "Payload", "Headers", "MsgId"); e != nil {
		done(task.Result{Err: e})
		return
	}
	subject, e := subjectParam(in)
	if e != nil {
		done(task.Result{Err: e})
		return
	}
	hdr, e := headersParam(in, nil)
	if e != nil {
		done(task.Result{Err: e})
		return
	}
	if v, ok := in.Get("MsgId"); ok && !v.IsNull() {
		if v.Kind() != value.String || v.Str() == "" {
			done(task.Result{Err: paramError(in, "The value for the field 'MsgId' must be a non-empty STRING")})
			return
		}
		if hdr == nil {
			hdr = make(nats.Header, 1)
		}
		hdr[jetstream.MsgIDHeader] = []string{v.Str()}
	}
	if err := ctx.Err(); err != nil {
		done(publishFailure(subject, err))
		return
	}
	msg := &nats.Msg{Subject: subject, Header: hdr}
	inject(p.tracer, ctx, msg)
	if v, ok := in.Get("Payload"); ok {
		msg.Data = PayloadBytes(v)
	}

	// Register before publishing: the PubAck may arrive before
	// PublishMsgAsync returns.
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		done(publishFailure(subject, errors.New("publisher closed")))
		return
	}
	p.pending[msg] = pubCall{subject: subject, done: done}
	p.mu.Unlock()
	if _, err := p.js.PublishMsgAsync(msg); err != nil {
		if c, ok := p.take(msg); ok {
			c.done(publishFailure(subject, err))
		}
	}
}

// take removes and returns the pending call of msg.
func (p *Publisher) take(msg *nats.Msg) (pubCall, bool) {
	p.mu.Lock()
	c, ok := p.pending[msg]
	if ok {
		delete(p.pending, msg)
	}
	p.mu.Unlock()
	return c, ok
}

func (p *Publisher) onAck(_ jetstream.JetStream, msg *nats.Msg, ack *jetstream.PubAck) {
	c, ok := p.take(msg)
	if !ok {
		return
	}
	out := value.FromObject(
		[]string{"Stream", "Sequence", "Duplicate"},
		[]value.Value{value.FromString(ack.Stream), value.FromInt(int64(ack.Sequence)), value.FromBool(ack.Duplicate)},
	)
	c.done(task.Result{Output: out})
}

func (p *Publisher) onErr(_ jetstream.JetStream, msg *nats.Msg, err error) {
	if c, ok := p.take(msg); ok {
		c.done(publishFailure(c.subject, err))
	}
}

// publishFailure maps a JetStream publish error to the Task error.
func publishFailure(subject string, err error) task.Result {
	switch {
	case errors.Is(err, jetstream.ErrNoStreamResponse), errors.Is(err, nats.ErrNoResponders):
		return task.Result{Err: &task.Error{Name: ErrNoStream, Cause: "no stream captures subject '" + subject + "'"}}
	case errors.Is(err, jetstream.ErrAsyncPublishTimeout):
		return task.Result{Err: &task.Error{Name: ErrTimeout, Cause: "no PubAck for subject '" + subject + "' within the publish timeout"}}
	}
	return task.Result{Err: &task.Error{Name: ErrPublishFailed, Cause: "publish to subject '" + subject + "': " + err.Error()}}
}
