package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/expressd/expressd/pkg/engine/natsjs"
)

// The crash test (issue 4; scenario 1 of issue 7): a child `expressd serve`
// is killed with SIGKILL while thousands of events are in flight, then
// restarted. Afterwards every event has a stored result (0 lost); the
// duplicate executions are counted and must stay within the in-flight bound.
//
// Two variants:
//   - embedded: the child runs the embedded NATS server, which dies with it;
//     the restart reuses its store_dir.
//   - external: the NATS server runs in the test process and survives the
//     child, so an ack sent before its result is stored would lose an event.

const (
	crashEvents      = 5000
	crashConcurrency = 1024
	crashMachine     = "crash"
	crashStream      = "CRASH"
	crashSubject     = "crash.events"
	crashConsumer    = "expressd-crash"
	crashResults     = natsjs.ResultsPrefix + crashMachine
	// crashPublishPerTick events are published every 10 ms (3000/s).
	crashPublishPerTick = 30
	// crashKillAt is the share of results published when the child is killed.
	crashKillAt = 0.35
)

// crashDefinition holds every execution for a second (a Wait on the
// engine's timer wheel), so about `concurrency` executions are in flight
// at any time.
const crashDefinition = `{
  "Comment": "crash test: executions stay in flight for a second",
  "StartAt": "Receive",
  "States": {
    "Receive": {"Type": "Pass", "Parameters": {"i.$": "$.i", "tag": "crash"}, "Next": "Hold"},
    "Hold": {"Type": "Wait", "Seconds": 1, "Next": "Check"},
    "Check": {
      "Type": "Choice",
      "Choices": [{"Variable": "$.i", "NumericGreaterThanEquals": 0, "Next": "Done"}],
      "Default": "Negative"
    },
    "Negative": {"Type": "Fail", "Error": "Crash.Negative", "Cause": "negative index"},
    "Done": {"Type": "Pass", "ResultPath": "$.done", "Result": true, "End": true}
  }
}
`

func TestCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test: builds the binary and runs a child daemon")
	}
	bin := buildExpressd(t)
	t.Run("embedded", func(t *testing.T) { runCrash(t, bin, false) })
	t.Run("external", func(t *testing.T) { runCrash(t, bin, true) })
}

// buildExpressd builds the expressd binary from the module root.
func buildExpressd(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMOD").Output()
	gomod := strings.TrimSpace(string(out))
	if err != nil || gomod == "" || gomod == os.DevNull {
		t.Skipf("go env GOMOD: %v (%q)", err, gomod)
	}
	bin := filepath.Join(t.TempDir(), "expressd")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/expressd")
	cmd.Dir = filepath.Dir(gomod)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// freePort returns a loopback port that was free a moment ago.
// The kernel may hand the same free port out twice in a row (it was free
// both times): freePort never returns a port it returned before in this
// process, or two servers of one test would fight over it (seen: NATS and
// HTTP of one config on one port).
var (
	portsMu sync.Mutex
	ports   = map[int]bool{}
)

func freePort(t *testing.T) int {
	t.Helper()
	portsMu.Lock()
	defer portsMu.Unlock()
	for range 100 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		if !ports[port] {
			ports[port] = true
			return port
		}
	}
	t.Fatal("no new free port after 100 tries")
	return 0
}

// child is one `expressd serve` process.
type child struct {
	cmd  *exec.Cmd
	done chan struct{}
	err  error // Wait's error, valid once done is closed
}

func startChild(t *testing.T, bin, dir, cfgPath string, out *os.File, run int) *child {
	t.Helper()
	fmt.Fprintf(out, "=== expressd serve, run %d, %s ===\n", run, time.Now().Format(time.RFC3339Nano))
	cmd := exec.Command(bin, "serve", "--config", cfgPath)
	cmd.Dir = dir
	cmd.Stdout = out
	cmd.Stderr = out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start expressd: %v", err)
	}
	c := &child{cmd: cmd, done: make(chan struct{})}
	go func() {
		c.err = cmd.Wait()
		close(c.done)
	}()
	t.Cleanup(func() {
		select {
		case <-c.done:
		default:
			_ = cmd.Process.Kill()
			<-c.done
		}
	})
	return c
}

func (c *child) exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// waitReady polls /readyz until it answers 200.
func waitReady(t *testing.T, c *child, httpAddr string, timeout time.Duration) {
	t.Helper()
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if c.exited() {
			t.Fatalf("expressd exited before it was ready: %v", c.err)
		}
		resp, err := client.Get("http://" + httpAddr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Fatalf("expressd not ready on %s after %s", httpAddr, timeout)
}

// resultCounter counts every result publish seen by a core NATS
// subscription, including the ones the results stream drops as duplicates.
type resultCounter struct {
	mu   sync.Mutex
	seen map[string]int
	all  int
	bad  int
	// trigger is closed when all reaches triggerAt: the kill then lands in
	// the middle of a burst of results being published and acked.
	triggerAt int
	trigger   chan struct{}
}

func (rc *resultCounter) onMsg(m *nats.Msg) {
	var body struct {
		Name string `json:"name"`
	}
	err := json.Unmarshal(m.Data, &body)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if err != nil || body.Name == "" {
		rc.bad++
		return
	}
	rc.all++
	rc.seen[body.Name]++
	if rc.all == rc.triggerAt {
		close(rc.trigger)
	}
}

func (rc *resultCounter) counts() (all, distinct, bad int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.all, len(rc.seen), rc.bad
}

func runCrash(t *testing.T, bin string, external bool) {
	begin := time.Now()
	dir := t.TempDir()
	logPath := filepath.Join(dir, "expressd.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		logFile.Close()
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			t.Logf("expressd output (stdout+stderr of every run):\n%s", b)
		}
	})

	// NATS: in the test process (external) or in the child (embedded).
	var natsURL, natsSection string
	if external {
		ns, err := server.NewServer(&server.Options{
			ServerName: "crash-external",
			Host:       "127.0.0.1",
			Port:       freePort(t),
			JetStream:  true,
			StoreDir:   filepath.Join(dir, "external-nats"),
			NoSigs:     true,
			NoLog:      true,
			MaxPayload: 8 << 20,
		})
		if err != nil {
			t.Fatal(err)
		}
		ns.Start()
		t.Cleanup(func() { ns.Shutdown(); ns.WaitForShutdown() })
		if !ns.ReadyForConnections(10 * time.Second) {
			t.Fatal("external nats-server not ready")
		}
		natsURL = ns.ClientURL()
		natsSection = "nats:\n  url: " + natsURL + "\n"
	} else {
		addr := "127.0.0.1:" + strconv.Itoa(freePort(t))
		natsURL = "nats://" + addr
		natsSection = "nats:\n  embedded:\n    listen: " + addr + "\n    store_dir: " + filepath.Join(dir, "nats") + "\n"
	}
	httpAddr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	if err := os.WriteFile(filepath.Join(dir, "crash.asl.json"), []byte(crashDefinition), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := natsSection + `http:
  listen: ` + httpAddr + `
machines:
  - name: ` + crashMachine + `
    definition: crash.asl.json
    trigger:
      stream: ` + crashStream + `
      subjects: ["` + crashSubject + `"]
      consumer: ` + crashConsumer + `
      max_deliver: 10
      ack_wait: 2s
    concurrency: ` + strconv.Itoa(crashConcurrency) + `
    timeout: 1m
logging:
  level: "OFF"
  sinks: []
shutdown:
  drain_timeout: 5s
`
	cfgPath := filepath.Join(dir, "expressd.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}

	first := startChild(t, bin, dir, cfgPath, logFile, 1)
	waitReady(t, first, httpAddr, 30*time.Second)

	// The test's own connection: it reconnects quickly after the embedded
	// server comes back, well before the restarted child can publish a
	// result (every execution waits a second).
	nc, err := nats.Connect(natsURL,
		nats.Name("crash-test"),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(20*time.Millisecond),
		nats.ReconnectJitter(0, 0),
	)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	rc := &resultCounter{seen: map[string]int{}, triggerAt: int(crashKillAt * crashEvents), trigger: make(chan struct{})}
	sub, err := nc.Subscribe(crashResults, rc.onMsg)
	if err != nil {
		t.Fatal(err)
	}
	_ = sub.SetPendingLimits(-1, -1)
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	// Publish N events with distinct Nats-Msg-Id, PubAcks awaited.
	ids := make(map[string]bool, crashEvents)
	const window = 1000
	futs := make([]jetstream.PubAckFuture, 0, window)
	flush := func() {
		for _, f := range futs {
			select {
			case <-f.Ok():
			case err := <-f.Err():
				t.Fatalf("publish: %v", err)
			case <-time.After(10 * time.Second):
				t.Fatal("publish: no PubAck after 10s")
			}
		}
		futs = futs[:0]
	}
	// Spread over ~1.7 s, so that executions start (and end) at different
	// times and results arrive continuously, not in bursts of concurrency.
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for i := range crashEvents {
		if i > 0 && i%crashPublishPerTick == 0 {
			<-tick.C
		}
		id := fmt.Sprintf("crash-%05d", i)
		ids[id] = true
		m := nats.NewMsg(crashSubject)
		m.Header.Set(nats.MsgIdHdr, id)
		m.Data = []byte(`{"i":` + strconv.Itoa(i) + `,"pad":"0123456789abcdef0123456789abcdef"}`)
		f, err := js.PublishMsgAsync(m)
		if err != nil {
			t.Fatalf("publish %d: %v", i, err)
		}
		futs = append(futs, f)
		if len(futs) == window {
			flush()
		}
	}
	flush()
	published := time.Now()

	storedResults := func() uint64 {
		ictx, icancel := context.WithTimeout(ctx, 2*time.Second)
		defer icancel()
		s, err := js.Stream(ictx, natsjs.ResultsStream)
		if err != nil {
			return 0
		}
		return s.CachedInfo().State.Msgs
	}

	// Kill -9 while results are arriving: as soon as the subscription has
	// seen crashKillAt of them being published.
	select {
	case <-rc.trigger:
	case <-first.done:
		t.Fatalf("expressd exited on its own: %v", first.err)
	case <-time.After(30 * time.Second):
		all, _, _ := rc.counts()
		t.Fatalf("only %d results published 30s after the events", all)
	}
	if err := first.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-first.done
	killed := time.Now()
	seenAtKill, _, _ := rc.counts()
	if seenAtKill >= crashEvents {
		t.Fatalf("every result was published before the kill landed (%d)", seenAtKill)
	}
	var atKill uint64 // stored results, known only when the server survives
	// With the server surviving, the dead process's deliveries are visible:
	// they stay unacknowledged until ack_wait runs out.
	unackedAtKill := -1
	if external {
		atKill = storedResults()
		cctx, ccancel := context.WithTimeout(ctx, 2*time.Second)
		if c, err := js.Consumer(cctx, crashStream, crashConsumer); err == nil {
			if ci, err := c.Info(cctx); err == nil {
				unackedAtKill = ci.NumAckPending
			}
		}
		ccancel()
	}

	second := startChild(t, bin, dir, cfgPath, logFile, 2)
	waitReady(t, second, httpAddr, 30*time.Second)
	restarted := time.Now()

	// Wait until every event has a stored result, then until the consumer
	// has nothing pending (redelivered events whose result was already
	// stored run again and are acked).
	deadline := time.Now().Add(40 * time.Second)
	var stored uint64
	for {
		if second.exited() {
			t.Fatalf("restarted expressd exited: %v", second.err)
		}
		if stored = storedResults(); stored >= crashEvents {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("only %d/%d results stored 40s after the restart", stored, crashEvents)
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	allStored := time.Now()
	var ci *jetstream.ConsumerInfo
	for {
		cctx, ccancel := context.WithTimeout(ctx, 2*time.Second)
		c, err := js.Consumer(cctx, crashStream, crashConsumer)
		if err == nil {
			ci, err = c.Info(cctx)
		}
		ccancel()
		if err == nil && ci.NumAckPending == 0 && ci.NumPending == 0 {
			break
		}
		if time.Now().After(deadline) {
			if ci != nil {
				t.Errorf("consumer %s not settled: NumAckPending=%d NumPending=%d NumRedelivered=%d (err %v)",
					crashConsumer, ci.NumAckPending, ci.NumPending, ci.NumRedelivered, err)
			} else {
				t.Errorf("consumer %s: %v", crashConsumer, err)
			}
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := nc.Flush(); err != nil {
		t.Errorf("flush: %v", err)
	}

	// Results by event id, from the stream.
	names, statuses := readResults(t, ctx, js, int(stored))
	lost := 0
	for id := range ids {
		if names[id] == 0 {
			lost++
		}
	}
	for name := range names {
		if !ids[name] {
			t.Errorf("result for unknown execution name %q", name)
		}
	}
	for st, n := range statuses {
		if st != "SUCCEEDED" {
			t.Errorf("%d result(s) with status %s", n, st)
		}
	}
	dlq := uint64(0)
	if s, err := js.Stream(ctx, natsjs.DLQStream); err != nil {
		t.Errorf("stream %s: %v", natsjs.DLQStream, err)
	} else if dlq = s.CachedInfo().State.Msgs; dlq != 0 {
		t.Errorf("DLQ holds %d message(s), want 0", dlq)
	}

	// Every publish attempt, including those the results stream dropped.
	all, distinct, bad := rc.counts()
	duplicates := all - distinct
	if bad != 0 {
		t.Errorf("%d result publish(es) without a name", bad)
	}

	// Graceful stop: SIGTERM, exit 0.
	stopping, stopped := time.Now(), time.Duration(-1)
	if err := second.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-second.done:
		if second.err != nil {
			t.Errorf("expressd after SIGTERM: %v, want exit 0", second.err)
		}
		stopped = time.Since(stopping)
	case <-time.After(20 * time.Second):
		t.Errorf("expressd did not exit within 20s of SIGTERM")
	}

	variant := "embedded NATS"
	if external {
		variant = "external NATS"
	}
	t.Logf("%s: N=%d, at kill: results published %d, stored %d (external only), unacked deliveries %d (external only, else -1), stored=%d, distinct ids=%d, lost=%d, duplicates=%d (result publishes seen %d, distinct %d), DLQ=%d",
		variant, crashEvents, seenAtKill, atKill, unackedAtKill, stored, len(names), lost, duplicates, all, distinct, dlq)
	t.Logf("%s: timing: publish %s, kill after %s, ready again %s after kill, all results %s after restart, settled %s after restart, exit after SIGTERM %s, total %s",
		variant, published.Sub(begin).Round(time.Millisecond), killed.Sub(published).Round(time.Millisecond),
		restarted.Sub(killed).Round(time.Millisecond), allStored.Sub(restarted).Round(time.Millisecond),
		stopping.Sub(restarted).Round(time.Millisecond), stopped.Round(time.Millisecond), time.Since(begin).Round(time.Millisecond))
	if lost != 0 {
		t.Errorf("%d of %d events have no stored result", lost, crashEvents)
	}
	if duplicates > crashConcurrency {
		t.Errorf("%d duplicate executions, more than the in-flight bound %d", duplicates, crashConcurrency)
	}
	if distinct < len(names) {
		// The subscription missed publishes (only possible while the
		// embedded server was down); the duplicate count is a lower bound.
		t.Logf("%s: the result subscription saw %d distinct ids, the stream holds %d: duplicates is a lower bound", variant, distinct, len(names))
	}
}

// readResults reads n results of the crash machine from EXPRESSD_RESULTS
// and counts them by execution name and by status.
func readResults(t *testing.T, ctx context.Context, js jetstream.JetStream, n int) (names, statuses map[string]int) {
	t.Helper()
	names, statuses = map[string]int{}, map[string]int{}
	if n == 0 {
		return
	}
	cons, err := js.OrderedConsumer(ctx, natsjs.ResultsStream, jetstream.OrderedConsumerConfig{FilterSubjects: []string{crashResults}})
	if err != nil {
		t.Fatalf("results consumer: %v", err)
	}
	read := 0
	for read < n {
		batch, err := cons.Fetch(min(n-read, 1000), jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			t.Fatalf("fetch results: %v", err)
		}
		got := 0
		for m := range batch.Messages() {
			got++
			var body struct {
				Name   string `json:"name"`
				Status string `json:"status"`
			}
			if err := json.Unmarshal(m.Data(), &body); err != nil {
				t.Errorf("result %q: %v", m.Data(), err)
				continue
			}
			names[body.Name]++
			statuses[body.Status]++
		}
		if err := batch.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) {
			t.Fatalf("fetch results: %v", err)
		}
		if got == 0 {
			t.Fatalf("results: read %d of %d, then nothing", read, n)
		}
		read += got
	}
	return names, statuses
}

// TestServeStartupError is the regression test of a startup error after
// the embedded server was started (here an invalid definition): serve must
// report it and exit 1, with the embedded server shut down, instead of
// panicking in its cleanup (startDaemon's deferred stop ran on a nil
// daemon).
func TestServeStartupError(t *testing.T) {
	dir := t.TempDir()
	port := freePort(t)
	if err := os.WriteFile(filepath.Join(dir, "bad.asl.json"), []byte(`{"StartAt":"Nope","States":{"A":{"Type":"Pass","End":true}}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := "nats:\n  embedded:\n    listen: 127.0.0.1:" + strconv.Itoa(port) + "\n    store_dir: " + filepath.Join(dir, "nats") + `
http:
  listen: "off"
machines:
  - name: bad
    definition: bad.asl.json
    trigger: {stream: BAD, subjects: ["bad.events"]}
logging:
  sinks: []
`
	cfgPath := filepath.Join(dir, "expressd.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr strings.Builder
	if code := run([]string{"serve", "--config", cfgPath}, strings.NewReader(""), &stdout, &stderr); code != 1 {
		t.Errorf("serve with an invalid definition: exit %d, want 1\nstderr: %s", code, stderr.String())
	}
	if !strings.Contains(stderr.String(), "invalid definition") || !strings.Contains(stderr.String(), "Nope") {
		t.Errorf("stderr does not report the invalid definition:\n%s", stderr.String())
	}
	// The embedded server was shut down: its port is free again.
	ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		t.Errorf("embedded NATS still listening after the failed start: %v", err)
	} else {
		ln.Close()
	}
}
