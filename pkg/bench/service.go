package bench

import (
	"strings"
	"sync"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"
)

// ServicePrefix is the subject prefix of the echo service: a request on
// bench.svc.<x> gets the reply {"ok":true,"svc":"<x>"}.
const ServicePrefix = "bench.svc."

// StartEchoService starts the nats.go/micro service the fan-out workload
// calls: one endpoint on bench.svc.*, replying {"ok":true,"svc":"<x>"}
// where <x> is the last subject token. Stop it with Stop.
func StartEchoService(nc *nats.Conn) (micro.Service, error) {
	var replies sync.Map // subject → []byte
	svc, err := micro.AddService(nc, micro.Config{
		Name:        "expressd-bench-echo",
		Version:     "1.0.0",
		Description: "echo service of expressd bench (fan-out workload)",
	})
	if err != nil {
		return nil, err
	}
	err = svc.AddEndpoint("echo", micro.HandlerFunc(func(r micro.Request) {
		subj := r.Subject()
		b, ok := replies.Load(subj)
		if !ok {
			x := subj[strings.LastIndexByte(subj, '.')+1:]
			b, _ = replies.LoadOrStore(subj, []byte(`{"ok":true,"svc":"`+x+`"}`))
		}
		_ = r.Respond(b.([]byte))
	}), micro.WithEndpointSubject(ServicePrefix+"*"))
	if err != nil {
		_ = svc.Stop()
		return nil, err
	}
	return svc, nil
}
