package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/expressd/expressd/pkg/engine/natsjs"
)

// The fault suite of issue 7 (scenario 1, SIGKILL of the daemon, is
// TestCrash in crash_test.go). Every scenario runs a child `expressd serve`
// and counts results by event id. The CI versions are short; set
// EXPRESSD_FAULTS_LONG=1 for the long ones (more events). Scenarios that
// need an external server use the `nats-server` binary (Debian package
// nats-server) and skip when it is not installed.
//
//	go test ./cmd/expressd -run 'TestFault' -v
//	EXPRESSD_FAULTS_LONG=1 go test ./cmd/expressd -run 'TestFault' -v -timeout 30m

// faultsLong reports whether the long versions were asked for.
func faultsLong() bool { return os.Getenv("EXPRESSD_FAULTS_LONG") == "1" }

// scaled returns short in CI, long with EXPRESSD_FAULTS_LONG=1.
func scaled(short, long int) int {
	if faultsLong() {
		return long
	}
	return short
}

// natsServerBin returns the nats-server binary or skips the test.
func natsServerBin(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("nats-server")
	if err != nil {
		t.Skip("nats-server not installed (Debian/Ubuntu package: nats-server)")
	}
	return p
}

// natsProc is one external nats-server process.
type natsProc struct {
	t    *testing.T
	bin  string
	args []string
	port int
	log  *os.File
	cmd  *exec.Cmd
	done chan struct{}
}

func startNatsProc(t *testing.T, bin string, port int, log *os.File, args ...string) *natsProc {
	t.Helper()
	p := &natsProc{t: t, bin: bin, args: args, port: port, log: log}
	p.start()
	t.Cleanup(func() {
		if p.running() {
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

func (p *natsProc) start() {
	p.t.Helper()
	fmt.Fprintf(p.log, "=== nats-server %v, %s ===\n", p.args, time.Now().Format(time.RFC3339Nano))
	cmd := exec.Command(p.bin, p.args...)
	cmd.Stdout, cmd.Stderr = p.log, p.log
	if err := cmd.Start(); err != nil {
		p.t.Fatalf("start nats-server: %v", err)
	}
	p.cmd, p.done = cmd, make(chan struct{})
	done := p.done
	go func() { _ = cmd.Wait(); close(done) }()
	deadline := time.Now().Add(15 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(p.port), 200*time.Millisecond)
		if err == nil {
			c.Close()
			return
		}
		if !p.running() {
			p.t.Fatalf("nats-server %v exited at start (see its log)", p.args)
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("nats-server not listening on %d after 15s", p.port)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (p *natsProc) running() bool {
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// stop signals the server and waits for it to exit.
func (p *natsProc) stop(sig syscall.Signal) {
	p.t.Helper()
	_ = p.cmd.Process.Signal(sig)
	select {
	case <-p.done:
	case <-time.After(20 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
		p.t.Errorf("nats-server did not exit within 20s of %v", sig)
	}
}

// faultDir makes a test directory with a log file that is printed when the
// test fails.
func faultDir(t *testing.T) (dir string, log *os.File) {
	t.Helper()
	dir = t.TempDir()
	path := filepath.Join(dir, "output.log")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		f.Close()
		if t.Failed() {
			b, _ := os.ReadFile(path)
			if len(b) > 64<<10 {
				b = append([]byte("…\n"), b[len(b)-64<<10:]...)
			}
			t.Logf("output of the child processes:\n%s", b)
		}
	})
	return dir, f
}

// machineYAML is one machine entry of a serve config.
func machineYAML(name, definition, stream, subject string, concurrency int, ackWait string, maxDeliver int) string {
	return `  - name: ` + name + `
    definition: ` + definition + `
    trigger:
      stream: ` + stream + `
      subjects: ["` + subject + `"]
      consumer: expressd-` + name + `
      max_deliver: ` + strconv.Itoa(maxDeliver) + `
      ack_wait: ` + ackWait + `
    concurrency: ` + strconv.Itoa(concurrency) + `
    timeout: 1m
`
}

// writeServeConfig writes an expressd config and the definition file.
func writeServeConfig(t *testing.T, dir, file, natsSection, httpAddr, machines, extra string, defs map[string]string) string {
	t.Helper()
	for name, def := range defs {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(def), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cfg := natsSection + "http:\n  listen: " + httpAddr + "\nmachines:\n" + machines + `logging:
  level: "OFF"
  sinks: []
shutdown:
  drain_timeout: 5s
` + extra
	path := filepath.Join(dir, file)
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// testConn connects the test's own client (reconnecting quickly, forever).
func testConn(t *testing.T, url string, opts ...nats.Option) (*nats.Conn, jetstream.JetStream) {
	t.Helper()
	all := append([]nats.Option{nats.Name("fault-test"), nats.MaxReconnects(-1),
		nats.ReconnectWait(50 * time.Millisecond), nats.ReconnectJitter(0, 0), nats.RetryOnFailedConnect(true)}, opts...)
	nc, err := nats.Connect(url, all...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return nc, js
}

// countResults subscribes (core NATS) to a results subject: it sees every
// result publish, including those the results stream drops as duplicates.
func countResults(t *testing.T, nc *nats.Conn, subject string, triggerAt int) *resultCounter {
	t.Helper()
	rc := &resultCounter{seen: map[string]int{}, triggerAt: triggerAt, trigger: make(chan struct{})}
	sub, err := nc.Subscribe(subject, rc.onMsg)
	if err != nil {
		t.Fatal(err)
	}
	_ = sub.SetPendingLimits(-1, -1)
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	return rc
}

// testEvent is one event the test publishes.
type testEvent struct {
	id   string
	data []byte
}

// publishAll stores the events in JetStream with Nats-Msg-Id (so a retried
// publish whose PubAck was lost is dropped by the stream's duplicate
// window), each retried until it is acknowledged. perTick events go out
// every 10 ms (0: as fast as possible). It returns the number of retries.
func publishAll(ctx context.Context, js jetstream.JetStream, subject string, events []testEvent, workers, perTick int) (retries int64, err error) {
	var next atomic.Int64
	var nretry atomic.Int64
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	var tick *time.Ticker
	var tickMu sync.Mutex
	if perTick > 0 {
		tick = time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
	}
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(events) {
					return
				}
				if tick != nil && i > 0 && i%perTick == 0 {
					tickMu.Lock()
					<-tick.C
					tickMu.Unlock()
				}
				ev := events[i]
				for {
					m := nats.NewMsg(subject)
					m.Header.Set(nats.MsgIdHdr, ev.id)
					m.Data = ev.data
					pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
					_, perr := js.PublishMsg(pctx, m)
					cancel()
					if perr == nil {
						break
					}
					if ctx.Err() != nil {
						mu.Lock()
						if first == nil {
							first = fmt.Errorf("publish %s: %w (last: %v)", ev.id, ctx.Err(), perr)
						}
						mu.Unlock()
						return
					}
					nretry.Add(1)
					time.Sleep(50 * time.Millisecond)
				}
			}
		}()
	}
	wg.Wait()
	return nretry.Load(), first
}

// storedResults returns the number of messages in EXPRESSD_RESULTS (0 when
// it cannot be read).
func storedResults(ctx context.Context, js jetstream.JetStream) uint64 {
	ictx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	s, err := js.Stream(ictx, natsjs.ResultsStream)
	if err != nil {
		return 0
	}
	return s.CachedInfo().State.Msgs
}

// waitStored waits until want results are stored, then until the consumer
// has nothing pending. It returns the stored count.
func waitStored(t *testing.T, ctx context.Context, js jetstream.JetStream, want uint64, stream, consumer string, timeout time.Duration, alive func() error) uint64 {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var stored uint64
	for {
		if alive != nil {
			if err := alive(); err != nil {
				t.Fatal(err)
			}
		}
		if stored = storedResults(ctx, js); stored >= want {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("only %d/%d results stored after %s", stored, want, timeout)
			return stored
		}
		time.Sleep(50 * time.Millisecond)
	}
	for {
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		c, err := js.Consumer(cctx, stream, consumer)
		var ci *jetstream.ConsumerInfo
		if err == nil {
			ci, err = c.Info(cctx)
		}
		cancel()
		if err == nil && ci.NumAckPending == 0 && ci.NumPending == 0 {
			return stored
		}
		if time.Now().After(deadline) {
			t.Errorf("consumer %s not settled after %s: %+v %v", consumer, timeout, ci, err)
			return stored
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// resultRec is the part of a result body the tests check.
type resultRec struct {
	Name   string          `json:"name"`
	Status string          `json:"status"`
	Error  string          `json:"error"`
	Cause  string          `json:"cause"`
	Output json.RawMessage `json:"output"`
	Start  string          `json:"start_date"`
	Stop   string          `json:"stop_date"`
}

// duration is the execution's run time from its dates.
func (r resultRec) duration() time.Duration {
	const layout = "2006-01-02T15:04:05.000Z07:00"
	a, err1 := time.Parse(layout, r.Start)
	b, err2 := time.Parse(layout, r.Stop)
	if err1 != nil || err2 != nil {
		return -1
	}
	return b.Sub(a)
}

// readStream reads the messages of a stream one by one (direct gets by
// sequence: unlike an ordered consumer, this works against a cluster with
// a node down, where nats-server 2.9 may place an ephemeral consumer on the
// dead node).
func readStream(t *testing.T, ctx context.Context, js jetstream.JetStream, stream string, n int, each func(*jetstream.RawStreamMsg)) {
	t.Helper()
	if n == 0 {
		return
	}
	s, err := js.Stream(ctx, stream)
	if err != nil {
		t.Fatalf("stream %s: %v", stream, err)
	}
	st := s.CachedInfo().State
	for seq := st.FirstSeq; seq <= st.LastSeq; seq++ {
		var m *jetstream.RawStreamMsg
		for attempt := 0; ; attempt++ {
			gctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			m, err = s.GetMsg(gctx, seq)
			cancel()
			if err == nil || errors.Is(err, jetstream.ErrMsgNotFound) || attempt == 5 {
				break
			}
		}
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue
		}
		if err != nil {
			t.Fatalf("%s seq %d: %v", stream, seq, err)
		}
		each(m)
	}
}

// readResultRecs reads n results and groups them by execution name.
func readResultRecs(t *testing.T, ctx context.Context, js jetstream.JetStream, n int) map[string][]resultRec {
	t.Helper()
	out := map[string][]resultRec{}
	readStream(t, ctx, js, natsjs.ResultsStream, n, func(m *jetstream.RawStreamMsg) {
		var r resultRec
		if err := json.Unmarshal(m.Data, &r); err != nil {
			t.Errorf("result %.200q: %v", m.Data, err)
			return
		}
		out[r.Name] = append(out[r.Name], r)
	})
	return out
}

// scrapeMetric sums every series of a Prometheus counter or gauge at
// http://addr/metrics (-1 when it cannot be read, 0 when it has no series).
func scrapeMetric(addr, name string) float64 {
	resp, err := (&http.Client{Timeout: 2 * time.Second}).Get("http://" + addr + "/metrics")
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	sum := 0.0
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, name) {
			continue
		}
		rest := line[len(name):]
		if rest == "" || (rest[0] != ' ' && rest[0] != '{') {
			continue
		}
		f := strings.Fields(line)
		if v, err := strconv.ParseFloat(f[len(f)-1], 64); err == nil {
			sum += v
		}
	}
	return sum
}

// procStatusKB reads a field (VmRSS, VmHWM) of /proc/<pid>/status, in KiB.
func procStatusKB(pid int, field string) int {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, field+":") {
			f := strings.Fields(line)
			if len(f) >= 2 {
				n, _ := strconv.Atoi(f[1])
				return n
			}
		}
	}
	return -1
}

// holdDefinition holds each execution for holdMs on the timer wheel, so
// that many are in flight at any time.
func holdDefinition(hold string) string {
	return `{
  "StartAt": "Receive",
  "States": {
    "Receive": {"Type": "Pass", "Parameters": {"i.$": "$.i"}, "Next": "Hold"},
    "Hold": {"Type": "Wait", "Seconds": ` + hold + `, "Next": "Done"},
    "Done": {"Type": "Pass", "ResultPath": "$.done", "Result": true, "End": true}
  }
}
`
}

func makeEvents(prefix string, from, n int) []testEvent {
	evs := make([]testEvent, n)
	for i := range evs {
		evs[i] = testEvent{id: fmt.Sprintf("%s-%06d", prefix, from+i),
			data: []byte(`{"i":` + strconv.Itoa(from+i) + `,"pad":"0123456789abcdef0123456789abcdef"}`)}
	}
	return evs
}

// ---------------------------------------------------------------------------
// Scenario 2: the external nats-server is restarted under load.

func TestFaultNATSRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("fault test: builds the binary and runs child processes")
	}
	nsBin := natsServerBin(t)
	bin := buildExpressd(t)
	begin := time.Now()
	dir, logf := faultDir(t)
	n := scaled(4000, 20000)
	const (
		machine, stream, subject = "restart", "RESTART", "restart.events"
		concurrency              = 1024
	)

	port := freePort(t)
	srv := startNatsProc(t, nsBin, port, logf, "-a", "127.0.0.1", "-p", strconv.Itoa(port), "-js", "-sd", filepath.Join(dir, "store"))
	url := "nats://127.0.0.1:" + strconv.Itoa(port)
	httpAddr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	cfgPath := writeServeConfig(t, dir, "expressd.yaml", "nats:\n  url: "+url+"\n", httpAddr,
		machineYAML(machine, "restart.asl.json", stream, subject, concurrency, "3s", 100), "",
		map[string]string{"restart.asl.json": holdDefinition("1")})
	ch := startChild(t, bin, dir, cfgPath, logf, 1)
	waitReady(t, ch, httpAddr, 30*time.Second)

	nc, js := testConn(t, url)
	rc := countResults(t, nc, natsjs.ResultsPrefix+machine, n/5)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	events := makeEvents("restart", 0, n)
	half := n / 2

	// First half, spread over ~1 s; the restart lands while results of the
	// first half are being published and acked.
	if _, err := publishAll(ctx, js, subject, events[:half], 4, 20); err != nil {
		t.Fatal(err)
	}
	select {
	case <-rc.trigger:
	case <-time.After(30 * time.Second):
		all, _, _ := rc.counts()
		t.Fatalf("only %d results 30s after the first half", all)
	}
	atStop := storedResults(ctx, js)
	stopAt := time.Now()
	srv.stop(syscall.SIGTERM)
	downAt := time.Now()

	// Second half: published while the server is down (retried until it
	// is back).
	var retries int64
	pubDone := make(chan error, 1)
	go func() {
		var err error
		retries, err = publishAll(ctx, js, subject, events[half:], 4, 0)
		pubDone <- err
	}()
	time.Sleep(2 * time.Second)
	srv.start()
	upAt := time.Now()
	if err := <-pubDone; err != nil {
		t.Fatal(err)
	}
	published := time.Now()
	waitReady(t, ch, httpAddr, 30*time.Second)
	reconnected := time.Now()

	stored := waitStored(t, ctx, js, uint64(n), stream, "expressd-"+machine, 90*time.Second, func() error {
		if ch.exited() {
			return fmt.Errorf("expressd exited: %v", ch.err)
		}
		return nil
	})
	allStored := time.Now()
	recs := readResultRecs(t, ctx, js, int(stored))
	lost := 0
	for _, ev := range events {
		if len(recs[ev.id]) == 0 {
			lost++
		}
	}
	for name, rs := range recs {
		for _, r := range rs {
			if r.Status != "SUCCEEDED" {
				t.Errorf("%s: %s %s %s", name, r.Status, r.Error, r.Cause)
			}
		}
	}
	started := scrapeMetric(httpAddr, "expressd_executions_started_total")
	all, distinct, _ := rc.counts()
	dlq := uint64(0)
	if s, err := js.Stream(ctx, natsjs.DLQStream); err == nil {
		dlq = s.CachedInfo().State.Msgs
	}
	reruns := int(started) - n
	t.Logf("nats restart: N=%d, stored at SIGTERM %d, stored=%d, distinct ids=%d, lost=%d, executions started=%.0f (re-runs %d), result publishes seen %d distinct %d (dups seen %d; lower bound: the subscription is down with the server), publish retries %d, DLQ=%d",
		n, atStop, stored, len(recs), lost, started, reruns, all, distinct, all-distinct, retries, dlq)
	t.Logf("nats restart: timing: server down %s (SIGTERM took %s), second half published %s after restart, ready again %s after restart, all stored %s after restart, total %s",
		upAt.Sub(downAt).Round(time.Millisecond), downAt.Sub(stopAt).Round(time.Millisecond), published.Sub(upAt).Round(time.Millisecond),
		reconnected.Sub(upAt).Round(time.Millisecond), allStored.Sub(upAt).Round(time.Millisecond), time.Since(begin).Round(time.Millisecond))
	if lost != 0 {
		t.Errorf("%d of %d events lost", lost, n)
	}
	if dlq != 0 {
		t.Errorf("DLQ holds %d message(s), want 0", dlq)
	}
	if started >= 0 && reruns > concurrency*2 {
		t.Errorf("%d re-run executions, more than twice the in-flight bound %d", reruns, concurrency)
	}
	_ = ch.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-ch.done:
		if ch.err != nil {
			t.Errorf("expressd after SIGTERM: %v", ch.err)
		}
	case <-time.After(20 * time.Second):
		t.Errorf("expressd did not exit within 20s of SIGTERM")
	}
}

// ---------------------------------------------------------------------------
// Scenario 3: a 3-node cluster (R3 streams), two workers; one node and one
// worker are killed mid-stream.

func TestFaultCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("fault test: builds the binary and runs child processes")
	}
	nsBin := natsServerBin(t)
	bin := buildExpressd(t)
	begin := time.Now()
	dir, logf := faultDir(t)
	n := scaled(4000, 20000)
	const (
		machine, stream, subject = "cluster", "CLUSTER", "cluster.events"
		// Above the binding's pull batch (512): with concurrency ≤ 512 the
		// first worker's pull can hold every MaxAckPending slot and the
		// second worker idles.
		concurrency = 2048
	)
	var clientPorts, routePorts [3]int
	for i := range 3 {
		clientPorts[i], routePorts[i] = freePort(t), freePort(t)
	}
	var nodes [3]*natsProc
	var urls []string
	for i := range 3 {
		var routes []string
		for j := range 3 {
			if j != i {
				routes = append(routes, "nats-route://127.0.0.1:"+strconv.Itoa(routePorts[j]))
			}
		}
		conf := fmt.Sprintf(`server_name: n%d
listen: 127.0.0.1:%d
max_payload: 8MB
jetstream { store_dir: %q }
cluster {
  name: expressd-test
  listen: 127.0.0.1:%d
  routes: [%s]
}
`, i+1, clientPorts[i], filepath.Join(dir, fmt.Sprintf("n%d", i+1)), routePorts[i], strings.Join(routes, ", "))
		cf := filepath.Join(dir, fmt.Sprintf("n%d.conf", i+1))
		if err := os.WriteFile(cf, []byte(conf), 0o644); err != nil {
			t.Fatal(err)
		}
		nodes[i] = startNatsProc(t, nsBin, clientPorts[i], logf, "-c", cf)
		urls = append(urls, "nats://127.0.0.1:"+strconv.Itoa(clientPorts[i]))
	}
	// The test talks to n1 only; n3 is the node that dies.
	nc, js := testConn(t, urls[0])
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()

	// R3 streams, created before the workers start: the binding uses
	// existing streams as they are (it creates missing ones with R1).
	for _, sc := range []jetstream.StreamConfig{
		{Name: stream, Subjects: []string{subject}, Storage: jetstream.FileStorage, Replicas: 3},
		{Name: natsjs.ResultsStream, Subjects: []string{natsjs.ResultsSubject}, Storage: jetstream.FileStorage, Replicas: 3,
			Duplicates: 30 * time.Minute, MaxAge: 7 * 24 * time.Hour},
		{Name: natsjs.DLQStream, Subjects: []string{natsjs.DLQSubject}, Storage: jetstream.FileStorage, Replicas: 3,
			Duplicates: 30 * time.Minute, MaxAge: 30 * 24 * time.Hour},
	} {
		deadline := time.Now().Add(30 * time.Second)
		for {
			cctx, ccancel := context.WithTimeout(ctx, 3*time.Second)
			_, err := js.CreateStream(cctx, sc)
			ccancel()
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("create R3 stream %s: %v", sc.Name, err)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	clusterUp := time.Now()
	t.Logf("cluster: R3 streams created after %s", clusterUp.Sub(begin).Round(time.Millisecond))

	natsSection := "nats:\n  url: " + strings.Join(urls, ",") + "\n"
	var workers [2]*child
	var httpAddrs [2]string
	for w := range 2 {
		httpAddrs[w] = "127.0.0.1:" + strconv.Itoa(freePort(t))
		cfg := writeServeConfig(t, dir, fmt.Sprintf("worker%d.yaml", w+1), natsSection, httpAddrs[w],
			machineYAML(machine, "cluster.asl.json", stream, subject, concurrency, "2s", 100), "",
			map[string]string{"cluster.asl.json": holdDefinition("1")})
		workers[w] = startChild(t, bin, dir, cfg, logf, w+1)
	}
	for w := range 2 {
		waitReady(t, workers[w], httpAddrs[w], 30*time.Second)
	}
	rc := countResults(t, nc, natsjs.ResultsPrefix+machine, int(0.35*float64(n)))

	events := makeEvents("cluster", 0, n)
	if _, err := publishAll(ctx, js, subject, events, 8, 30); err != nil {
		t.Fatal(err)
	}
	published := time.Now()
	t.Logf("cluster: %d events published in %s", n, published.Sub(clusterUp).Round(time.Millisecond))
	select {
	case <-rc.trigger:
	case <-time.After(60 * time.Second):
		all, _, _ := rc.counts()
		t.Fatalf("only %d results 60s after publishing", all)
	}
	seenAtKill, _, _ := rc.counts()
	// Kill the busier worker (the one that must hand its in-flight events
	// over), and node n3.
	var startedAtKill [2]float64
	for w := range 2 {
		startedAtKill[w] = scrapeMetric(httpAddrs[w], "expressd_executions_started_total")
	}
	victim := 0
	if startedAtKill[1] > startedAtKill[0] {
		victim = 1
	}
	survivor := 1 - victim
	_ = workers[victim].cmd.Process.Signal(syscall.SIGKILL)
	nodes[2].stop(syscall.SIGKILL)
	<-workers[victim].done
	killed := time.Now()
	t.Logf("cluster: after %d results, executions started: worker1 %.0f, worker2 %.0f; killed worker%d and node n3",
		seenAtKill, startedAtKill[0], startedAtKill[1], victim+1)

	stored := waitStored(t, ctx, js, uint64(n), stream, "expressd-"+machine, 60*time.Second, func() error {
		if workers[survivor].exited() {
			return fmt.Errorf("surviving worker exited: %v", workers[survivor].err)
		}
		return nil
	})
	allStored := time.Now()
	if stored < uint64(n) && os.Getenv("EXPRESSD_FAULTS_DEBUG") == "1" {
		// A goroutine dump of the surviving worker, in its output.
		_ = workers[survivor].cmd.Process.Signal(syscall.SIGQUIT)
		<-workers[survivor].done
	}
	t.Logf("cluster: %d stored and settled %s after the kill", stored, allStored.Sub(killed).Round(time.Millisecond))
	recs := readResultRecs(t, ctx, js, int(stored))
	lost := 0
	for _, ev := range events {
		if len(recs[ev.id]) == 0 {
			lost++
		}
	}
	for name, rs := range recs {
		for _, r := range rs {
			if r.Status != "SUCCEEDED" {
				t.Errorf("%s: %s %s %s", name, r.Status, r.Error, r.Cause)
			}
		}
	}
	survivorStarted := scrapeMetric(httpAddrs[survivor], "expressd_executions_started_total")
	all, distinct, _ := rc.counts()
	dlq := uint64(0)
	if s, err := js.Stream(ctx, natsjs.DLQStream); err == nil {
		dlq = s.CachedInfo().State.Msgs
	}
	t.Logf("cluster: N=%d, stored=%d, distinct ids=%d, lost=%d, result publishes seen %d distinct %d → duplicates %d, executions started: survivor worker%d %.0f (%.0f at the kill), killed worker%d %.0f at the kill, DLQ=%d",
		n, stored, len(recs), lost, all, distinct, all-distinct, survivor+1, survivorStarted, startedAtKill[survivor], victim+1, startedAtKill[victim], dlq)
	t.Logf("cluster: timing: cluster+R3 streams %s, published %s, kill %s after publishing, all stored %s after the kill, total %s",
		clusterUp.Sub(begin).Round(time.Millisecond), published.Sub(clusterUp).Round(time.Millisecond),
		killed.Sub(published).Round(time.Millisecond), allStored.Sub(killed).Round(time.Millisecond), time.Since(begin).Round(time.Millisecond))
	if lost != 0 {
		t.Errorf("%d of %d events lost", lost, n)
	}
	if dlq != 0 {
		t.Errorf("DLQ holds %d message(s), want 0", dlq)
	}
	if startedAtKill[survivor] <= 0 {
		// Seen with nats-server 2.9.10: the first worker's pulls take
		// every delivery. The survivor still takes over below.
		t.Logf("cluster: worker%d ran no executions before the kill", survivor+1)
	}
	if survivorStarted <= startedAtKill[survivor] {
		t.Errorf("the surviving worker ran nothing after the kill")
	}
	// The killed worker's in-flight executions, plus re-runs after PubAcks
	// lost with the killed node (natsjs.PubAckTimeout).
	if all-distinct > 2*concurrency {
		t.Errorf("%d duplicates, more than twice the in-flight bound %d", all-distinct, concurrency)
	}
}

// embeddedSection is the nats section of a child with an embedded server.
func embeddedSection(t *testing.T, dir string) (section, url string) {
	addr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	return "nats:\n  embedded:\n    listen: " + addr + "\n    store_dir: " + filepath.Join(dir, "nats") + "\n", "nats://" + addr
}

// ---------------------------------------------------------------------------
// Scenario 5: poison events go to the DLQ with a reason; the consumer keeps
// going.

func TestFaultPoison(t *testing.T) {
	if testing.Short() {
		t.Skip("fault test: builds the binary and runs child processes")
	}
	bin := buildExpressd(t)
	begin := time.Now()
	dir, logf := faultDir(t)
	const machine, stream, subject = "poison", "POISON", "poison.events"
	rounds := scaled(5, 50) // each round: one of each poison kind, then good events
	good := scaled(200, 1000)
	section, url := embeddedSection(t, dir)
	httpAddr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	cfgPath := writeServeConfig(t, dir, "expressd.yaml", section, httpAddr,
		machineYAML(machine, "poison.asl.json", stream, subject, 256, "5s", 5), "",
		map[string]string{"poison.asl.json": holdDefinition("0")})
	ch := startChild(t, bin, dir, cfgPath, logf, 1)
	waitReady(t, ch, httpAddr, 30*time.Second)
	_, js := testConn(t, url)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	oversize := []byte(`{"pad":"` + strings.Repeat("x", 300<<10) + `"}`)
	poisons := []struct {
		kind, wantErr string
		data          []byte
	}{
		{"notjson", "InvalidExecutionInput", []byte("this is not JSON {")},
		{"oversize", "States.DataLimitExceeded", oversize},
		{"deep", "InvalidExecutionInput", []byte(strings.Repeat("[", 100000) + strings.Repeat("]", 100000))},
		{"utf8", "InvalidExecutionInput", []byte("{\"a\":\"\xff\xfe\"}")},
		{"empty", "InvalidExecutionInput", nil},
		{"trailing", "InvalidExecutionInput", []byte(`{"i":1} {"i":2}`)},
	}
	want := map[string]string{} // id → expected error ("" = SUCCEEDED)
	var events []testEvent
	for r := range rounds {
		for _, p := range poisons {
			id := fmt.Sprintf("poison-%s-%03d", p.kind, r)
			want[id] = p.wantErr
			events = append(events, testEvent{id: id, data: p.data})
		}
		for _, ev := range makeEvents(fmt.Sprintf("good-%03d", r), 0, good) {
			want[ev.id] = ""
			events = append(events, ev)
		}
	}
	// One publisher: the events reach the consumer in this order, poison
	// first in every round.
	if _, err := publishAll(ctx, js, subject, events, 1, 0); err != nil {
		t.Fatal(err)
	}
	stored := waitStored(t, ctx, js, uint64(len(events)), stream, "expressd-"+machine, 60*time.Second, func() error {
		if ch.exited() {
			return fmt.Errorf("expressd exited: %v", ch.err)
		}
		return nil
	})
	recs := readResultRecs(t, ctx, js, int(stored))
	lost, wrong, nPoison := 0, 0, 0
	for id, werr := range want {
		rs := recs[id]
		if len(rs) == 0 {
			lost++
			continue
		}
		r := rs[0]
		if werr == "" {
			if r.Status != "SUCCEEDED" {
				wrong++
				t.Errorf("%s: %s %s %s", id, r.Status, r.Error, r.Cause)
			}
			continue
		}
		nPoison++
		if r.Status != "FAILED" || r.Error != werr || r.Cause == "" {
			wrong++
			t.Errorf("%s: got %s %s (%.100s), want FAILED %s", id, r.Status, r.Error, r.Cause, werr)
		}
	}
	// DLQ: one copy per poison event, with the reason.
	s, err := js.Stream(ctx, natsjs.DLQStream)
	if err != nil {
		t.Fatal(err)
	}
	dlqN := int(s.CachedInfo().State.Msgs)
	dlqByID := map[string]string{}
	readStream(t, ctx, js, natsjs.DLQStream, dlqN, func(m *jetstream.RawStreamMsg) {
		seq, _ := strconv.ParseUint(m.Header.Get(natsjs.HeaderSeq), 10, 64)
		ev, err := js.Stream(ctx, stream)
		if err != nil {
			t.Fatal(err)
		}
		orig, err := ev.GetMsg(ctx, seq)
		if err != nil {
			t.Errorf("DLQ copy of seq %d: %v", seq, err)
			return
		}
		id := orig.Header.Get(nats.MsgIdHdr)
		dlqByID[id] = m.Header.Get(natsjs.HeaderReason)
		if string(m.Data) != string(orig.Data) {
			t.Errorf("DLQ copy of %s: payload differs from the event", id)
		}
	})
	for id, werr := range want {
		if werr == "" {
			if _, ok := dlqByID[id]; ok {
				t.Errorf("good event %s in the DLQ", id)
			}
			continue
		}
		if reason := dlqByID[id]; !strings.HasPrefix(reason, werr+": ") {
			t.Errorf("DLQ reason of %s = %q, want %s: …", id, reason, werr)
		}
	}
	t.Logf("poison: events=%d (poison %d, good %d), results stored=%d, lost=%d, wrong status=%d, DLQ=%d, total %s",
		len(events), rounds*len(poisons), rounds*good, stored, lost, wrong, dlqN, time.Since(begin).Round(time.Millisecond))
	for _, p := range poisons {
		t.Logf("poison: %-9s %7d bytes → %s", p.kind, len(p.data), dlqByID[fmt.Sprintf("poison-%s-000", p.kind)])
	}
	if lost != 0 {
		t.Errorf("%d events without a result", lost)
	}
	if dlqN != rounds*len(poisons) {
		t.Errorf("DLQ holds %d messages, want %d", dlqN, rounds*len(poisons))
	}
}

// ---------------------------------------------------------------------------
// Scenario 4: slow, hanging and failing task targets.

const slowDefinition = `{
  "StartAt": "Route",
  "States": {
    "Route": {"Type": "Choice", "Choices": [
        {"Variable": "$.kind", "StringEquals": "nats", "Next": "NatsNever"},
        {"Variable": "$.kind", "StringEquals": "hang", "Next": "HttpHang"}],
      "Default": "Http500"},
    "NatsNever": {"Type": "Task", "Resource": "arn:aws:states:::nats:request",
      "Parameters": {"Subject": "svc.never", "Payload.$": "$", "TimeoutSeconds": 1},
      "Retry": [{"ErrorEquals": ["States.Timeout"], "IntervalSeconds": 1, "MaxAttempts": 1, "BackoffRate": 1}],
      "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.err", "Next": "Caught"}],
      "End": true},
    "HttpHang": {"Type": "Task", "Resource": "arn:aws:states:::http:invoke", "TimeoutSeconds": 1,
      "Parameters": {"ApiEndpoint": "BASE/hang", "Method": "GET"},
      "Retry": [{"ErrorEquals": ["States.Timeout"], "IntervalSeconds": 1, "MaxAttempts": 1, "BackoffRate": 1}],
      "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.err", "Next": "Caught"}],
      "End": true},
    "Http500": {"Type": "Task", "Resource": "arn:aws:states:::http:invoke",
      "Parameters": {"ApiEndpoint": "BASE/fail", "Method": "GET"},
      "Retry": [{"ErrorEquals": ["States.Http.StatusCode.500"], "IntervalSeconds": 1, "MaxAttempts": 2, "BackoffRate": 1}],
      "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.err", "Next": "Caught"}],
      "End": true},
    "Caught": {"Type": "Pass", "End": true}
  }
}
`

func TestFaultSlowTargets(t *testing.T) {
	if testing.Short() {
		t.Skip("fault test: builds the binary and runs child processes")
	}
	bin := buildExpressd(t)
	begin := time.Now()
	dir, logf := faultDir(t)
	const machine, stream, subject = "slow", "SLOW", "slow.events"
	rounds := scaled(3, 10)
	perKind := scaled(200, 1000)

	var hangCalls, failCalls, natsCalls atomic.Int64
	stopHang := make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("/hang", func(w http.ResponseWriter, r *http.Request) {
		hangCalls.Add(1)
		select {
		case <-r.Context().Done():
		case <-stopHang:
		}
	})
	mux.HandleFunc("/fail", func(w http.ResponseWriter, r *http.Request) {
		failCalls.Add(1)
		http.Error(w, `{"message":"boom"}`, http.StatusInternalServerError)
	})
	hs := httptest.NewServer(mux)
	t.Cleanup(func() { close(stopHang); hs.CloseClientConnections(); hs.Close() })

	section, url := embeddedSection(t, dir)
	httpAddr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	cfgPath := writeServeConfig(t, dir, "expressd.yaml", section, httpAddr,
		machineYAML(machine, "slow.asl.json", stream, subject, 4096, "30s", 5), "",
		map[string]string{"slow.asl.json": strings.ReplaceAll(slowDefinition, "BASE", hs.URL)})
	ch := startChild(t, bin, dir, cfgPath, logf, 1)
	waitReady(t, ch, httpAddr, 30*time.Second)
	nc, js := testConn(t, url)
	// A "micro service" that never replies.
	if _, err := nc.Subscribe("svc.never", func(*nats.Msg) { natsCalls.Add(1) }); err != nil {
		t.Fatal(err)
	}
	if err := nc.Flush(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	kinds := []string{"nats", "hang", "fail"}
	wantErr := map[string]string{"nats": "States.Timeout", "hang": "States.Timeout", "fail": "States.Http.StatusCode.500"}
	var rss, goroutines []float64
	total := 0
	pid := ch.cmd.Process.Pid
	for r := range rounds {
		var events []testEvent
		for i := range perKind {
			for _, k := range kinds {
				events = append(events, testEvent{id: fmt.Sprintf("slow-%s-%02d-%05d", k, r, i),
					data: []byte(`{"kind":"` + k + `","i":` + strconv.Itoa(i) + `}`)})
			}
		}
		if _, err := publishAll(ctx, js, subject, events, 4, 0); err != nil {
			t.Fatal(err)
		}
		total += len(events)
		waitStored(t, ctx, js, uint64(total), stream, "expressd-"+machine, 60*time.Second, func() error {
			if ch.exited() {
				return fmt.Errorf("expressd exited: %v", ch.err)
			}
			return nil
		})
		rss = append(rss, float64(procStatusKB(pid, "VmRSS")))
		goroutines = append(goroutines, scrapeMetric(httpAddr, "go_goroutines"))
	}
	hwm := procStatusKB(pid, "VmHWM")
	recs := readResultRecs(t, ctx, js, total)
	bad, lost := 0, 0
	var maxDur [3]time.Duration
	minDur := [3]time.Duration{time.Hour, time.Hour, time.Hour}
	for r := range rounds {
		for i := range perKind {
			for ki, k := range kinds {
				id := fmt.Sprintf("slow-%s-%02d-%05d", k, r, i)
				rs := recs[id]
				if len(rs) == 0 {
					lost++
					continue
				}
				var out struct {
					Err struct{ Error string } `json:"err"`
				}
				_ = json.Unmarshal(rs[0].Output, &out)
				if rs[0].Status != "SUCCEEDED" || out.Err.Error != wantErr[k] {
					bad++
					if bad < 5 {
						t.Errorf("%s: %s %s, output %s; want SUCCEEDED with $.err.Error %s", id, rs[0].Status, rs[0].Error, rs[0].Output, wantErr[k])
					}
				}
				d := rs[0].duration()
				maxDur[ki] = max(maxDur[ki], d)
				minDur[ki] = min(minDur[ki], d)
			}
		}
	}
	n := int64(rounds * perKind)
	t.Logf("slow targets: executions=%d (%d per kind), lost=%d, wrong=%d; calls: nats %d (want %d), hang %d (want %d), 500 %d (want %d)",
		total, n, lost, bad, natsCalls.Load(), 2*n, hangCalls.Load(), 2*n, failCalls.Load(), 3*n)
	for ki, k := range kinds {
		t.Logf("slow targets: %s: execution time %s … %s", k, minDur[ki].Round(time.Millisecond), maxDur[ki].Round(time.Millisecond))
	}
	t.Logf("slow targets: child VmRSS after each round (KiB) %v, VmHWM %d KiB, goroutines after each round %v, total %s",
		rss, hwm, goroutines, time.Since(begin).Round(time.Millisecond))
	if lost != 0 {
		t.Errorf("%d executions without a result", lost)
	}
	// Retries as ASL says: 1 + MaxAttempts calls each.
	if natsCalls.Load() != 2*n || hangCalls.Load() != 2*n || failCalls.Load() != 3*n {
		t.Errorf("calls: nats %d, hang %d, 500 %d; want %d, %d, %d", natsCalls.Load(), hangCalls.Load(), failCalls.Load(), 2*n, 2*n, 3*n)
	}
	// Timeouts: 1s + 1s interval + 1s; 500s: two 1s intervals.
	for ki, k := range kinds {
		if minDur[ki] < 1900*time.Millisecond || maxDur[ki] > 15*time.Second {
			t.Errorf("%s: execution times %s … %s, want ≈ 2–3 s", k, minDur[ki], maxDur[ki])
		}
	}
	// Bounded memory: the last round costs no more than the first.
	if last := rss[len(rss)-1]; last > rss[0]*1.5+32<<10 {
		t.Errorf("RSS grew from %.0f KiB to %.0f KiB over %d rounds", rss[0], last, rounds)
	}
	if g := goroutines[len(goroutines)-1]; g > 0 && g > goroutines[0]*1.5+200 {
		t.Errorf("goroutines grew from %.0f to %.0f over %d rounds", goroutines[0], g, rounds)
	}
}
