package natsjs

// Regression tests of the second review of issue 10 that need the
// binding's internals: consume loops of one machine sharing a JSON
// decoder, and acks of an old consumer instance reaching a recreated one.

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/expressd/expressd/pkg/asl"
	"github.com/expressd/expressd/pkg/compile"
	"github.com/expressd/expressd/pkg/task"
	"github.com/expressd/expressd/pkg/vm"
)

func internalServer(t *testing.T) (*server.Server, *nats.Conn, jetstream.JetStream) {
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
	nc, err := nats.Connect(ns.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, _ := jetstream.New(nc)
	return ns, nc, js
}

func internalProgram(t *testing.T, name, def string) (*vm.Program, *task.Registry) {
	t.Helper()
	sm, diags := asl.Load(name+".asl.json", []byte(def))
	if len(diags) > 0 {
		t.Fatal(diags)
	}
	reg := &task.Registry{}
	prog, diags := compile.StateMachine(sm, compile.WithTasks(reg), compile.WithName(name))
	if len(diags) > 0 {
		t.Fatal(diags)
	}
	return prog, reg
}

func waitUntil(t *testing.T, what string, f func() bool) {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); !f(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("timed out: " + what)
		}
	}
}

// TestOldRunsOfAnInstanceGoneTogether: a consume loop that ends while its
// consumer still exists is replaced by a loop on the same consumer
// instance. When the stream is then deleted and created again, the
// deliveries of both loops must stop acking: the old loop's event used to
// ack sequence 1 of the new stream while that stream's own event (also
// sequence 1) still ran, and a shutdown nak of the new event was then
// ignored — acked, with no result and no DLQ copy.
func TestOldRunsOfAnInstanceGoneTogether(t *testing.T) {
	ns, _, js := internalServer(t)
	ctx := context.Background()
	prog, reg := internalProgram(t, "w", `{"StartAt":"W","States":{"W":{"Type":"Wait","SecondsPath":"$.wait","End":true}}}`)
	bnc, err := nats.Connect(ns.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer bnc.Close()
	b, err := Start(ctx, Options{Conn: bnc, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), CheckInterval: 100 * time.Millisecond,
		Machines: []Machine{{Name: "w", Program: prog, Tasks: reg, Concurrency: 8, Timeout: time.Minute,
			Trigger: &Trigger{Stream: "GS", Subjects: []string{"gs"}, Consumer: "gs", MaxDeliver: 3, AckWait: 30 * time.Second}}}})
	if err != nil {
		t.Fatal(err)
	}
	m := b.machines[0]
	running := func() int { m.mu.Lock(); defer m.mu.Unlock(); return len(m.running) }
	cur := func() *consumeRun { m.mu.Lock(); defer m.mu.Unlock(); return m.run }

	if _, err := js.Publish(ctx, "gs", []byte(`{"id":"A","wait":3}`)); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "A running", func() bool { return running() == 1 })
	r1 := cur()
	r1.cc.Stop() // the loop ends, the consumer stays
	waitUntil(t, "the watcher replaced the loop", func() bool { return cur() != r1 })
	r2 := cur()
	if r1.inst != r2.inst || r1.inst.gone.Load() {
		t.Fatalf("a loop on the same consumer instance must share it, not gone: %p %p gone=%v", r1.inst, r2.inst, r1.inst.gone.Load())
	}
	if err := js.DeleteStream(ctx, "GS"); err != nil {
		t.Fatal(err)
	}
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "GS", Subjects: []string{"gs"}, Storage: jetstream.FileStorage}); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the watcher set the consumer up again", func() bool { return cur() != r2 })
	if !r1.inst.gone.Load() {
		t.Fatal("the old loops' consumer instance is not gone after the stream was recreated")
	}
	if _, err := js.Publish(ctx, "gs", []byte(`{"id":"B","wait":30}`)); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "B running", func() bool { return running() == 2 })
	waitUntil(t, "A done", func() bool { return running() == 1 })
	time.Sleep(300 * time.Millisecond)
	sctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	b.Stop(sctx) // B is nak'ed: it must come back
	cancel()
	time.Sleep(300 * time.Millisecond)
	cons, err := js.Consumer(ctx, "GS", "gs")
	if err != nil {
		t.Fatal(err)
	}
	ci, err := cons.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if ci.AckFloor.Stream >= 1 {
		t.Errorf("event B (sequence 1 of the recreated stream) was acked without a result: %+v", ci)
	}
}

// TestDecoderPerConsumeLoop: the consume loop being replaced may still
// hand out its buffered deliveries while the new loop runs; they shared one
// JSON decoder, which raced (and panicked) under -race. Each loop has its
// own now; this keeps replacing loops while large events arrive.
func TestDecoderPerConsumeLoop(t *testing.T) {
	ns, _, js := internalServer(t)
	ctx := context.Background()
	prog, reg := internalProgram(t, "p", `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`)
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "DR", Subjects: []string{"dr"}, Storage: jetstream.MemoryStorage}); err != nil {
		t.Fatal(err)
	}
	payload := []byte(`{"a":[` + strings.Repeat(`{"k":[1,2.5,"s"]},`, 2000) + `0]}`)
	for range 400 {
		if _, err := js.PublishAsync("dr", payload); err != nil {
			t.Fatal(err)
		}
	}
	<-js.PublishAsyncComplete()
	bnc, err := nats.Connect(ns.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer bnc.Close()
	b, err := Start(ctx, Options{Conn: bnc, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), CheckInterval: 5 * time.Millisecond,
		Machines: []Machine{{Name: "p", Program: prog, Tasks: reg, Concurrency: 4096, Timeout: time.Minute,
			Trigger: &Trigger{Stream: "DR", Subjects: []string{"dr"}, Consumer: "dr", MaxDeliver: 1000, AckWait: 30 * time.Second}}}})
	if err != nil {
		t.Fatal(err)
	}
	for range 15 {
		time.Sleep(40 * time.Millisecond)
		_ = js.DeleteConsumer(ctx, "DR", "dr")
	}
	sctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	b.Stop(sctx)
	cancel()
}
