package natsjs_test

// Helpers of the scenario tests (scenarios_test.go): machines compiled
// under their own name, the task registry built from the real integrations
// as cmd/expressd/cmd_serve.go builds it, nats.go/micro endpoints, and
// readers of the results and DLQ streams.

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nats.go/micro"

	"github.com/expressd/expressd/pkg/asl"
	"github.com/expressd/expressd/pkg/compile"
	"github.com/expressd/expressd/pkg/engine/natsjs"
	"github.com/expressd/expressd/pkg/task"
	"github.com/expressd/expressd/pkg/task/httptask"
	"github.com/expressd/expressd/pkg/task/lambda"
	"github.com/expressd/expressd/pkg/task/natstask"
	"github.com/expressd/expressd/pkg/vm"
)

// compileNamed compiles an ASL definition as the state machine name (the
// name appears in execution ARNs).
func compileNamed(t testing.TB, name, def string, reg *task.Registry) *vm.Program {
	t.Helper()
	sm, diags := asl.Load(name+".asl.json", []byte(def))
	if len(diags) > 0 {
		t.Fatal(diags)
	}
	p, diags := compile.StateMachine(sm, compile.WithTasks(reg), compile.WithName(name))
	if len(diags) > 0 {
		t.Fatal(diags)
	}
	return p
}

// regOptions tunes realRegistry.
type regOptions struct {
	functions map[string]lambda.Target
	// wrap, when set, wraps every integration's handler (to count calls).
	wrap func(name string, h task.Handler) task.Handler
}

// realRegistry builds the registry of cmd_serve.go: nats:request,
// nats:publish, http:invoke and Lambda, on connection nc.
func realRegistry(t testing.TB, nc *nats.Conn, o regOptions) *task.Registry {
	t.Helper()
	req, err := natstask.NewRequest(nc, natstask.WithTimeout(10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = req.Close() })
	pub, err := natstask.NewPublish(nc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pub.Close)
	lh, err := lambda.New(lambda.Options{Functions: o.functions}, req, &http.Client{Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	reg := &task.Registry{}
	for _, r := range []struct {
		name  string
		match task.Match
		h     task.Handler
	}{
		{"nats:request", natstask.MatchRequest, req},
		{"nats:publish", natstask.MatchPublish, pub},
		{"http:invoke", httptask.Match, httptask.New(httptask.WithTimeout(10 * time.Second))},
		{"lambda", lambda.Match, lh},
	} {
		h := r.h
		if o.wrap != nil {
			h = o.wrap(r.name, h)
		}
		if err := reg.Register(r.name, r.match, h); err != nil {
			t.Fatal(err)
		}
	}
	return reg
}

// addEndpoint serves subject with a nats.go/micro service on nc.
func addEndpoint(t testing.TB, nc *nats.Conn, subject string, h micro.HandlerFunc) {
	t.Helper()
	name := strings.NewReplacer(".", "_", "*", "x", ">", "x").Replace(subject)
	svc, err := micro.AddService(nc, micro.Config{Name: name, Version: "1.0.0",
		Endpoint: &micro.EndpointConfig{Subject: subject, Handler: h}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = svc.Stop() })
}

// startBinding starts a binding serving machines on nc and stops it at the
// end of the test (unless the test stopped it).
func startBinding(t testing.TB, nc *nats.Conn, opts natsjs.Options) *natsjs.Binding {
	t.Helper()
	opts.Conn = nc
	if opts.Logger == nil {
		opts.Logger = quietLogger()
	}
	b, err := natsjs.Start(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		b.Stop(ctx)
	})
	return b
}

// readMsgs reads the messages of stream on subject until n have arrived
// or timeout passes.
func readMsgs(t testing.TB, js jetstream.JetStream, stream, subject string, n int, timeout time.Duration) []jetstream.Msg {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cons, err := js.OrderedConsumer(ctx, stream, jetstream.OrderedConsumerConfig{FilterSubjects: []string{subject}})
	if err != nil {
		t.Fatal(err)
	}
	var out []jetstream.Msg
	for len(out) < n && ctx.Err() == nil {
		batch, err := cons.Fetch(n-len(out), jetstream.FetchMaxWait(500*time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		for m := range batch.Messages() {
			out = append(out, m)
		}
	}
	return out
}

func decodeResult(t testing.TB, m jetstream.Msg) resultBody {
	t.Helper()
	var r resultBody
	if err := json.Unmarshal(m.Data(), &r); err != nil {
		t.Fatalf("result is not JSON: %v: %s", err, m.Data())
	}
	return r
}

// subjectCount is the number of messages stored in stream on subject.
func subjectCount(t testing.TB, js jetstream.JetStream, stream, subject string) uint64 {
	t.Helper()
	s, err := js.Stream(context.Background(), stream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(context.Background(), jetstream.WithSubjectFilter(subject))
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Subjects[subject]
}

func consumerInfo(t testing.TB, js jetstream.JetStream, stream, consumer string) *jetstream.ConsumerInfo {
	t.Helper()
	c, err := js.Consumer(context.Background(), stream, consumer)
	if err != nil {
		t.Fatal(err)
	}
	info, err := c.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return info
}

// settled waits until the consumer has no event pending or unacknowledged.
func settled(t testing.TB, js jetstream.JetStream, stream, consumer string, d time.Duration) *jetstream.ConsumerInfo {
	t.Helper()
	var info *jetstream.ConsumerInfo
	waitFor(t, d, func() bool {
		info = consumerInfo(t, js, stream, consumer)
		return info.NumAckPending == 0 && info.NumPending == 0
	}, "consumer "+consumer+" still has pending or unacknowledged events")
	return info
}

func parseDate(t testing.TB, s string) time.Time {
	t.Helper()
	d, err := time.Parse("2006-01-02T15:04:05.000Z07:00", s)
	if err != nil {
		t.Fatalf("bad date %q: %v", s, err)
	}
	return d
}

// callLog records the calls a service receives, per key.
type callLog struct {
	mu    sync.Mutex
	calls map[string][]time.Time
}

func (l *callLog) add(key string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.calls == nil {
		l.calls = map[string][]time.Time{}
	}
	l.calls[key] = append(l.calls[key], time.Now())
	return len(l.calls[key])
}

func (l *callLog) get(key string) []time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]time.Time(nil), l.calls[key]...)
}

func (l *callLog) total() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, c := range l.calls {
		n += len(c)
	}
	return n
}

// jsonField returns a string field of a JSON object body ("" when absent).
func jsonField(data []byte, field string) string {
	var m map[string]any
	if json.Unmarshal(data, &m) != nil {
		return ""
	}
	s, _ := m[field].(string)
	return s
}

// eventID is the identity of the event at seq in stream as the binding
// writes it into result and DLQ message ids: "<stream>:<seq>:<stored>",
// stored being the time the stream stored the event in Unix ns.
func eventID(t testing.TB, js jetstream.JetStream, stream string, seq uint64) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := js.Stream(ctx, stream)
	if err != nil {
		t.Fatal(err)
	}
	m, err := s.GetMsg(ctx, seq)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%s:%d:%d", stream, seq, m.Time.UnixNano())
}

// quietLogger discards the binding's log unless the tests run with -v.
func quietLogger() *slog.Logger {
	if testing.Verbose() {
		return slog.Default()
	}
	return slog.New(slog.DiscardHandler)
}

// lockedBuffer collects a logger's output for a test to read.
type lockedBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func (l *lockedBuffer) logger() *slog.Logger { return slog.New(slog.NewTextHandler(l, nil)) }
