package main

// Fault scenarios of issue 10 ("nothing lost, for real"), run against the
// real binary: a worker that keeps dying (external nats-server, which
// survives it), results and DLQ streams that refuse writes across a
// restart, a closed stdout, and startup errors that must be reported at
// once. Each ends with the same account as the rest of the fault suite:
// every event has a stored result or a DLQ copy.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/expressd/expressd/pkg/engine/natsjs"
)

// qodDefinition holds "poison" events for a minute (the worker is killed
// while they run); the others pass through.
const qodDefinition = `{
  "StartAt": "Kind",
  "States": {
    "Kind": {"Type": "Choice", "Choices": [{"Variable": "$.kind", "StringEquals": "poison", "Next": "Hold"}], "Default": "Done"},
    "Hold": {"Type": "Wait", "Seconds": 60, "Next": "Done"},
    "Done": {"Type": "Pass", "End": true}
  }
}
`

// eventAccount is where each event ended: results and DLQ copies by id.
type eventAccount struct {
	results map[string][]resultRec
	dlq     map[string]string // id → reason
}

// accountEvents reads the results (by execution name = Nats-Msg-Id) and
// the DLQ copies (by the "id" of the payload) of the given machines.
func accountEvents(t *testing.T, ctx context.Context, js jetstream.JetStream) eventAccount {
	t.Helper()
	a := eventAccount{results: map[string][]resultRec{}, dlq: map[string]string{}}
	for _, stream := range []string{natsjs.ResultsStream, natsjs.DLQStream} {
		s, err := js.Stream(ctx, stream)
		if err != nil {
			t.Fatalf("stream %s: %v", stream, err)
		}
		readStream(t, ctx, js, stream, int(s.CachedInfo().State.Msgs), func(m *jetstream.RawStreamMsg) {
			if stream == natsjs.ResultsStream {
				var r resultRec
				if err := json.Unmarshal(m.Data, &r); err == nil {
					a.results[r.Name] = append(a.results[r.Name], r)
				}
				return
			}
			var ev struct {
				ID string `json:"id"`
			}
			_ = json.Unmarshal(m.Data, &ev)
			a.dlq[ev.ID] = m.Header.Get(natsjs.HeaderReason)
		})
	}
	return a
}

// lost returns the events with neither a result nor a DLQ copy.
func (a eventAccount) lost(events []testEvent) []string {
	var out []string
	for _, ev := range events {
		if len(a.results[ev.id]) == 0 && a.dlq[ev.id] == "" {
			out = append(out, ev.id)
		}
	}
	return out
}

// idEvents makes n events {"id": prefix-i, "kind": kind} with Nats-Msg-Id prefix-i.
func idEvents(prefix, kind string, n int) []testEvent {
	evs := make([]testEvent, n)
	for i := range evs {
		id := fmt.Sprintf("%s-%04d", prefix, i)
		evs[i] = testEvent{id: id, data: []byte(`{"id":"` + id + `","kind":"` + kind + `"}`)}
	}
	return evs
}

// consumerDelivered returns the consumer's delivered count (0 on error).
func consumerDelivered(ctx context.Context, js jetstream.JetStream, stream, consumer string) uint64 {
	c, err := js.Consumer(ctx, stream, consumer)
	if err != nil {
		return 0
	}
	ci, err := c.Info(ctx)
	if err != nil {
		return 0
	}
	return ci.Delivered.Consumer
}

// TestFaultWorkerDies (issue 10, class 2): the worker dies (SIGKILL) while
// events run, again and again; the external nats-server survives it. The
// DLQ path used to depend on the server's MAX_DELIVERIES advisory, lost
// whenever no expressd was subscribed: a "query of death" with max_deliver
// 3 and three kills stranded 49 of 50 events, and one kill with
// max_deliver 1 stranded every event in flight. Now the delivery after the
// last run dead-letters the event, whenever it comes.
func TestFaultWorkerDies(t *testing.T) {
	if testing.Short() {
		t.Skip("fault test: builds the binary and runs child processes")
	}
	nsBin := natsServerBin(t)
	bin := buildExpressd(t)
	begin := time.Now()
	dir, logf := faultDir(t)
	port := freePort(t)
	startNatsProc(t, nsBin, port, logf, "-a", "127.0.0.1", "-p", strconv.Itoa(port), "-js", "-sd", filepath.Join(dir, "store"))
	url := "nats://127.0.0.1:" + strconv.Itoa(port)
	httpAddr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	cfgPath := writeServeConfig(t, dir, "expressd.yaml", "nats:\n  url: "+url+"\n", httpAddr,
		machineYAML("qod", "qod.asl.json", "QOD", "qod.events", 256, "2s", 3)+
			machineYAML("once", "qod.asl.json", "ONCE", "once.events", 256, "2s", 1), "",
		map[string]string{"qod.asl.json": qodDefinition})
	_, js := testConn(t, url)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	poison := idEvents("poison", "poison", scaled(50, 500))
	good := idEvents("good", "good", scaled(200, 5000))
	once := idEvents("once", "poison", scaled(100, 1000))
	run := 0
	start := func() *child {
		run++
		ch := startChild(t, bin, dir, cfgPath, logf, run)
		waitReady(t, ch, httpAddr, 30*time.Second)
		return ch
	}
	kill := func(ch *child) {
		_ = ch.cmd.Process.Signal(syscall.SIGKILL)
		<-ch.done
	}

	ch := start()
	if _, err := publishAll(ctx, js, "qod.events", append(append([]testEvent{}, poison...), good...), 4, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := publishAll(ctx, js, "once.events", once, 4, 0); err != nil {
		t.Fatal(err)
	}
	// Three runs of every poison event, each ended by a kill while it
	// holds; the "once" events (max_deliver 1) die with the first kill.
	for r := 1; r <= 3; r++ {
		want := uint64(len(good) + r*len(poison))
		deadline := time.Now().Add(30 * time.Second)
		for consumerDelivered(ctx, js, "QOD", "expressd-qod") < want {
			if time.Now().After(deadline) {
				t.Fatalf("run %d: the poison events were not delivered again (delivered %d, want %d)", r, consumerDelivered(ctx, js, "QOD", "expressd-qod"), want)
			}
			time.Sleep(50 * time.Millisecond)
		}
		time.Sleep(200 * time.Millisecond) // the executions have started
		kill(ch)
		ch = start()
	}
	// The fourth delivery of each poison event and the second of each
	// "once" event go to the DLQ without running.
	deadline := time.Now().Add(60 * time.Second)
	var a eventAccount
	for {
		a = accountEvents(t, ctx, js)
		if len(a.dlq) >= len(poison)+len(once) || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	all := append(append(append([]testEvent{}, poison...), good...), once...)
	lost := a.lost(all)
	for _, ev := range poison {
		if a.dlq[ev.id] != "no result stored in max_deliver (3) deliveries" || len(a.results[ev.id]) != 0 {
			t.Errorf("poison %s: DLQ reason %q, %d results; want the max_deliver reason and no result", ev.id, a.dlq[ev.id], len(a.results[ev.id]))
			break
		}
	}
	for _, ev := range once {
		if a.dlq[ev.id] != "no result stored in max_deliver (1) deliveries" {
			t.Errorf("once %s: DLQ reason %q, want the max_deliver reason", ev.id, a.dlq[ev.id])
			break
		}
	}
	for _, ev := range good {
		if rs := a.results[ev.id]; len(rs) == 0 || rs[0].Status != "SUCCEEDED" || a.dlq[ev.id] != "" {
			t.Errorf("good %s: %d results, DLQ %q", ev.id, len(rs), a.dlq[ev.id])
			break
		}
	}
	t.Logf("worker dies: events=%d (poison %d × 3 kills with max_deliver 3, %d with max_deliver 1, good %d), results=%d, DLQ=%d, lost=%d, total %s",
		len(all), len(poison), len(once), len(good), len(a.results), len(a.dlq), len(lost), time.Since(begin).Round(time.Millisecond))
	if len(lost) > 0 {
		t.Errorf("%d events lost, e.g. %v", len(lost), lost[:min(5, len(lost))])
	}
	waitReady(t, ch, httpAddr, 10*time.Second)
}

// readyz returns /readyz's status code and body.
func readyz(addr string) (int, string) {
	resp, err := (&http.Client{Timeout: 2 * time.Second}).Get("http://" + addr + "/readyz")
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestFaultStoresFull (issue 10, class 3): EXPRESSD_RESULTS and
// EXPRESSD_DLQ both refuse writes (an operator's limits with DiscardNew:
// 100 results, 50 DLQ copies; a full disk looks the same to the daemon).
// 150 of 300 events used to be stranded for good, also after the limits
// were lifted and the daemon restarted. Now they stay in the trigger
// stream, /readyz says why, and after the limits are lifted (and a
// restart) every event has a result or a DLQ copy.
func TestFaultStoresFull(t *testing.T) {
	if testing.Short() {
		t.Skip("fault test: builds the binary and runs child processes")
	}
	bin := buildExpressd(t)
	begin := time.Now()
	dir, logf := faultDir(t)
	section, url := embeddedSection(t, dir)
	httpAddr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	cfgPath := writeServeConfig(t, dir, "expressd.yaml", section, httpAddr,
		machineYAML("full", "full.asl.json", "FULL", "full.events", 256, "2s", 2), "",
		map[string]string{"full.asl.json": holdDefinition("0")})
	ch := startChild(t, bin, dir, cfgPath, logf, 1)
	waitReady(t, ch, httpAddr, 30*time.Second)
	_, js := testConn(t, url)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	limit := func(name string, maxMsgs int64) {
		s, err := js.Stream(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		cfg := s.CachedInfo().Config
		cfg.MaxMsgs, cfg.Discard = maxMsgs, jetstream.DiscardNew
		if _, err := js.UpdateStream(ctx, cfg); err != nil {
			t.Fatal(err)
		}
	}
	limit(natsjs.ResultsStream, 100)
	limit(natsjs.DLQStream, 50)
	events := idEvents("full", "x", 300)
	if _, err := publishAll(ctx, js, "full.events", events, 4, 0); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		code, body := readyz(httpAddr)
		if code == http.StatusServiceUnavailable && strings.Contains(body, "DLQ copies are not stored") {
			t.Logf("/readyz while both stores refuse writes: %d %s", code, strings.TrimSpace(body))
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz does not report the DLQ refusing writes: %d %s", code, body)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if m := scrapeMetric(httpAddr, "expressd_store_failures_total"); m <= 0 {
		t.Errorf("expressd_store_failures_total = %v, want > 0", m)
	}
	a := accountEvents(t, ctx, js)
	stuck := len(a.lost(events))
	t.Logf("stores full: %d results, %d DLQ copies, %d events neither (held in the stream)", len(a.results), len(a.dlq), stuck)

	// The operator lifts the limits and restarts the daemon (with it, the
	// embedded server).
	limit(natsjs.ResultsStream, -1)
	limit(natsjs.DLQStream, -1)
	_ = ch.cmd.Process.Signal(syscall.SIGTERM)
	<-ch.done
	ch = startChild(t, bin, dir, cfgPath, logf, 2)
	waitReady(t, ch, httpAddr, 30*time.Second)
	deadline = time.Now().Add(90 * time.Second)
	for {
		a = accountEvents(t, ctx, js)
		if len(a.lost(events)) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	lost := a.lost(events)
	t.Logf("stores full: after the limits were lifted and a restart: %d results, %d DLQ copies, lost=%d, total %s",
		len(a.results), len(a.dlq), len(lost), time.Since(begin).Round(time.Millisecond))
	if stuck == 0 {
		t.Errorf("no event was held back: the limits did not bite")
	}
	if len(lost) > 0 {
		t.Errorf("%d events lost, e.g. %v", len(lost), lost[:min(5, len(lost))])
	}
}

// TestFaultClosedStdout (issue 10, class 4): the reader of the daemon's
// stdout goes away (expressd serve | head) while the stdout sink logs every
// event. The daemon used to die of SIGPIPE (exit 141, nothing logged); now
// the sink's failures are counted and the daemon keeps running.
func TestFaultClosedStdout(t *testing.T) {
	if testing.Short() {
		t.Skip("fault test: builds the binary and runs child processes")
	}
	bin := buildExpressd(t)
	dir, logf := faultDir(t)
	section, url := embeddedSection(t, dir)
	httpAddr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	cfgPath := writeServeConfig(t, dir, "expressd.yaml", section, httpAddr,
		machineYAML("out", "out.asl.json", "OUT", "out.events", 64, "5s", 3), "",
		map[string]string{"out.asl.json": holdDefinition("0")})
	cfg, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	cfg = []byte(strings.Replace(string(cfg), "logging:\n  level: \"OFF\"\n  sinks: []\n", "logging:\n  level: ALL\n  sinks: [{type: stdout}]\n", 1))
	if err := os.WriteFile(cfgPath, cfg, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", "--config", cfgPath)
	cmd.Dir = dir
	cmd.Stderr = logf
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd, done: make(chan struct{})}
	go func() { c.err = cmd.Wait(); close(c.done) }()
	t.Cleanup(func() {
		if !c.exited() {
			_ = cmd.Process.Kill()
			<-c.done
		}
	})
	// The reader goes away: like `| head -1` after its line.
	waitReady(t, c, httpAddr, 30*time.Second)
	stdout.Close()
	_, js := testConn(t, url)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	events := idEvents("out", "x", 200)
	if _, err := publishAll(ctx, js, "out.events", events, 2, 0); err != nil {
		t.Fatal(err)
	}
	waitStored(t, ctx, js, uint64(len(events)), "OUT", "expressd-out", 30*time.Second, func() error {
		if c.exited() {
			return fmt.Errorf("expressd exited with its stdout closed: %v", c.err)
		}
		return nil
	})
	time.Sleep(500 * time.Millisecond)
	if c.exited() {
		t.Fatalf("expressd exited with its stdout closed: %v", c.err)
	}
	if code, body := readyz(httpAddr); code != http.StatusOK {
		t.Errorf("/readyz %d %s", code, body)
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
		if c.err != nil {
			t.Errorf("expressd after SIGTERM: %v", c.err)
		}
	case <-time.After(20 * time.Second):
		t.Errorf("expressd did not exit within 20s of SIGTERM")
	}
}

// TestServeUnreachableNATS (issue 10, class 8): a taken embedded listen
// address and an external server that cannot be reached are reported at
// once, in the operating system's words, instead of "not ready after 30s"
// or "context deadline exceeded" half a minute later.
func TestServeUnreachableNATS(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "p.asl.json"), []byte(`{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	closedPort := freePort(t)
	machines := "machines:\n  - name: p\n    definition: p.asl.json\n    trigger: {stream: P, subjects: [p.events]}\nhttp:\n  listen: \"off\"\nlogging:\n  sinks: []\n"
	for _, tc := range []struct {
		name, nats, want string
	}{
		{"embedded port taken", "nats:\n  embedded:\n    listen: " + busy.Addr().String() + "\n    store_dir: " + filepath.Join(dir, "nats") + "\n",
			"nats.embedded.listen " + busy.Addr().String() + ": bind: address already in use"},
		{"external server down", "nats:\n  url: nats://127.0.0.1:" + strconv.Itoa(closedPort) + "\n",
			"cannot reach NATS at nats://127.0.0.1:" + strconv.Itoa(closedPort) + ": connect: connection refused"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfgPath := filepath.Join(dir, "expressd.yaml")
			if err := os.WriteFile(cfgPath, []byte(tc.nats+machines), 0o644); err != nil {
				t.Fatal(err)
			}
			var stdout, stderr strings.Builder
			begin := time.Now()
			code := run([]string{"serve", "--config", cfgPath}, strings.NewReader(""), &stdout, &stderr)
			took := time.Since(begin)
			if code != 1 || !strings.Contains(stderr.String(), tc.want) {
				t.Errorf("exit %d, stderr:\n%s\nwant exit 1 and %q", code, stderr.String(), tc.want)
			}
			if took > 10*time.Second {
				t.Errorf("took %v to report it; want it at once", took)
			}
		})
	}
}

// TestFaultManyMachinesShutdown (issue 10, class 9): `expressd serve` with
// 1,000 machines (each its own stream and consumer) on the embedded server
// exits within Docker's default stop timeout of 10 s after SIGTERM. It took
// 11 s, nearly all of it nats-server stopping its consumers one by one.
func TestFaultManyMachinesShutdown(t *testing.T) {
	if testing.Short() {
		t.Skip("fault test: builds the binary and runs child processes")
	}
	bin := buildExpressd(t)
	dir, logf := faultDir(t)
	section, url := embeddedSection(t, dir)
	httpAddr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	n := 1000
	var machines strings.Builder
	for i := range n {
		machines.WriteString(machineYAML(fmt.Sprintf("m%04d", i), "p.asl.json", fmt.Sprintf("S%04d", i), fmt.Sprintf("many.%04d", i), 16, "30s", 3))
	}
	cfgPath := writeServeConfig(t, dir, "expressd.yaml", section, httpAddr, machines.String(), "",
		map[string]string{"p.asl.json": holdDefinition("0")})
	begin := time.Now()
	ch := startChild(t, bin, dir, cfgPath, logf, 1)
	waitReady(t, ch, httpAddr, 60*time.Second)
	ready := time.Since(begin)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	publishSome := func(prefix string) {
		nc, js := testConn(t, url)
		defer nc.Close()
		for i := 0; i < n; i += 100 {
			if _, err := publishAll(ctx, js, fmt.Sprintf("many.%04d", i), idEvents(fmt.Sprintf("%s%04d", prefix, i), "x", 1), 1, 0); err != nil {
				t.Fatal(err)
			}
		}
		want := uint64(n / 100)
		if prefix == "b" {
			want *= 2
		}
		waitStored(t, ctx, js, want, "S0900", "expressd-m0900", 30*time.Second, nil)
	}
	publishSome("a") // results of these must not come again after the restart
	stopAt := time.Now()
	_ = ch.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-ch.done:
	case <-time.After(30 * time.Second):
		t.Fatal("expressd did not exit within 30 s of SIGTERM")
	}
	took := time.Since(stopAt)
	t.Logf("%d machines: ready after %s, exited %s after SIGTERM (%v)", n, ready.Round(time.Millisecond), took.Round(time.Millisecond), ch.err)
	if ch.err != nil {
		t.Errorf("exit: %v", ch.err)
	}
	if took > 9*time.Second {
		t.Errorf("shutdown took %s with %d machines; Docker kills after 10 s", took, n)
	}
	// The store the server did not finish closing opens again; nothing
	// completed runs again.
	ch = startChild(t, bin, dir, cfgPath, logf, 2)
	waitReady(t, ch, httpAddr, 60*time.Second)
	publishSome("b")
	_, js := testConn(t, url)
	if got := storedResults(ctx, js); got != uint64(2*n/100) {
		t.Errorf("%d results stored after the restart, want %d", got, 2*n/100)
	}
	if started := scrapeMetric(httpAddr, "expressd_executions_started_total"); started != float64(n/100) {
		t.Errorf("%v executions after the restart, want %d (the second batch only)", started, n/100)
	}
}
