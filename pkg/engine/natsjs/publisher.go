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
	res jetstream.PubAckFuture
	dlq jetstream.PubAckFuture // nil unless the event is rejected
}

func newPublisher(b *Binding) *publisher {
	p := &publisher{b: b, in: make(chan *event, publisherQueue), acks: make(chan pending, ackQueue)}
	p.wg.Add(2)
	go p.publishLoop()
	go p.ackLoop()
	return p
}

func (p *publisher) submit(ev *event) { p.in <- ev }

func (p *publisher) publishLoop() {
	defer p.wg.Done()
	defer close(p.acks)
	js := p.b.js
	for ev := range p.in {
		msg := ev.resultMsg()
		fut, err := js.PublishMsgAsync(msg)
		for errors.Is(err, jetstream.ErrTooManyStalledMsgs) {
			// The server is slow to acknowledge: wait for room (back-pressure)
			// rather than treat the result as not stored and run it again.
			time.Sleep(10 * time.Millisecond)
			fut, err = js.PublishMsgAsync(msg)
		}
		if err != nil {
			resultNotStored(ev, err)
			continue
		}
		pd := pending{ev: ev, res: fut}
		if ev.dlq != "" {
			if pd.dlq, err = js.PublishMsgAsync(ev.dlqMsg(ev.dlq)); err != nil {
				// The result went out; without the DLQ copy the event is
				// redelivered and rejected again.
				p.acks <- pending{ev: ev, res: fut, dlq: failedFuture{err}}
				continue
			}
		}
		p.acks <- pd
	}
}

func (p *publisher) ackLoop() {
	defer p.wg.Done()
	for pd := range p.acks {
		if err := wait(pd.res); err != nil {
			resultNotStored(pd.ev, err)
			continue
		}
		if pd.dlq != nil {
			if err := wait(pd.dlq); err != nil {
				resultNotStored(pd.ev, err)
				continue
			}
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
