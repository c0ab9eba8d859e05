package natsjs_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/expressd/expressd/pkg/asl"
	"github.com/expressd/expressd/pkg/compile"
	"github.com/expressd/expressd/pkg/engine/natsjs"
	"github.com/expressd/expressd/pkg/task"
	"github.com/expressd/expressd/pkg/value"
	"github.com/expressd/expressd/pkg/vm"
)

// startServer runs an embedded JetStream server on a random loopback port.
func startServer(t testing.TB) *server.Server {
	t.Helper()
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(), NoSigs: true, NoLog: true})
	if err != nil {
		t.Fatal(err)
	}
	ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats-server not ready")
	}
	t.Cleanup(func() { ns.Shutdown(); ns.WaitForShutdown() })
	return ns
}

func connect(t testing.TB, ns *server.Server) *nats.Conn {
	t.Helper()
	nc, err := nats.Connect(ns.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return nc
}

func compileDef(t testing.TB, def string, reg *task.Registry) *vm.Program {
	t.Helper()
	sm, diags := asl.Load("t.asl.json", []byte(def))
	if len(diags) > 0 {
		t.Fatal(diags)
	}
	p, diags := compile.StateMachine(sm, compile.WithTasks(reg), compile.WithName("m"))
	if len(diags) > 0 {
		t.Fatal(diags)
	}
	return p
}

// resultBody is the result message body of the contract.
type resultBody struct {
	ExecutionArn string          `json:"execution_arn"`
	Name         string          `json:"name"`
	Status       string          `json:"status"`
	Output       json.RawMessage `json:"output"`
	Error        string          `json:"error"`
	Cause        string          `json:"cause"`
	StartDate    string          `json:"start_date"`
	StopDate     string          `json:"stop_date"`
	Event        struct {
		Stream  string `json:"stream"`
		Seq     uint64 `json:"seq"`
		Subject string `json:"subject"`
		MsgID   string `json:"msg_id"`
	} `json:"event"`
}

// collectResults reads results of a machine from EXPRESSD_RESULTS until n
// have arrived or the timeout passes.
func collectResults(t testing.TB, js jetstream.JetStream, machine string, n int, timeout time.Duration) []resultBody {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cons, err := js.OrderedConsumer(ctx, natsjs.ResultsStream, jetstream.OrderedConsumerConfig{FilterSubjects: []string{natsjs.ResultsPrefix + machine}})
	if err != nil {
		t.Fatal(err)
	}
	var out []resultBody
	for len(out) < n {
		batch, err := cons.Fetch(n-len(out), jetstream.FetchMaxWait(time.Second))
		if err != nil {
			t.Fatal(err)
		}
		for m := range batch.Messages() {
			var r resultBody
			if err := json.Unmarshal(m.Data(), &r); err != nil {
				t.Fatalf("result is not JSON: %v: %s", err, m.Data())
			}
			out = append(out, r)
		}
		if ctx.Err() != nil {
			break
		}
	}
	return out
}

func publish(t testing.TB, js jetstream.JetStream, subject string, data string, id string) {
	t.Helper()
	msg := nats.NewMsg(subject)
	msg.Data = []byte(data)
	if id != "" {
		msg.Header.Set(nats.MsgIdHdr, id)
	}
	if _, err := js.PublishMsg(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
}

// TestEventsToResults: every event runs once and its result is stored
// before the event is acknowledged; bad events fail with a DLQ copy.
func TestEventsToResults(t *testing.T) {
	ns := startServer(t)
	nc := connect(t, ns)
	js, _ := jetstream.New(nc)
	reg := &task.Registry{}
	// An asynchronous task: doubles $.n from another goroutine.
	_ = reg.Register("double", func(string) bool { return true }, task.HandlerFunc(func(_ context.Context, req *task.Request, done func(task.Result)) {
		go func() {
			n, _ := req.Input.Get("n")
			v := n.Float() * 2
			done(task.Result{Output: valueOf(fmt.Sprintf(`{"doubled":%g}`, v))})
		}()
	}))
	prog := compileDef(t, `{"StartAt":"Check","States":{
		"Check":{"Type":"Choice","Choices":[{"Variable":"$.n","IsNumeric":true,"Next":"Double"}],"Default":"Bad"},
		"Double":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","ResultPath":"$.r","Next":"Wait"},
		"Wait":{"Type":"Wait","Seconds":0,"End":true},
		"Bad":{"Type":"Fail","Error":"NotANumber","Cause":"n must be a number"}}}`, reg)
	b, err := natsjs.Start(context.Background(), natsjs.Options{Conn: nc, Machines: []natsjs.Machine{{
		Name: "m", Program: prog, Tasks: reg, Concurrency: 256, Timeout: time.Minute,
		Trigger: &natsjs.Trigger{Stream: "EVENTS", Subjects: []string{"ev.>"}, Consumer: "expressd-m", MaxDeliver: 3, AckWait: 5 * time.Second},
	}}})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Stop(context.Background())

	const n = 500
	for i := 0; i < n; i++ {
		publish(t, js, "ev.a", fmt.Sprintf(`{"n":%d}`, i), fmt.Sprintf("id-%d", i))
	}
	publish(t, js, "ev.b", `{"n":"x"}`, "")
	publish(t, js, "ev.b", `not json`, "bad-1")
	publish(t, js, "ev.b", `{"big":"`+strings.Repeat("x", 300*1024)+`"}`, "big-1")

	results := collectResults(t, js, "m", n+3, 20*time.Second)
	if len(results) != n+3 {
		t.Fatalf("got %d results, want %d", len(results), n+3)
	}
	byName := map[string]resultBody{}
	for _, r := range results {
		if _, dup := byName[r.Name]; dup {
			t.Errorf("two results for %s", r.Name)
		}
		byName[r.Name] = r
	}
	for i := 0; i < n; i++ {
		r, ok := byName[fmt.Sprintf("id-%d", i)]
		if !ok {
			t.Fatalf("no result for id-%d", i)
		}
		want := fmt.Sprintf(`{"n":%d,"r":{"doubled":%d}}`, i, 2*i)
		if r.Status != "SUCCEEDED" || string(r.Output) != want {
			t.Errorf("id-%d: got %s %s, want SUCCEEDED %s", i, r.Status, r.Output, want)
		}
		if !strings.Contains(r.ExecutionArn, ":express:m:id-") || r.Event.Stream != "EVENTS" || r.Event.Subject != "ev.a" || r.Event.MsgID != r.Name {
			t.Errorf("id-%d: bad metadata %+v", i, r)
		}
	}
	if r := byName["EVENTS-501"]; r.Status != "FAILED" || r.Error != "NotANumber" {
		t.Errorf("got %+v, want FAILED NotANumber for the execution that fails", r)
	}
	if r := byName["bad-1"]; r.Status != "FAILED" || r.Error != string(natsjs.ErrInvalidInput) {
		t.Errorf("got %+v, want FAILED InvalidExecutionInput", r)
	}
	if r := byName["big-1"]; r.Status != "FAILED" || r.Error != "States.DataLimitExceeded" {
		t.Errorf("got %+v, want FAILED States.DataLimitExceeded", r)
	}
	// The two undecodable events are in the DLQ with their reason; the
	// failed execution is not (it finished).
	dlq := collectDLQ(t, js, "m", 2)
	if len(dlq) != 2 {
		t.Fatalf("got %d DLQ messages, want 2", len(dlq))
	}
	for _, m := range dlq {
		if m.Headers().Get(natsjs.HeaderReason) == "" || m.Headers().Get(natsjs.HeaderStream) != "EVENTS" {
			t.Errorf("DLQ message without reason or origin: %v", m.Headers())
		}
	}
	// Every event is acknowledged (or terminated): nothing pending.
	waitFor(t, 10*time.Second, func() bool {
		ci, err := js.Consumer(context.Background(), "EVENTS", "expressd-m")
		if err != nil {
			return false
		}
		info, err := ci.Info(context.Background())
		return err == nil && info.NumAckPending == 0 && info.NumPending == 0
	}, "consumer has unacknowledged events")
}

// TestSyncRequest: request-reply on expressd.sync.<machine> returns the
// result body; a machine without trigger serves sync requests only.
func TestSyncRequest(t *testing.T) {
	ns := startServer(t)
	nc := connect(t, ns)
	reg := &task.Registry{}
	prog := compileDef(t, `{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"hello.$":"$.name","id.$":"$$.Execution.Name"},"End":true}}}`, reg)
	b, err := natsjs.Start(context.Background(), natsjs.Options{Conn: nc, Machines: []natsjs.Machine{{
		Name: "s", Program: prog, Tasks: reg, Concurrency: 16, Timeout: time.Minute}}})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Stop(context.Background())
	msg := nats.NewMsg(natsjs.SyncPrefix + "s")
	msg.Data = []byte(`{"name":"Ada"}`)
	msg.Header.Set(nats.MsgIdHdr, "req-1")
	reply, err := nc.RequestMsg(msg, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var r resultBody
	if err := json.Unmarshal(reply.Data, &r); err != nil {
		t.Fatal(err)
	}
	if r.Status != "SUCCEEDED" || string(r.Output) != `{"hello":"Ada","id":"req-1"}` {
		t.Errorf("got %s %s, want SUCCEEDED with the greeting", r.Status, r.Output)
	}
	reply, err = nc.Request(natsjs.SyncPrefix+"s", []byte(`{`), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	_ = json.Unmarshal(reply.Data, &r)
	if r.Status != "FAILED" || r.Error != string(natsjs.ErrInvalidInput) {
		t.Errorf("got %s %s, want FAILED InvalidExecutionInput", r.Status, r.Error)
	}
}

func collectDLQ(t testing.TB, js jetstream.JetStream, machine string, n int) []jetstream.Msg {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cons, err := js.OrderedConsumer(ctx, natsjs.DLQStream, jetstream.OrderedConsumerConfig{FilterSubjects: []string{natsjs.DLQPrefix + machine}})
	if err != nil {
		t.Fatal(err)
	}
	var out []jetstream.Msg
	for len(out) < n && ctx.Err() == nil {
		batch, err := cons.Fetch(n-len(out), jetstream.FetchMaxWait(time.Second))
		if err != nil {
			t.Fatal(err)
		}
		for m := range batch.Messages() {
			out = append(out, m)
		}
	}
	return out
}

func waitFor(t testing.TB, d time.Duration, cond func() bool, msg string) {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal(msg)
}

func valueOf(s string) value.Value { return value.MustParse(s) }
