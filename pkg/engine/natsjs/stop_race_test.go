package natsjs_test

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nats.go/micro"

	"github.com/expressd/expressd/pkg/engine/natsjs"
)

// TestStopWhileExecutionsFinish is the regression test of two shutdown
// bugs of Binding.Stop with an expired drain:
//
//   - it closed the result publisher before stopping the engines, so an
//     execution that ended in between handed its result to the closed queue
//     ("send on closed channel" panic in an engine goroutine);
//   - it returned with its naks possibly still in the connection's buffer:
//     closing the connection right after Stop lost some (in about 4 runs of
//     10 here), and their events came back only after ack_wait;
//   - it returned before the consume loop had handed over the deliveries
//     the client had buffered (Drain is asynchronous): closing the
//     connection then dropped them unacknowledged, and they too came back
//     only after ack_wait ("954 events with a result, want 1000" in about
//     one run of six under -race). Stop now waits for the loop to end.
//
// Executions end continuously while Stop runs, three times, each stopped
// binding's connection closed at once; then a binding completes every event
// well before ack_wait (60s) could bring a lost one back: each event has
// exactly one stored result.
func TestStopWhileExecutionsFinish(t *testing.T) {
	t.Parallel()
	ns := startServer(t)
	js, _ := jetstream.New(connect(t, ns))
	addEndpoint(t, connect(t, ns), "svc.spread", func(r micro.Request) {
		i, _ := strconv.Atoi(jsonField(r.Data(), "i"))
		time.AfterFunc(time.Duration(i%400)*time.Millisecond, func() { _ = r.Respond([]byte(`{"ok":true}`)) })
	})
	def := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::nats:request",
		"Parameters":{"Subject":"svc.spread","Payload.$":"$"},"ResultPath":"$.r","End":true}}}`
	machine := func(nc *nats.Conn) natsjs.Machine {
		reg := realRegistry(t, nc, regOptions{})
		return natsjs.Machine{Name: "race", Program: compileNamed(t, "race", def, reg), Tasks: reg, Concurrency: 2000, Timeout: time.Minute,
			Trigger: &natsjs.Trigger{Stream: "EVR", Subjects: []string{"evr"}, Consumer: "cr", MaxDeliver: 10, AckWait: time.Minute}}
	}
	if _, err := js.CreateStream(context.Background(), jetstream.StreamConfig{Name: "EVR", Subjects: []string{"evr"}, Storage: jetstream.FileStorage}); err != nil {
		t.Fatal(err)
	}
	const n = 1000
	for i := range n {
		publish(t, js, "evr", fmt.Sprintf(`{"i":"%d"}`, i), fmt.Sprintf("e%d", i))
	}
	for round := range 4 {
		ncA := connect(t, ns)
		a := startBinding(t, ncA, natsjs.Options{Workers: 2, Machines: []natsjs.Machine{machine(ncA)}})
		// Round 0 stops while the first pull's deliveries are still
		// buffered in the client; later rounds while executions end.
		time.Sleep(time.Duration(50*round) * time.Millisecond)
		ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
		a.Stop(ctx)
		cancel()
		ncA.Close()
	}
	ncB := connect(t, ns)
	startBinding(t, ncB, natsjs.Options{Machines: []natsjs.Machine{machine(ncB)}})
	results := collectResults(t, js, "race", n, 20*time.Second)
	seen := map[string]bool{}
	for _, r := range results {
		if r.Status != "SUCCEEDED" || seen[r.Name] {
			t.Errorf("%s: %s (duplicate %v)", r.Name, r.Status, seen[r.Name])
		}
		seen[r.Name] = true
	}
	if len(seen) != n {
		t.Fatalf("%d events with a result, want %d", len(seen), n)
	}
	settled(t, js, "EVR", "cr", 10*time.Second)
	if c := subjectCount(t, js, natsjs.ResultsStream, natsjs.ResultsPrefix+"race"); c != n {
		t.Errorf("%d results stored, want %d", c, n)
	}
}

// TestStartReadyForSyncRequests is the regression test of Start returning
// before the server had registered the sync subscription: a sync request
// sent from another connection right after Start (or after /readyz said
// ready) could get "no responders".
func TestStartReadyForSyncRequests(t *testing.T) {
	t.Parallel()
	ns := startServer(t)
	client := connect(t, ns)
	reg := realRegistry(t, client, regOptions{})
	prog := compileNamed(t, "ready", `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`, reg)
	for i := range 20 {
		nc := connect(t, ns)
		b, err := natsjs.Start(context.Background(), natsjs.Options{Conn: nc, Logger: quietLogger(), Machines: []natsjs.Machine{{
			Name: "ready", Program: prog, Tasks: reg, Concurrency: 4, Timeout: time.Minute}}})
		if err != nil {
			t.Fatal(err)
		}
		if !b.Ready() {
			t.Fatal("not ready after Start")
		}
		_, err = client.Request(natsjs.SyncPrefix+"ready", []byte(`{}`), 5*time.Second)
		b.Stop(context.Background())
		nc.Close()
		if err != nil {
			t.Fatalf("start %d: sync request right after Start: %v", i, err)
		}
	}
}
