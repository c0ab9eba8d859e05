package natsjs_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/expressd/expressd/pkg/engine/natsjs"
	"github.com/expressd/expressd/pkg/task"
)

// TestManyMachinesStop (issue 10, class 9): a binding with 1,000 machines
// (each with its own stream and consumer) stops well within Docker's
// default stop timeout of 10 s: the machines' consume loops and sync
// subscriptions are stopped in parallel, and no event is left to ack_wait.
func TestManyMachinesStop(t *testing.T) {
	if testing.Short() {
		t.Skip("starts 1,000 consumers")
	}
	ns := startServer(t)
	nc := connect(t, ns)
	js, _ := jetstream.New(nc)
	reg := &task.Registry{}
	prog := compileNamed(t, "many", passDef, reg)
	const n = 1000
	var machines []natsjs.Machine
	for i := range n {
		machines = append(machines, natsjs.Machine{Name: fmt.Sprintf("m%04d", i), Program: prog, Tasks: reg, Concurrency: 16, Timeout: time.Minute,
			Trigger: &natsjs.Trigger{Stream: fmt.Sprintf("S%04d", i), Subjects: []string{fmt.Sprintf("many.%04d", i)},
				Consumer: "c", MaxDeliver: 3, AckWait: 30 * time.Second}})
	}
	begin := time.Now()
	b, err := natsjs.Start(context.Background(), natsjs.Options{Conn: nc, Machines: machines, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	started := time.Since(begin)
	for i := 0; i < n; i += 10 {
		publish(t, js, fmt.Sprintf("many.%04d", i), `{}`, "")
	}
	waitFor(t, 30*time.Second, func() bool { return subjectCount(t, js, natsjs.ResultsStream, natsjs.ResultsPrefix+"m0990") == 1 }, "events not processed")
	begin = time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	b.Stop(ctx)
	cancel()
	stopped := time.Since(begin)
	t.Logf("%d machines: Start %v, Stop %v", n, started.Round(time.Millisecond), stopped.Round(time.Millisecond))
	if stopped > 5*time.Second {
		t.Errorf("Stop took %v with %d machines; want well under 10 s (Docker's stop timeout)", stopped, n)
	}
}
