package natsjs

import (
	"strconv"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/expressd/expressd/pkg/engine"
	"github.com/expressd/expressd/pkg/states"
	"github.com/expressd/expressd/pkg/vm"
)

// onSync serves a synchronous execution (StartSyncExecution over NATS
// request-reply on expressd.sync.<machine>): at most once, the reply is the
// result message body.
func (m *machine) onSync(msg *nats.Msg) {
	b := m.b
	now := time.Now()
	name := msg.Header.Get(nats.MsgIdHdr)
	if name == "" {
		name = newID()
	}
	info := eventInfo{subject: msg.Subject, msgID: msg.Header.Get(nats.MsgIdHdr)}
	fail := func(errName states.Name, cause string) {
		res := engine.Result{Status: engine.Failed, Error: errName, Cause: cause, HasError: true, HasCause: true,
			Name: name, Start: now, Stop: time.Now(), ExecutionArn: b.executionArn(m.Name, name)}
		_ = msg.Respond(resultBody(nil, res, info))
	}
	if msg.Reply == "" {
		b.rlog.Warn("sync noreply "+m.Name, "sync request without a reply subject dropped (use a NATS request)", "machine", m.Name)
		return
	}
	b.intake.RLock()
	defer b.intake.RUnlock()
	if b.stopping.Load() {
		fail(states.ServiceUnavailable, "expressd is shutting down")
		return
	}
	// Reserve a place among the machine's sync executions, or refuse at
	// once: a sync request is at most once, and one that waited in a
	// queue would only time out at the caller.
	if m.syncN.Add(1) > int32(m.SyncConcurrency) {
		m.syncN.Add(-1)
		b.opts.Engine.Metrics.SyncRejected(m.Name)
		b.rlog.Warn("sync full "+m.Name, "sync request refused: too many sync executions in flight", "machine", m.Name, "limit", m.SyncConcurrency)
		fail(ErrExecutionLimit, "The machine "+m.Name+" has "+strconv.Itoa(m.SyncConcurrency)+" sync executions running (its sync_concurrency) in this process; try again later.")
		return
	}
	reserved := true
	defer func() {
		if reserved {
			m.syncN.Add(-1)
		}
	}()
	if len(msg.Data) > vm.PayloadLimit {
		fail(states.DataLimitExceeded, "The request is "+strconv.Itoa(len(msg.Data))+" bytes; the execution input limit is "+strconv.Itoa(vm.PayloadLimit)+" bytes.")
		return
	}
	data := msg.Data
	if len(data) == 0 {
		data = []byte("{}")
	}
	input, err := m.syncDec.ParseOwned(data) // nats.go gives each message its own payload buffer
	if err != nil {
		fail(ErrInvalidInput, "The request is not valid JSON: "+err.Error())
		return
	}
	b.inflight.Add(1)
	reserved = false // released with the execution's end
	m.mu.Lock()
	m.syncs[msg] = struct{}{}
	m.mu.Unlock()
	b.engine().Start(engine.Start{
		Program:   m.Program,
		Tasks:     m.Tasks,
		Input:     input,
		InputSize: len(data),
		OwnInput:  true,
		Name:      name,
		Sync:      true,
		Timeout:   m.Timeout,
		Logging:   m.Logging,
		Done: func(res engine.Result) {
			m.mu.Lock()
			_, mine := m.syncs[msg]
			delete(m.syncs, msg)
			m.mu.Unlock()
			if !mine {
				return // shutdown answered it already
			}
			_ = msg.Respond(resultBody(nil, res, info))
			m.syncN.Add(-1)
			b.inflight.Done()
		},
	})
}
