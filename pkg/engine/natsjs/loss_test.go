package natsjs_test

// Loss paths found by testing from outside (issue 10): streams and
// consumers deleted or recreated under a running binding, results and DLQ
// streams that refuse writes, and unbounded sync requests. Every test ends
// with the same account: each event published has a stored result or a
// DLQ copy, none is lost.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/expressd/expressd/pkg/engine"
	"github.com/expressd/expressd/pkg/engine/natsjs"
	"github.com/expressd/expressd/pkg/task"
	"github.com/expressd/expressd/pkg/telemetry"
)

const passDef = `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`

// storedBy returns the events (by the "id" member of their payload) that
// have a stored message in stream on subject, with the number of copies.
func storedBy(t testing.TB, js jetstream.JetStream, stream, subject string, field func([]byte) string) map[string]int {
	t.Helper()
	out := map[string]int{}
	s, err := js.Stream(context.Background(), stream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return out
	}
	if err != nil {
		t.Fatal(err)
	}
	st := s.CachedInfo().State
	for seq := st.FirstSeq; seq <= st.LastSeq && st.Msgs > 0; seq++ {
		m, err := s.GetMsg(context.Background(), seq)
		if err != nil {
			continue
		}
		if m.Subject == subject {
			out[field(m.Data)]++
		}
	}
	return out
}

// resultIDs maps the events with a stored result of machine (by execution
// name, which is the event's Nats-Msg-Id) to their number of results.
func resultIDs(t testing.TB, js jetstream.JetStream, machine string) map[string]int {
	return storedBy(t, js, natsjs.ResultsStream, natsjs.ResultsPrefix+machine, func(b []byte) string { return jsonField(b, "name") })
}

// dlqIDs maps the events with a DLQ copy (by the "id" of the payload) to
// their number of copies.
func dlqIDs(t testing.TB, js jetstream.JetStream, machine string) map[string]int {
	return storedBy(t, js, natsjs.DLQStream, natsjs.DLQPrefix+machine, func(b []byte) string {
		var v struct {
			ID string `json:"id"`
		}
		_ = json.Unmarshal(b, &v)
		return v.ID
	})
}

// publishIDs publishes one event {"id": prefix-i} per i with Nats-Msg-Id
// prefix-i and returns the ids.
func publishIDs(t testing.TB, js jetstream.JetStream, subject, prefix string, n int) []string {
	t.Helper()
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("%s-%03d", prefix, i)
		publish(t, js, subject, `{"id":"`+ids[i]+`"}`, ids[i])
	}
	return ids
}

// account fails the test for every id that has neither a stored result
// nor a DLQ copy.
func account(t testing.TB, js jetstream.JetStream, machine string, ids []string) (results, dlq int) {
	t.Helper()
	res, dl := resultIDs(t, js, machine), dlqIDs(t, js, machine)
	lost := 0
	for _, id := range ids {
		switch {
		case res[id] > 0:
			results++
		case dl[id] > 0:
			dlq++
		default:
			lost++
			if lost <= 5 {
				t.Errorf("event %s: no stored result and no DLQ copy", id)
			}
		}
	}
	if lost > 0 {
		t.Errorf("%d of %d events lost", lost, len(ids))
	}
	return results, dlq
}

// TestRecreatedTriggerStream is the regression test of issue 10, class 1:
// a trigger stream deleted and created again numbers its events from 1
// again. Result ids were "<machine>:<stream>:<seq>", so within the results
// stream's duplicate window every new event's result was dropped as a
// duplicate of an old one — and the event acked: 100 of 100 lost, silently.
// Here the stream is recreated twice, by an operator while the binding runs
// and by the binding itself at its next start; every event keeps its own
// result.
func TestRecreatedTriggerStream(t *testing.T) {
	t.Parallel()
	ns := startServer(t)
	nc := connect(t, ns)
	js, _ := jetstream.New(nc)
	ctx := context.Background()
	reg := &task.Registry{}
	machine := natsjs.Machine{Name: "recreate", Program: compileNamed(t, "recreate", passDef, reg), Tasks: reg,
		Concurrency: 64, Timeout: time.Minute,
		Trigger: &natsjs.Trigger{Stream: "RC", Subjects: []string{"rc.>"}, Consumer: "rc", MaxDeliver: 3, AckWait: 5 * time.Second}}
	b := startBinding(t, nc, natsjs.Options{Machines: []natsjs.Machine{machine}, CheckInterval: 200 * time.Millisecond})
	all := publishIDs(t, js, "rc.a", "a", 100)
	waitFor(t, 10*time.Second, func() bool { return len(resultIDs(t, js, "recreate")) == 100 }, "first 100 results not stored")

	// An operator deletes the stream and creates it again.
	if err := js.DeleteStream(ctx, "RC"); err != nil {
		t.Fatal(err)
	}
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "RC", Subjects: []string{"rc.>"}, Storage: jetstream.FileStorage}); err != nil {
		t.Fatal(err)
	}
	all = append(all, publishIDs(t, js, "rc.b", "b", 100)...)
	waitFor(t, 15*time.Second, func() bool { return len(resultIDs(t, js, "recreate")) == 200 }, "results of the events in the recreated stream not stored")
	waitFor(t, 5*time.Second, b.Ready, "binding not ready after the stream was recreated")

	// The binding stops; the stream is deleted; the next binding creates it.
	stopCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	b.Stop(stopCtx)
	cancel()
	if err := js.DeleteStream(ctx, "RC"); err != nil {
		t.Fatal(err)
	}
	nc2 := connect(t, ns)
	startBinding(t, nc2, natsjs.Options{Machines: []natsjs.Machine{machine}, CheckInterval: 200 * time.Millisecond})
	all = append(all, publishIDs(t, js, "rc.c", "c", 100)...)
	waitFor(t, 15*time.Second, func() bool { return len(resultIDs(t, js, "recreate")) == 300 }, "results of the events in the stream created at start not stored")

	results, dlq := account(t, js, "recreate", all)
	if results != 300 || dlq != 0 {
		t.Errorf("%d results, %d DLQ copies; want 300 and 0", results, dlq)
	}
	for id, n := range resultIDs(t, js, "recreate") {
		if n != 1 {
			t.Errorf("%s: %d results stored, want 1", id, n)
		}
	}
}

// TestDeletedConsumer (issue 10, class 6): the durable consumer is deleted
// under a running binding. The binding used to stop processing for good
// while Ready said true. Now the watcher sets the consumer up again, after
// the last ack floor it saw, so the events already completed do not run
// again.
func TestDeletedConsumer(t *testing.T) {
	t.Parallel()
	ns := startServer(t)
	nc := connect(t, ns)
	js, _ := jetstream.New(nc)
	ctx := context.Background()
	reg := &task.Registry{}
	var published atomic.Int32 // every result publish, duplicates included
	if _, err := connect(t, ns).Subscribe(natsjs.ResultsPrefix+"delcons", func(*nats.Msg) { published.Add(1) }); err != nil {
		t.Fatal(err)
	}
	b := startBinding(t, nc, natsjs.Options{CheckInterval: 200 * time.Millisecond, Machines: []natsjs.Machine{{
		Name: "delcons", Program: compileNamed(t, "delcons", passDef, reg), Tasks: reg, Concurrency: 64, Timeout: time.Minute,
		Trigger: &natsjs.Trigger{Stream: "DC", Subjects: []string{"dc"}, Consumer: "dc", MaxDeliver: 3, AckWait: 5 * time.Second}}}})
	all := publishIDs(t, js, "dc", "a", 50)
	settled(t, js, "DC", "dc", 10*time.Second)
	time.Sleep(time.Second) // the watcher has seen the ack floor

	for round := range 3 {
		if err := js.DeleteConsumer(ctx, "DC", "dc"); err != nil {
			t.Fatal(err)
		}
		all = append(all, publishIDs(t, js, "dc", fmt.Sprintf("b%d", round), 50)...)
		waitFor(t, 15*time.Second, func() bool { return len(resultIDs(t, js, "delcons")) == len(all) },
			"events published after the consumer was deleted were not processed")
		settled(t, js, "DC", "dc", 10*time.Second)
		time.Sleep(time.Second)
	}
	waitFor(t, 5*time.Second, b.Ready, "binding not ready after the consumer was set up again")
	results, _ := account(t, js, "delcons", all)
	if results != len(all) {
		t.Errorf("%d results, want %d", results, len(all))
	}
	if n := int(published.Load()); n != len(all) {
		t.Errorf("%d result publishes for %d events: the recreated consumer re-ran completed events", n, len(all))
	}
	ci := consumerInfo(t, js, "DC", "dc")
	if ci.Config.DeliverPolicy != jetstream.DeliverByStartSequencePolicy {
		t.Errorf("recreated consumer deliver policy %v, want by start sequence (after the ack floor)", ci.Config.DeliverPolicy)
	}
}

// TestDeletedResultsStream (issue 10, class 6): EXPRESSD_RESULTS and
// EXPRESSD_DLQ are deleted under a running binding. Every later event used
// to end in the DLQ (its results could not be stored); now the watcher
// creates both again and the events complete normally.
func TestDeletedResultsStream(t *testing.T) {
	t.Parallel()
	ns := startServer(t)
	nc := connect(t, ns)
	js, _ := jetstream.New(nc)
	ctx := context.Background()
	reg := &task.Registry{}
	b := startBinding(t, nc, natsjs.Options{CheckInterval: 200 * time.Millisecond, Machines: []natsjs.Machine{{
		Name: "delres", Program: compileNamed(t, "delres", passDef, reg), Tasks: reg, Concurrency: 64, Timeout: time.Minute,
		Trigger: &natsjs.Trigger{Stream: "DR", Subjects: []string{"dr"}, Consumer: "dr", MaxDeliver: 5, AckWait: 5 * time.Second}}}}) // a result refused while the stream is gone takes a delivery; 2 left too little slack under load
	publishIDs(t, js, "dr", "a", 20)
	settled(t, js, "DR", "dr", 10*time.Second)
	for _, s := range []string{natsjs.ResultsStream, natsjs.DLQStream} {
		if err := js.DeleteStream(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	ids := publishIDs(t, js, "dr", "b", 50)
	publish(t, js, "dr", "not json", "bad-1") // a DLQ copy, into the recreated DLQ
	waitFor(t, 20*time.Second, func() bool { return len(resultIDs(t, js, "delres")) == 51 }, "results not stored after EXPRESSD_RESULTS was deleted")
	settled(t, js, "DR", "dr", 10*time.Second)
	results, dlq := account(t, js, "delres", ids)
	if results != 50 || dlq != 0 {
		t.Errorf("%d results, %d DLQ copies; want 50 and 0 (the results stream was recreated)", results, dlq)
	}
	if n := subjectCount(t, js, natsjs.DLQStream, natsjs.DLQPrefix+"delres"); n != 1 {
		t.Errorf("%d DLQ copies, want 1 (the event that is not JSON)", n)
	}
	waitFor(t, 5*time.Second, b.Ready, "binding not ready after the streams were recreated")
}

// countingMetrics counts StoreFailed calls by kind.
type countingMetrics struct {
	telemetry.Nop
	mu     sync.Mutex
	failed map[string]int
}

func (c *countingMetrics) StoreFailed(_, kind string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.failed == nil {
		c.failed = map[string]int{}
	}
	c.failed[kind]++
}

func (c *countingMetrics) get(kind string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.failed[kind]
}

// TestStoresRefuseWrites (issue 10, class 3): the results stream and the
// DLQ both refuse writes (stream limits with DiscardNew, as an operator may
// set them; a full disk looks the same). Events on their last delivery were
// stranded: neither completed nor dead-lettered, and never delivered
// again. Now they stay in the trigger stream, the binding says so (not
// ready, with the reason; metric), and once the limits are lifted every
// event ends with a result or a DLQ copy.
func TestStoresRefuseWrites(t *testing.T) {
	t.Parallel()
	ns := startServer(t)
	nc := connect(t, ns)
	js, _ := jetstream.New(nc)
	ctx := context.Background()
	limited := func(name, subject string, maxMsgs int64) jetstream.StreamConfig {
		return jetstream.StreamConfig{Name: name, Subjects: []string{subject}, Storage: jetstream.FileStorage,
			Duplicates: 30 * time.Minute, MaxMsgs: maxMsgs, Discard: jetstream.DiscardNew}
	}
	for _, cfg := range []jetstream.StreamConfig{limited(natsjs.ResultsStream, natsjs.ResultsSubject, 10), limited(natsjs.DLQStream, natsjs.DLQSubject, 5)} {
		if _, err := js.CreateStream(ctx, cfg); err != nil {
			t.Fatal(err)
		}
	}
	reg := &task.Registry{}
	metrics := &countingMetrics{}
	b := startBinding(t, nc, natsjs.Options{CheckInterval: 200 * time.Millisecond, Engine: engine.Options{Metrics: metrics},
		Machines: []natsjs.Machine{{
			Name: "full", Program: compileNamed(t, "full", passDef, reg), Tasks: reg, Concurrency: 64, Timeout: time.Minute,
			Trigger: &natsjs.Trigger{Stream: "FULL", Subjects: []string{"full"}, Consumer: "full", MaxDeliver: 2, AckWait: 5 * time.Second}}}})
	ids := publishIDs(t, js, "full", "e", 40)
	waitFor(t, 20*time.Second, func() bool { return metrics.get("dlq") > 0 && !b.Ready() }, "DLQ refusal not reported")
	problems := strings.Join(b.Problems(), "; ")
	if !strings.Contains(problems, "DLQ copies are not stored") {
		t.Errorf("problems %q: want the DLQ refusal", problems)
	}
	if got := len(resultIDs(t, js, "full")); got != 10 {
		t.Errorf("%d results, want 10 (the results stream's limit)", got)
	}
	if got := len(dlqIDs(t, js, "full")); got != 5 {
		t.Errorf("%d DLQ copies, want 5 (the DLQ's limit)", got)
	}
	ci := consumerInfo(t, js, "FULL", "full")
	if ci.AckFloor.Stream >= 40 || ci.NumAckPending == 0 {
		t.Errorf("consumer %+v: the events neither completed nor dead-lettered must stay unacknowledged", ci)
	}

	// The operator lifts the limits: the events still in the stream come
	// back, and each ends with a result or a DLQ copy.
	for _, cfg := range []jetstream.StreamConfig{limited(natsjs.ResultsStream, natsjs.ResultsSubject, -1), limited(natsjs.DLQStream, natsjs.DLQSubject, -1)} {
		if _, err := js.UpdateStream(ctx, cfg); err != nil {
			t.Fatal(err)
		}
	}
	settled(t, js, "FULL", "full", 45*time.Second)
	results, dlq := account(t, js, "full", ids)
	t.Logf("after the limits were lifted: %d results, %d DLQ copies", results, dlq)
	// The next result stored clears the results problem.
	ids = append(ids, publishIDs(t, js, "full", "f", 1)...)
	waitFor(t, 10*time.Second, b.Ready, "binding not ready after the stores took writes again")
	account(t, js, "full", ids)
}

// TestSyncConcurrency (issue 10, class 5): sync requests beyond the
// machine's SyncConcurrency are refused at once with
// ExecutionLimitExceeded instead of parking without bound; requests without
// a reply subject cost one log line per 10 s, not one each.
func TestSyncConcurrency(t *testing.T) {
	t.Parallel()
	ns := startServer(t)
	nc := connect(t, ns)
	reg := &task.Registry{}
	def := `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":2,"End":true}}}`
	var logBuf lockedBuffer
	startBinding(t, nc, natsjs.Options{Logger: logBuf.logger(), Machines: []natsjs.Machine{{
		Name: "syncmax", Program: compileNamed(t, "syncmax", def, reg), Tasks: reg, Concurrency: 4, SyncConcurrency: 5, Timeout: time.Minute}}})
	client := connect(t, ns)
	var wg sync.WaitGroup
	var ok, refused atomic.Int32
	start := time.Now()
	var refusedAfter atomic.Int64
	for range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			msg, err := client.Request(natsjs.SyncPrefix+"syncmax", []byte(`{}`), 10*time.Second)
			if err != nil {
				t.Error(err)
				return
			}
			switch st, e := jsonField(msg.Data, "status"), jsonField(msg.Data, "error"); {
			case st == "SUCCEEDED":
				ok.Add(1)
			case e == string(natsjs.ErrExecutionLimit):
				refused.Add(1)
				refusedAfter.Store(int64(time.Since(start)))
			default:
				t.Errorf("reply %s", msg.Data)
			}
		}()
	}
	wg.Wait()
	if ok.Load() != 5 || refused.Load() != 7 {
		t.Errorf("%d succeeded, %d refused; want 5 and 7", ok.Load(), refused.Load())
	}
	if d := time.Duration(refusedAfter.Load()); d > time.Second {
		t.Errorf("a refusal came after %v; want it at once, not after the running executions", d)
	}
	// After the running ones end, there is room again.
	if msg, err := client.Request(natsjs.SyncPrefix+"syncmax", []byte(`{}`), 10*time.Second); err != nil || jsonField(msg.Data, "status") != "SUCCEEDED" {
		t.Errorf("request after the others ended: %v", err)
	}
	for range 2000 {
		if err := client.Publish(natsjs.SyncPrefix+"syncmax", []byte(`{}`)); err != nil {
			t.Fatal(err)
		}
	}
	if err := client.Flush(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, func() bool { return strings.Contains(logBuf.String(), "without a reply subject") }, "no warning for reply-less requests")
	time.Sleep(200 * time.Millisecond)
	if n := strings.Count(logBuf.String(), "without a reply subject"); n != 1 {
		t.Errorf("%d warnings for 2,000 reply-less requests, want 1 (rate-limited)", n)
	}
}

// sharedMachines are n machines on one trigger stream, each on its own
// subject and consumer.
func sharedMachines(t *testing.T, reg *task.Registry, n int) []natsjs.Machine {
	prog := compileNamed(t, "shared", passDef, reg)
	var ms []natsjs.Machine
	for i := range n {
		name := fmt.Sprintf("m%d", i)
		ms = append(ms, natsjs.Machine{Name: name, Program: prog, Tasks: reg, Concurrency: 4, Timeout: time.Minute,
			Trigger: &natsjs.Trigger{Stream: "SHARED", Subjects: []string{"shared." + name}, Consumer: name, MaxDeliver: 3, AckWait: 30 * time.Second}})
	}
	return ms
}

// TestSharedTriggerStream (second review of issue 10): machines set up in
// parallel that share one trigger stream. When the stream was absent, all
// but one failed to create it and the start failed; when it existed, each
// read, extended and wrote back its subject list, and 27 of 32 machines'
// subjects were lost while Ready said true.
func TestSharedTriggerStream(t *testing.T) {
	t.Parallel()
	for _, present := range []bool{false, true} {
		ns := startServer(t)
		nc := connect(t, ns)
		js, _ := jetstream.New(nc)
		ctx := context.Background()
		if present {
			if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "SHARED", Subjects: []string{"shared.seed"}, Storage: jetstream.FileStorage}); err != nil {
				t.Fatal(err)
			}
		}
		ms := sharedMachines(t, &task.Registry{}, 32)
		b := startBinding(t, nc, natsjs.Options{Machines: ms})
		s, err := js.Stream(ctx, "SHARED")
		if err != nil {
			t.Fatal(err)
		}
		have := s.CachedInfo().Config.Subjects
		for _, m := range ms {
			if !slices.Contains(have, m.Trigger.Subjects[0]) {
				t.Errorf("stream present=%v: subject %s missing from the stream (ready %v)", present, m.Trigger.Subjects[0], b.Ready())
			}
		}
		if present && !slices.Contains(have, "shared.seed") {
			t.Errorf("the stream's own subject was dropped: %v", have)
		}
	}
}

// TestDLQCopyHeadersAndSize (second review of issue 10): a rejected event
// published with publish-control headers (Nats-Expected-Stream here) made
// every DLQ publish fail, and one just under max_payload did not fit with
// the DLQ headers: nak'ed forever, never dead-lettered. Both get a DLQ
// copy now — the headers renamed, the oversize payload left out.
func TestDLQCopyHeadersAndSize(t *testing.T) {
	t.Parallel()
	ns := startServer(t)
	nc := connect(t, ns)
	js, _ := jetstream.New(nc)
	ctx := context.Background()
	reg := &task.Registry{}
	startBinding(t, nc, natsjs.Options{Machines: []natsjs.Machine{{Name: "hx", Program: compileNamed(t, "hx", passDef, reg), Tasks: reg,
		Concurrency: 4, Timeout: time.Minute,
		Trigger: &natsjs.Trigger{Stream: "HX", Subjects: []string{"hx"}, Consumer: "hx", MaxDeliver: 2, AckWait: 5 * time.Second}}}})
	if _, err := js.Publish(ctx, "hx", []byte(`not json`), jetstream.WithExpectStream("HX")); err != nil {
		t.Fatal(err)
	}
	big := []byte(`"` + strings.Repeat("x", int(nc.MaxPayload())-200) + `"`)
	if _, err := js.Publish(ctx, "hx", big); err != nil {
		t.Fatal(err)
	}
	dlq := collectDLQ(t, js, "hx", 2)
	if len(dlq) != 2 {
		t.Fatalf("%d DLQ copies, want 2", len(dlq))
	}
	h0, h1 := dlq[0].Headers(), dlq[1].Headers()
	if h0.Get("Nats-Expected-Stream") != "" || h0.Get(natsjs.HeaderOrigPrefix+"Nats-Expected-Stream") != "HX" || string(dlq[0].Data()) != "not json" {
		t.Errorf("first copy: headers %v payload %q; want Nats-Expected-Stream renamed, payload kept", h0, dlq[0].Data())
	}
	if !strings.Contains(h1.Get(natsjs.HeaderPayloadOmitted), "too large") || len(dlq[1].Data()) != 0 || h1.Get(natsjs.HeaderSeq) != "2" {
		t.Errorf("second copy: headers %v, %d payload bytes; want the payload left out and said so", h1, len(dlq[1].Data()))
	}
}

// TestTriggerStreamRecreatedAfterGrace: a trigger stream deleted and not
// created again by anyone is created by the binding after the grace period
// (during which Ready is false and says why), and events published then
// are processed.
func TestTriggerStreamRecreatedAfterGrace(t *testing.T) {
	t.Parallel()
	ns := startServer(t)
	nc := connect(t, ns)
	js, _ := jetstream.New(nc)
	ctx := context.Background()
	reg := &task.Registry{}
	b := startBinding(t, nc, natsjs.Options{CheckInterval: 200 * time.Millisecond, StreamRecreateGrace: time.Second,
		Machines: []natsjs.Machine{{Name: "grace", Program: compileNamed(t, "grace", passDef, reg), Tasks: reg, Concurrency: 16, Timeout: time.Minute,
			Trigger: &natsjs.Trigger{Stream: "GRACE", Subjects: []string{"grace"}, Consumer: "grace", MaxDeliver: 3, AckWait: 5 * time.Second}}}})
	if err := js.DeleteStream(ctx, "GRACE"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, func() bool { return strings.Contains(strings.Join(b.Problems(), ";"), "stream GRACE is missing") },
		"the missing stream is not reported")
	waitFor(t, 10*time.Second, b.Ready, "the stream was not created again after the grace period")
	ids := publishIDs(t, js, "grace", "g", 20)
	waitFor(t, 10*time.Second, func() bool { return len(resultIDs(t, js, "grace")) == 20 }, "events after the recreation not processed")
	account(t, js, "grace", ids)
}
