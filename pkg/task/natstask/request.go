package natstask

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"

	"github.com/expressd/expressd/pkg/states"
	"github.com/expressd/expressd/pkg/task"
	"github.com/expressd/expressd/pkg/telemetry"
	"github.com/expressd/expressd/pkg/value"
)

// Resource ARNs served by this package.
const (
	ResourceRequest = "arn:aws:states:::nats:request"
	ResourcePublish = "arn:aws:states:::nats:publish"
)

// Error names reported by the handlers of this package (task.Error.Name),
// from the catalogue in package states.
const (
	// ErrNoResponders: no subscriber listens on the request subject.
	ErrNoResponders = states.NATSNoResponders
	// ErrServiceErrorPrefix prefixes the error of a reply carrying the
	// nats.go/micro error headers: "NATS.ServiceError.<Nats-Service-Error-Code>",
	// so Retry and Catch can tell codes apart (like States.Http.StatusCode.<n>).
	ErrServiceErrorPrefix = states.NATSServiceErrorPrefix
	// ErrServiceError is the error of a micro error reply without a code.
	ErrServiceError = states.NATSServiceError
	// ErrTimeout: no reply (or no PubAck) within the timeout.
	ErrTimeout = states.Timeout
	// ErrNoStream: a JetStream publish to a subject no stream captures.
	ErrNoStream = states.NATSNoStream
	// ErrRequestFailed: the request could not be sent or was abandoned
	// (connection closed, payload over the server's max_payload, Requester
	// closed, context cancelled).
	ErrRequestFailed = states.NATSRequestFailed
	// ErrPublishFailed: JetStream refused or lost the publish (API error
	// such as a sealed stream, disconnect before the PubAck, too many
	// pending publishes, Publisher closed).
	ErrPublishFailed = states.NATSPublishFailed
	// ErrRuntime: the Parameters cannot start the task (missing or
	// mistyped field). Like AWS, it is not matched by Retry or Catch.
	ErrRuntime = states.Runtime
)

// DefaultTimeout is the request reply timeout and the publish PubAck
// timeout when no option sets another.
const DefaultTimeout = 30 * time.Second

// ErrClosed is passed to [Requester.Request] callbacks when the Requester
// is closed before a reply arrives.
var ErrClosed = errors.New("natstask: requester closed")

// Option configures a [Requester] or a [Publisher].
type Option func(*options)

type options struct {
	timeout    time.Duration
	maxPending int
	tracer     telemetry.Tracer
}

// WithTracer propagates the trace context of each call (W3C traceparent in
// the message headers) through t.
func WithTracer(t telemetry.Tracer) Option {
	return func(o *options) { o.tracer = t }
}

// inject writes the trace context of ctx into msg's headers.
func inject(t telemetry.Tracer, ctx context.Context, msg *nats.Msg) {
	if t == nil {
		return
	}
	if msg.Header == nil {
		msg.Header = nats.Header{}
	}
	t.Inject(ctx, telemetry.MapCarrier(msg.Header))
}

// WithTimeout sets the default reply timeout of a Requester (used when the
// Parameters have no TimeoutSeconds) and the PubAck timeout of a
// Publisher. Non-positive values are ignored.
func WithTimeout(d time.Duration) Option {
	return func(o *options) {
		if d > 0 {
			o.timeout = d
		}
	}
}

// WithMaxPending sets how many publishes a Publisher may have awaiting
// their PubAck (default 4000, as nats.go). Non-positive values are ignored.
func WithMaxPending(n int) Option {
	return func(o *options) {
		if n > 0 {
			o.maxPending = n
		}
	}
}

func buildOptions(opts []Option) options {
	o := options{timeout: DefaultTimeout, maxPending: 4000}
	for _, f := range opts {
		f(&o)
	}
	return o
}

// Requester performs NATS request-reply calls through one shared
// response subscription: replies arrive on <inbox>.<token>, a map
// (under a mutex) finds the pending call, and timeouts are runtime
// timers. It starts no goroutine per request.
//
// A Requester is safe for concurrent use. It implements [task.Handler]
// for [ResourceRequest].
type Requester struct {
	nc      *nats.Conn
	prefix  string // "<inbox>." — replies are prefix + token
	sub     *nats.Subscription
	timeout time.Duration
	tracer  telemetry.Tracer

	mu      sync.Mutex
	next    uint64
	pending map[uint64]*call
	closed  bool
}

type call struct {
	cb     func(*nats.Msg, error)
	timer  *time.Timer
	unhook func() bool // stops the context.AfterFunc, nil when none
}

// NewRequest returns a Requester using nc. It subscribes once to a
// unique inbox wildcard; [Requester.Close] removes the subscription.
func NewRequest(nc *nats.Conn, opts ...Option) (*Requester, error) {
	if nc == nil {
		return nil, errors.New("natstask: nil connection")
	}
	o := buildOptions(opts)
	r := &Requester{
		nc:      nc,
		prefix:  nc.NewInbox() + ".",
		timeout: o.timeout,
		tracer:  o.tracer,
		pending: make(map[uint64]*call),
	}
	sub, err := nc.Subscribe(r.prefix+"*", r.onReply)
	if err != nil {
		return nil, fmt.Errorf("natstask: subscribe %s*: %w", r.prefix, err)
	}
	// Replies are consumed by a callback that only hands them to done;
	// a full pending buffer would turn replies into timeouts.
	if err := sub.SetPendingLimits(-1, 256<<20); err != nil {
		_ = sub.Unsubscribe()
		return nil, fmt.Errorf("natstask: pending limits: %w", err)
	}
	r.sub = sub
	return r, nil
}

// Close unsubscribes and fails every pending call with [ErrClosed].
func (r *Requester) Close() error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closed = true
	pending := r.pending
	r.pending = nil
	r.mu.Unlock()
	err := r.sub.Unsubscribe()
	if errors.Is(err, nats.ErrConnectionClosed) || errors.Is(err, nats.ErrBadSubscription) {
		err = nil
	}
	for _, c := range pending {
		c.timer.Stop()
		if c.unhook != nil {
			c.unhook()
		}
		c.cb(nil, ErrClosed)
	}
	return err
}

// Request publishes msg (its Reply is overwritten) and calls cb exactly
// once, from the subscription's goroutine, a timer, or before Request
// returns: with the reply, or with nats.ErrNoResponders, nats.ErrTimeout
// (no reply within timeout), [ErrClosed], ctx.Err() or a publish error.
// A reply carrying micro service error headers is a reply, not an error.
// Request never blocks on I/O beyond handing msg to the connection.
func (r *Requester) Request(ctx context.Context, msg *nats.Msg, timeout time.Duration, cb func(*nats.Msg, error)) {
	if err := ctx.Err(); err != nil {
		cb(nil, err)
		return
	}
	if timeout <= 0 {
		timeout = r.timeout
	}
	c := &call{cb: cb}
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		cb(nil, ErrClosed)
		return
	}
	r.next++
	id := r.next
	r.pending[id] = c
	c.timer = time.AfterFunc(timeout, func() { r.finish(id, nil, nats.ErrTimeout) })
	if ctx.Done() != nil {
		c.unhook = context.AfterFunc(ctx, func() { r.finish(id, nil, ctx.Err()) })
	}
	r.mu.Unlock()

	inject(r.tracer, ctx, msg)
	msg.Reply = r.prefix + strconv.FormatUint(id, 36)
	if err := r.nc.PublishMsg(msg); err != nil {
		r.finish(id, nil, err)
	}
}

// Reply is the outcome of [Requester.Call]: the reply's body and headers,
// or Err when there was no reply (see [IsNoResponders], [IsTimeout]). It
// uses no NATS types so that packages which may not import NATS (the
// dependency rule of cmd/expressd) can make calls.
type Reply struct {
	Data   []byte
	Header map[string][]string
	Err    error
}

// Call is [Requester.Request] with plain types: it sends data with
// header to subject and calls cb exactly once with the Reply.
func (r *Requester) Call(ctx context.Context, subject string, data []byte, header map[string][]string, timeout time.Duration, cb func(Reply)) {
	msg := &nats.Msg{Subject: subject, Data: data, Header: nats.Header(header)}
	r.Request(ctx, msg, timeout, func(m *nats.Msg, err error) {
		if err != nil {
			cb(Reply{Err: err})
			return
		}
		cb(Reply{Data: m.Data, Header: m.Header})
	})
}

// IsNoResponders reports whether err means nobody listened on the subject.
func IsNoResponders(err error) bool { return errors.Is(err, nats.ErrNoResponders) }

// IsTimeout reports whether err means no reply came within the timeout.
func IsTimeout(err error) bool { return errors.Is(err, nats.ErrTimeout) }

// Reply headers set by nats.go/micro services on an error reply.
const (
	HeaderServiceError     = micro.ErrorHeader     // "Nats-Service-Error": the description
	HeaderServiceErrorCode = micro.ErrorCodeHeader // "Nats-Service-Error-Code": the code
)

// finish completes call id unless it already completed.
func (r *Requester) finish(id uint64, m *nats.Msg, err error) {
	r.mu.Lock()
	c := r.pending[id]
	if c != nil {
		delete(r.pending, id)
	}
	r.mu.Unlock()
	if c == nil {
		return // already answered, timed out or closed
	}
	c.timer.Stop()
	if c.unhook != nil {
		c.unhook()
	}
	c.cb(m, err)
}

// onReply routes one reply (or no-responders status) to its call.
func (r *Requester) onReply(m *nats.Msg) {
	tok, ok := strings.CutPrefix(m.Subject, r.prefix)
	if !ok {
		return
	}
	id, err := strconv.ParseUint(tok, 36, 64)
	if err != nil {
		return
	}
	if len(m.Data) == 0 && m.Header.Get("Status") == "503" {
		r.finish(id, nil, nats.ErrNoResponders)
		return
	}
	r.finish(id, m, nil)
}

// Invoke implements [task.Handler] for [ResourceRequest]. The Parameters
// are Subject, Payload, Headers and TimeoutSeconds (see the package doc).
func (r *Requester) Invoke(ctx context.Context, req *task.Request, done func(task.Result)) {
	in := req.Input
	if e := checkFields(in, "Subject", "Payload", "Headers", "TimeoutSeconds"); e != nil {
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
	timeout, e := timeoutParam(in, r.timeout)
	if e != nil {
		done(task.Result{Err: e})
		return
	}
	msg := &nats.Msg{Subject: subject, Header: hdr}
	if p, ok := in.Get("Payload"); ok {
		msg.Data = PayloadBytes(p)
	}
	r.Request(ctx, msg, timeout, func(m *nats.Msg, err error) {
		done(requestResult(subject, timeout, m, err))
	})
}

// requestResult maps a Request outcome to the Task result.
func requestResult(subject string, timeout time.Duration, m *nats.Msg, err error) task.Result {
	switch {
	case err == nil:
	case errors.Is(err, nats.ErrNoResponders):
		return task.Result{Err: &task.Error{Name: ErrNoResponders, Cause: "no responders are available for subject '" + subject + "'"}}
	case errors.Is(err, nats.ErrTimeout):
		return task.Result{Err: &task.Error{Name: ErrTimeout, Cause: "no reply on subject '" + subject + "' within " + timeout.String()}}
	default:
		return task.Result{Err: &task.Error{Name: ErrRequestFailed, Cause: "request on subject '" + subject + "': " + err.Error()}}
	}
	if e := ServiceError(m); e != nil {
		return task.Result{Err: e}
	}
	return task.Result{Output: BodyValue(m.Data)}
}

// ServiceError returns the task error for a reply carrying the nats.go
// micro error headers, nil for other replies. Its name is
// ErrServiceErrorPrefix + the Nats-Service-Error-Code header (or
// ErrServiceError without a code); its cause is the JSON text
// {"Code": <code>, "Description": <Nats-Service-Error>, "Body": <body>}
// with the body as [BodyValue] returns it.
func ServiceError(m *nats.Msg) *task.Error {
	if m == nil || m.Header == nil {
		return nil
	}
	desc, hasDesc := m.Header[HeaderServiceError]
	code, hasCode := m.Header[HeaderServiceErrorCode]
	if !hasDesc && !hasCode {
		return nil
	}
	c, d := first(code), first(desc)
	name := ErrServiceError
	if c != "" {
		name = states.Name(truncName(string(ErrServiceErrorPrefix) + c))
	}
	cause := value.FromObject(
		[]string{"Code", "Description", "Body"},
		[]value.Value{value.FromString(c), value.FromString(d), BodyValue(m.Data)},
	)
	return &task.Error{Name: name, Cause: cause.JSON()}
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

// MatchRequest matches [ResourceRequest].
func MatchRequest(resource string) bool { return resource == ResourceRequest }

// MatchPublish matches [ResourcePublish].
func MatchPublish(resource string) bool { return resource == ResourcePublish }
