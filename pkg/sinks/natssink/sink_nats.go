package natssink

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/expressd/expressd/pkg/sinks"
)

// Name is the sink type name.
const Name = "nats"

// SubjectPrefix starts the default subject, expressd.logs.<machine>.
const SubjectPrefix = "expressd.logs."

// Timeouts. ackTimeout bounds the wait for a batch's PubAcks (at most 512
// messages, acked in one round trip or two); lookupTimeout bounds the
// stream check at New. A timeout is reported as sinks.ErrNotConnected so
// the batch is retried.
const (
	ackTimeout    = 5 * time.Second
	lookupTimeout = 5 * time.Second
)

// Plugin returns the "nats" plugin publishing on nc. nc is shared and
// owned by the caller.
func Plugin(nc *nats.Conn) sinks.Plugin {
	spec := sinks.NATSSpec()
	return sinks.Plugin{Name: Name, Spec: spec, New: func(o sinks.Options) (sinks.Sink, int, error) {
		s, err := newSink(nc, o)
		return s, 1, err
	}}
}

type sink struct {
	nc      *nats.Conn
	js      jetstream.JetStream // nil for core NATS
	pubOpts []jetstream.PublishOpt
	subject string // fixed subject, "" when it follows Record.Machine

	mu       sync.Mutex // serializes Write
	enc      *sinks.Encoder
	subjects map[string]string // machine → default subject
	futures  []jetstream.PubAckFuture
}

func newSink(nc *nats.Conn, o sinks.Options) (*sink, error) {
	if nc == nil {
		return nil, errors.New("natssink: no NATS connection")
	}
	s := &sink{nc: nc, subject: o.Subject, subjects: map[string]string{}}
	if s.subject == "" && o.Machine != "" {
		s.subject = SubjectPrefix + o.Machine
	}
	if s.subject != "" && !validSubject(s.subject) {
		return nil, fmt.Errorf("natssink: invalid subject %q: want dot-separated tokens without wildcards or spaces", s.subject)
	}
	enc, err := sinks.NewEncoder(o.Filter)
	if err != nil {
		return nil, err
	}
	s.enc = enc
	if o.Stream != "" {
		if err := s.bindStream(o.Stream); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// bindStream checks that stream exists and captures the sink's subjects.
// The sink never creates streams: their limits and retention are the
// operator's decision.
func (s *sink) bindStream(stream string) error {
	js, err := jetstream.New(s.nc, jetstream.WithPublishAsyncTimeout(ackTimeout))
	if err != nil {
		return fmt.Errorf("natssink: jetstream: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), lookupTimeout)
	defer cancel()
	st, err := js.Stream(ctx, stream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return fmt.Errorf("natssink: stream %q does not exist: create it (capturing %s) or leave stream empty for core NATS", stream, s.wanted())
	}
	if err != nil {
		return fmt.Errorf("natssink: stream %q: %w", stream, err)
	}
	covered := false
	for _, f := range st.CachedInfo().Config.Subjects {
		if subjectCovers(f, s.wanted()) {
			covered = true
			break
		}
	}
	if !covered {
		return fmt.Errorf("natssink: stream %q (subjects %s) does not capture %s", stream,
			strings.Join(st.CachedInfo().Config.Subjects, ", "), s.wanted())
	}
	s.js = js
	s.pubOpts = []jetstream.PublishOpt{jetstream.WithExpectStream(stream)}
	return nil
}

// wanted is the subject (or subject pattern) the sink publishes on.
func (s *sink) wanted() string {
	if s.subject != "" {
		return s.subject
	}
	return SubjectPrefix + "*"
}

// subjectFor returns the subject of the record at index i of batch.
func (s *sink) subjectFor(r *sinks.Record) string {
	if s.subject != "" {
		return s.subject
	}
	subj, ok := s.subjects[r.Machine]
	if !ok {
		m := r.Machine
		if m == "" {
			m = "_"
		}
		subj = SubjectPrefix + m
		s.subjects[r.Machine] = subj
	}
	return subj
}

func (s *sink) Write(ctx context.Context, batch []sinks.Record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.nc.IsClosed() || (s.js != nil && !s.nc.IsConnected()) {
		return fmt.Errorf("natssink: %w (connection %s)", sinks.ErrNotConnected, s.nc.Status())
	}
	lines := s.enc.Encode(ctx, batch)
	if s.js == nil {
		for i := range lines.Len() {
			// Publish copies the payload into the connection's buffer
			// (or its reconnect buffer), so lines may be reused.
			if err := s.nc.Publish(s.subjectFor(&batch[lines.Record(i)]), lines.Line(i)); err != nil {
				return publishError(err)
			}
		}
		return nil
	}
	s.futures = s.futures[:0]
	for i := range lines.Len() {
		f, err := s.js.PublishAsync(s.subjectFor(&batch[lines.Record(i)]), lines.Line(i), s.pubOpts...)
		if err != nil {
			return publishError(err)
		}
		s.futures = append(s.futures, f)
	}
	return s.awaitAcks(ctx)
}

// awaitAcks waits for the PubAck of every message of the batch. The first
// failure is returned; the whole batch is then retried (JetStream
// deduplication is not used, so a retry may store some records twice).
func (s *sink) awaitAcks(ctx context.Context) error {
	var first error
	for _, f := range s.futures {
		select {
		case <-f.Ok():
		case err := <-f.Err():
			if first == nil {
				first = publishError(err)
			}
		case <-ctx.Done():
			return fmt.Errorf("natssink: waiting for PubAcks: %w", ctx.Err())
		}
	}
	clear(s.futures) // drop references to the messages
	return first
}

// publishError marks errors a reconnect or a later retry can fix as
// sinks.ErrNotConnected.
func publishError(err error) error {
	switch {
	case errors.Is(err, nats.ErrConnectionClosed), errors.Is(err, nats.ErrConnectionReconnecting),
		errors.Is(err, nats.ErrReconnectBufExceeded), errors.Is(err, nats.ErrNoResponders),
		errors.Is(err, nats.ErrTimeout), errors.Is(err, jetstream.ErrAsyncPublishTimeout),
		errors.Is(err, jetstream.ErrNoStreamResponse), errors.Is(err, jetstream.ErrTooManyStalledMsgs):
		return fmt.Errorf("natssink: %w: %w", sinks.ErrNotConnected, err)
	}
	return fmt.Errorf("natssink: publish: %w", err)
}

// Close flushes what the connection buffered for this sink. It does not
// close the shared connection.
func (s *sink) Close(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.nc.IsClosed() || !s.nc.IsConnected() {
		return nil
	}
	if _, ok := ctx.Deadline(); !ok {
		// FlushWithContext insists on a deadline.
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, ackTimeout)
		defer cancel()
	}
	if err := s.nc.FlushWithContext(ctx); err != nil {
		return fmt.Errorf("natssink: flush: %w", err)
	}
	return nil
}

// TakeFiltered implements sinks.FilterCounter.
func (s *sink) TakeFiltered() int64 { return s.enc.TakeFiltered() }
