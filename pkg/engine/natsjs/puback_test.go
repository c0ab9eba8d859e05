package natsjs_test

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/expressd/expressd/pkg/engine/natsjs"
	"github.com/expressd/expressd/pkg/task"
)

// TestLostPubAck is the regression test of a PubAck that never arrives
// (found by the cluster fault test, cmd/expressd TestFaultCluster: the
// results stream's leader was killed after the result reached it). The
// publisher waited for it forever, in order, so no later event was ever
// acknowledged. Here the results subject has a responder that never
// replies: after natsjs.PubAckTimeout the event must be nak'ed and run
// again, well before ack_wait would redeliver it.
func TestLostPubAck(t *testing.T) {
	ns := startServer(t)
	nc := connect(t, ns)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	var published atomic.Int32
	if _, err := nc.Subscribe("noack.results", func(*nats.Msg) { published.Add(1) }); err != nil {
		t.Fatal(err)
	}
	reg := &task.Registry{}
	prog := compileDef(t, `{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}`, reg)
	startBinding(t, nc, natsjs.Options{Machines: []natsjs.Machine{{
		Name: "m", Program: prog, Tasks: reg, Concurrency: 16, Results: "noack.results",
		Trigger: &natsjs.Trigger{Stream: "NOACK", Subjects: []string{"noack.events"}, Consumer: "noack",
			MaxDeliver: 10, AckWait: time.Minute},
	}}})
	publish(t, js, "noack.events", `{"a":1}`, "e1")
	// First run, PubAck timeout (5s), nak delay (1s), second run.
	waitFor(t, natsjs.PubAckTimeout+10*time.Second, func() bool { return published.Load() >= 2 },
		"the event was not run again after its result's PubAck was lost")
}
