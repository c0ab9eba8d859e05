package natstask_test

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nats.go/micro"

	"github.com/expressd/expressd/pkg/states"
	"github.com/expressd/expressd/pkg/task"
	"github.com/expressd/expressd/pkg/task/natstask"
	"github.com/expressd/expressd/pkg/value"
)

// connect starts an embedded JetStream server on a random loopback port
// and returns a connection to it.
func connect(t *testing.T) *nats.Conn {
	t.Helper()
	s, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(), NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats server not ready")
	}
	t.Cleanup(func() { s.Shutdown(); s.WaitForShutdown() })
	nc, err := nats.Connect(s.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return nc
}

// invoke runs one call and fails the test unless done is called exactly
// once.
func invoke(t *testing.T, h task.Handler, resource, in string) task.Result {
	t.Helper()
	ch := make(chan task.Result, 2)
	h.Invoke(context.Background(), &task.Request{Resource: resource, State: "T", Input: value.MustParse(in)}, func(r task.Result) { ch <- r })
	var r task.Result
	select {
	case r = <-ch:
	case <-time.After(10 * time.Second):
		t.Fatalf("Invoke(%s): done not called", in)
	}
	select {
	case <-ch:
		t.Fatalf("Invoke(%s): done called twice", in)
	case <-time.After(20 * time.Millisecond):
	}
	return r
}

func errOf(r task.Result) task.Error {
	if r.Err == nil {
		return task.Error{}
	}
	return *r.Err
}

// startService starts a nats.go/micro service with endpoints under svc.
func startService(t *testing.T, nc *nats.Conn) {
	t.Helper()
	svc, err := micro.AddService(nc, micro.Config{Name: "demo", Version: "1.0.0"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = svc.Stop() })
	g := svc.AddGroup("svc")
	add := func(name string, h micro.HandlerFunc) {
		if err := g.AddEndpoint(name, h); err != nil {
			t.Fatal(err)
		}
	}
	add("echo", func(r micro.Request) { _ = r.Respond(r.Data()) })
	add("headers", func(r micro.Request) {
		_ = r.Respond([]byte(strconv.Quote(strings.Join(r.Headers().Values("X-Tag"), ","))))
	})
	add("fail", func(r micro.Request) { _ = r.Error("400", "bad input", nil) })
	add("failbody", func(r micro.Request) { _ = r.Error("503", "busy", []byte(`{"retry":true}`)) })
	add("slow", func(r micro.Request) {
		time.Sleep(150 * time.Millisecond)
		_ = r.Respond([]byte(`"late"`))
	})
}

func TestRequest(t *testing.T) {
	nc := connect(t)
	startService(t, nc)
	silent, err := nc.SubscribeSync("silent.sink")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = silent.Unsubscribe() }()
	r, err := natstask.NewRequest(nc, natstask.WithTimeout(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = r.Close() }()

	tests := []struct {
		name      string
		in        string
		want      string // JSON result when no error
		wantErr   states.Name
		wantCause string // substring of the cause
	}{
		{name: "object", in: `{"Subject":"svc.echo","Payload":{"a":[1,2.50,"x"]}}`, want: `{"a":[1,2.50,"x"]}`},
		{name: "number", in: `{"Subject":"svc.echo","Payload":42}`, want: `42`},
		{name: "null payload", in: `{"Subject":"svc.echo","Payload":null}`, want: `null`},
		{name: "string payload is raw text", in: `{"Subject":"svc.echo","Payload":"hello"}`, want: `"hello"`},
		{name: "string holding JSON", in: `{"Subject":"svc.echo","Payload":"{\"b\":true}"}`, want: `{"b":true}`},
		{name: "no payload", in: `{"Subject":"svc.echo"}`, want: `null`},
		{name: "headers", in: `{"Subject":"svc.headers","Headers":{"X-Tag":["a","b"],"X-Other":"c"}}`, want: `"a,b"`},
		{name: "single header", in: `{"Subject":"svc.headers","Headers":{"X-Tag":"only"}}`, want: `"only"`},
		{name: "service error", in: `{"Subject":"svc.fail","Payload":{}}`, wantErr: "NATS.ServiceError.400",
			wantCause: `{"Code":"400","Description":"bad input","Body":null}`},
		{name: "service error with body", in: `{"Subject":"svc.failbody"}`, wantErr: "NATS.ServiceError.503",
			wantCause: `{"Code":"503","Description":"busy","Body":{"retry":true}}`},
		{name: "no responders", in: `{"Subject":"nobody.home","Payload":1}`, wantErr: natstask.ErrNoResponders, wantCause: "nobody.home"},
		{name: "timeout", in: `{"Subject":"silent.sink","TimeoutSeconds":0.1}`, wantErr: natstask.ErrTimeout, wantCause: "100ms"},
		{name: "reply after timeout", in: `{"Subject":"svc.slow","TimeoutSeconds":0.05}`, wantErr: natstask.ErrTimeout},
		{name: "missing subject", in: `{"Payload":1}`, wantErr: natstask.ErrRuntime,
			wantCause: `The Parameters '{"Payload":1}' could not be used to start the Task: [The field 'Subject' is required]`},
		{name: "subject not a string", in: `{"Subject":7}`, wantErr: natstask.ErrRuntime, wantCause: "'Subject' must be a STRING"},
		{name: "wildcard subject", in: `{"Subject":"svc.*"}`, wantErr: natstask.ErrRuntime, wantCause: "without wildcards"},
		{name: "empty token", in: `{"Subject":"svc..echo"}`, wantErr: natstask.ErrRuntime, wantCause: "without wildcards"},
		{name: "headers not an object", in: `{"Subject":"svc.echo","Headers":[1]}`, wantErr: natstask.ErrRuntime, wantCause: "'Headers' must be an OBJECT"},
		{name: "header value number", in: `{"Subject":"svc.echo","Headers":{"A":1}}`, wantErr: natstask.ErrRuntime, wantCause: "header 'A'"},
		{name: "negative timeout", in: `{"Subject":"svc.echo","TimeoutSeconds":-1}`, wantErr: natstask.ErrRuntime, wantCause: "TimeoutSeconds"},
		{name: "unknown field", in: `{"Subject":"svc.echo","Subjekt":"x"}`, wantErr: natstask.ErrRuntime, wantCause: "The field 'Subjekt' is not supported"},
		{name: "input not an object", in: `"svc.echo"`, wantErr: natstask.ErrRuntime, wantCause: "must be a JSON object"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := invoke(t, r, natstask.ResourceRequest, tc.in)
			e := errOf(res)
			if e.Name != tc.wantErr {
				t.Fatalf("error = %q (cause %q), want %q", e.Name, e.Cause, tc.wantErr)
			}
			if tc.wantErr != "" {
				if !strings.Contains(e.Cause, tc.wantCause) {
					t.Errorf("cause = %q, want it to contain %q", e.Cause, tc.wantCause)
				}
				return
			}
			if got := res.Output.JSON(); got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
}

func TestRequestConcurrent(t *testing.T) {
	nc := connect(t)
	startService(t, nc)
	r, err := natstask.NewRequest(nc)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = r.Close() }()
	const n = 500
	var wg sync.WaitGroup
	var bad atomic.Int32
	for i := range n {
		wg.Add(1)
		in := value.MustParse(`{"Subject":"svc.echo","Payload":{"i":` + strconv.Itoa(i) + `}}`)
		r.Invoke(context.Background(), &task.Request{Input: in}, func(res task.Result) {
			defer wg.Done()
			if res.Err != nil || res.Output.JSON() != `{"i":`+strconv.Itoa(i)+`}` {
				bad.Add(1)
			}
		})
	}
	wg.Wait()
	if b := bad.Load(); b != 0 {
		t.Errorf("%d of %d replies wrong", b, n)
	}
}

func TestRequestClose(t *testing.T) {
	nc := connect(t)
	sub, err := nc.SubscribeSync("silent.sink")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = sub.Unsubscribe() }()
	r, err := natstask.NewRequest(nc)
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan task.Result, 1)
	r.Invoke(context.Background(), &task.Request{Input: value.MustParse(`{"Subject":"silent.sink"}`)}, func(res task.Result) { ch <- res })
	if _, err := sub.NextMsg(5 * time.Second); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if got := errOf(<-ch).Name; got != natstask.ErrRequestFailed {
		t.Errorf("pending call after Close: got %q, want %q", got, natstask.ErrRequestFailed)
	}
	if got := errOf(invoke(t, r, natstask.ResourceRequest, `{"Subject":"silent.sink"}`)).Name; got != natstask.ErrRequestFailed {
		t.Errorf("Invoke after Close: got %q, want %q", got, natstask.ErrRequestFailed)
	}
}

func TestRequestContextCancel(t *testing.T) {
	nc := connect(t)
	sub, err := nc.SubscribeSync("silent.sink")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = sub.Unsubscribe() }()
	r, err := natstask.NewRequest(nc)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = r.Close() }()
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan task.Result, 1)
	r.Invoke(ctx, &task.Request{Input: value.MustParse(`{"Subject":"silent.sink"}`)}, func(res task.Result) { ch <- res })
	cancel()
	select {
	case res := <-ch:
		if e := errOf(res); e.Name != natstask.ErrRequestFailed || !strings.Contains(e.Cause, "canceled") {
			t.Errorf("got %+v, want %s with a cancellation cause", e, natstask.ErrRequestFailed)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("done not called after cancel")
	}
}

func TestPublish(t *testing.T) {
	nc := connect(t)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	stream, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "ORDERS", Subjects: []string{"orders.>"}})
	if err != nil {
		t.Fatal(err)
	}
	p, err := natstask.NewPublish(nc, natstask.WithTimeout(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()

	tests := []struct {
		name, in  string
		want      string
		wantErr   states.Name
		wantCause string
	}{
		{name: "first", in: `{"Subject":"orders.new","Payload":{"id":1},"Headers":{"X-Tag":"t"}}`, want: `{"Stream":"ORDERS","Sequence":1,"Duplicate":false}`},
		{name: "msg id", in: `{"Subject":"orders.new","Payload":"raw text","MsgId":"m-1"}`, want: `{"Stream":"ORDERS","Sequence":2,"Duplicate":false}`},
		{name: "duplicate msg id", in: `{"Subject":"orders.new","Payload":"raw text","MsgId":"m-1"}`, want: `{"Stream":"ORDERS","Sequence":2,"Duplicate":true}`},
		{name: "no stream", in: `{"Subject":"nostream.here","Payload":1}`, wantErr: natstask.ErrNoStream, wantCause: "nostream.here"},
		{name: "missing subject", in: `{"Payload":1}`, wantErr: natstask.ErrRuntime, wantCause: "'Subject' is required"},
		{name: "bad msg id", in: `{"Subject":"orders.new","MsgId":5}`, wantErr: natstask.ErrRuntime, wantCause: "'MsgId'"},
		{name: "unknown field", in: `{"Subject":"orders.new","TimeoutSeconds":1}`, wantErr: natstask.ErrRuntime, wantCause: "'TimeoutSeconds' is not supported"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := invoke(t, p, natstask.ResourcePublish, tc.in)
			e := errOf(res)
			if e.Name != tc.wantErr {
				t.Fatalf("error = %q (cause %q), want %q", e.Name, e.Cause, tc.wantErr)
			}
			if tc.wantErr != "" {
				if !strings.Contains(e.Cause, tc.wantCause) {
					t.Errorf("cause = %q, want it to contain %q", e.Cause, tc.wantCause)
				}
				return
			}
			if got := res.Output.JSON(); got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}

	// The stored messages carry the payload and headers as sent.
	m1, err := stream.GetMsg(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got := []string{string(m1.Data), m1.Header.Get("X-Tag")}; !cmp.Equal(got, []string{`{"id":1}`, "t"}) {
		t.Errorf("message 1 = %q, want body and header as published", got)
	}
	m2, err := stream.GetMsg(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	if got := []string{string(m2.Data), m2.Header.Get(jetstream.MsgIDHeader)}; !cmp.Equal(got, []string{"raw text", "m-1"}) {
		t.Errorf("message 2 = %q, want raw text and its msg id", got)
	}
}

func TestPublishConcurrent(t *testing.T) {
	nc := connect(t)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.CreateStream(context.Background(), jetstream.StreamConfig{Name: "EV", Subjects: []string{"ev.>"}}); err != nil {
		t.Fatal(err)
	}
	p, err := natstask.NewPublish(nc, natstask.WithMaxPending(64))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	const n = 1000
	var wg sync.WaitGroup
	seqs := make([]int64, n)
	var bad atomic.Int32
	for i := range n {
		wg.Add(1)
		p.Invoke(context.Background(), &task.Request{Input: value.MustParse(`{"Subject":"ev.x","Payload":` + strconv.Itoa(i) + `}`)}, func(res task.Result) {
			defer wg.Done()
			if res.Err != nil {
				bad.Add(1)
				return
			}
			s, _ := res.Output.Get("Sequence")
			seqs[i], _ = s.Int()
		})
	}
	wg.Wait()
	if b := bad.Load(); b != 0 {
		t.Fatalf("%d of %d publishes failed", b, n)
	}
	seen := make(map[int64]bool, n)
	for _, s := range seqs {
		seen[s] = true
	}
	if len(seen) != n {
		t.Errorf("got %d distinct sequences, want %d", len(seen), n)
	}
}

func TestMatch(t *testing.T) {
	var reg task.Registry
	if err := reg.Register("nats-request", natstask.MatchRequest, task.HandlerFunc(nil)); err != nil {
		t.Fatal(err)
	}
	if err := reg.Register("nats-publish", natstask.MatchPublish, task.HandlerFunc(nil)); err != nil {
		t.Fatal(err)
	}
	for res, want := range map[string]int{natstask.ResourceRequest: 0, natstask.ResourcePublish: 1, "arn:aws:states:::nats:request.sync": -1} {
		if got, _ := reg.Resolve(res); got != want {
			t.Errorf("Resolve(%s) = %d, want %d", res, got, want)
		}
	}
}
