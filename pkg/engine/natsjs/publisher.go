package natsjs

import (
	"errors"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// publisherQueue bounds the results waiting to be published; a full queue
// blocks the engine that finished the execution (backpressure), never
// drops a result.
const publisherQueue = 8192

// ackQueue bounds the results published and waiting for their PubAck.
const ackQueue = 16384

// publisher stores results off the engines' goroutines: one goroutine
// publishes them asynchronously, one waits for the PubAcks in order and
// applies the ack policy.
type publisher struct {
	b    *Binding
	in   chan *event
	acks chan pending
	wg   sync.WaitGroup
	once sync.Once
}

type pending struct {
	ev  *event
	res jetstream.PubAckFuture // nil for an event that only goes to the DLQ
	dlq jetstream.PubAckFuture // nil unless the event goes to the DLQ
}

func newPublisher(b *Binding) *publisher {
	p := &publisher{b: b, in: make(chan *event, publisherQueue), acks: make(chan pending, ackQueue)}
	p.wg.Add(2)
	go p.publishLoop()
	go p.ackLoop()
	return p
}

func (p *publisher) submit(ev *event) { p.in <- ev }

// publish sends msg asynchronously, waiting while too many PubAcks are
// outstanding (the server is slow to acknowledge: back-pressure, rather than
// treating the result as not stored and running the event again).
func (p *publisher) publish(msg *nats.Msg) (jetstream.PubAckFuture, error) {
	fut, err := p.b.js.PublishMsgAsync(msg)
	for errors.Is(err, jetstream.ErrTooManyStalledMsgs) {
		time.Sleep(10 * time.Millisecond)
		fut, err = p.b.js.PublishMsgAsync(msg)
	}
	return fut, err
}

func (p *publisher) publishLoop() {
	defer p.wg.Done()
	defer close(p.acks)
	for ev := range p.in {
		pd := pending{ev: ev}
		var err error
		if !ev.noRes {
			if pd.res, err = p.publish(ev.resultMsg()); err != nil {
				resultNotStored(ev, false, err)
				continue
			}
		}
		if ev.dlq != "" {
			if pd.dlq, err = p.publish(ev.dlqMsg(ev.dlq)); err != nil {
				// A result may have gone out; without the DLQ copy the
				// event is redelivered and handled again (the result's
				// second copy is a duplicate).
				pd.dlq = failedFuture{err}
			}
		}
		p.acks <- pd
	}
}

func (p *publisher) ackLoop() {
	defer p.wg.Done()
	for pd := range p.acks {
		if pd.res != nil {
			if err := wait(pd.res); err != nil {
				resultNotStored(pd.ev, false, err)
				continue
			}
		}
		if pd.dlq != nil {
			if err := wait(pd.dlq); err != nil {
				resultNotStored(pd.ev, true, err)
				continue
			}
			pd.ev.m.b.opts.Engine.Metrics.DeadLettered(pd.ev.m.Name, pd.ev.dlqKind)
		}
		resultStored(pd.ev)
	}
}

func wait(f jetstream.PubAckFuture) error {
	select {
	case <-f.Ok():
		return nil
	case err := <-f.Err():
		if err == nil {
			err = errors.New("publish failed")
		}
		return err
	}
}

// close stops the publisher after the queued results are handled.
func (p *publisher) close() {
	p.once.Do(func() { close(p.in) })
	p.wg.Wait()
}

// failedFuture is a PubAckFuture that failed before it was sent.
type failedFuture struct{ err error }

func (f failedFuture) Ok() <-chan *jetstream.PubAck {
	return nil
}

func (f failedFuture) Err() <-chan error {
	c := make(chan error, 1)
	c <- f.err
	return c
}

func (f failedFuture) Msg() *nats.Msg { return nil }
