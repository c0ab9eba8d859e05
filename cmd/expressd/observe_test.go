package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
)

// TestServeMetricsAndLogs runs the daemon in-process with execution logs
// at ALL into a zstd file sink, publishes events, and checks that /metrics
// shows the counters moving and that every execution's records are in the
// file after shutdown.
func TestServeMetricsAndLogs(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the daemon")
	}
	dir := t.TempDir()
	natsPort, httpPort := freePort(t), freePort(t)
	def := filepath.Join(dir, "m.asl.json")
	if err := os.WriteFile(def, []byte(`{"StartAt":"A","States":{
		"A":{"Type":"Pass","Result":1,"ResultPath":"$.a","Next":"B"},
		"B":{"Type":"Choice","Choices":[{"Variable":"$.fail","IsPresent":true,"Next":"Boom"}],"Default":"Done"},
		"Boom":{"Type":"Fail","Error":"Boom","Cause":"asked to fail"},
		"Done":{"Type":"Succeed"}}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(dir, "logs", "exec.jsonl.zst")
	cfg := fmt.Sprintf(`nats: {embedded: {listen: 127.0.0.1:%d, store_dir: %s}}
http: {listen: 127.0.0.1:%d}
machines:
  - name: m
    definition: %s
    trigger: {stream: EV, subjects: ["ev.>"]}
logging:
  level: ALL
  include_execution_data: true
  sinks: [{type: file, path: %s, compression: zstd}]
`, natsPort, filepath.Join(dir, "nats"), httpPort, def, logPath)
	cfgPath := filepath.Join(dir, "expressd.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var serveErr bytes.Buffer
	served := make(chan int, 1)
	go func() { served <- serve(ctx, []string{"--config", cfgPath}, io.Discard, &serveErr) }()
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			cancel()
			if code := <-served; code != 0 {
				t.Errorf("serve exited %d: %s", code, serveErr.String())
			}
		}
	}
	defer stop()
	base := "http://127.0.0.1:" + strconv.Itoa(httpPort)
	waitFor200(t, base+"/readyz", serveErr.String)

	server := "nats://127.0.0.1:" + strconv.Itoa(natsPort)
	var out, errOut bytes.Buffer
	if code := run([]string{"publish", "--server", server, "--count", "20", "--msg-id", "ok", "ev.a", `{"x":1}`}, nil, &out, &errOut); code != 0 {
		t.Fatalf("publish: %s", errOut.String())
	}
	if code := run([]string{"publish", "--server", server, "--count", "5", "--msg-id", "bad", "ev.b", `{"fail":true}`}, nil, &out, &errOut); code != 0 {
		t.Fatalf("publish: %s", errOut.String())
	}
	want := map[string]float64{
		`expressd_executions_started_total{machine="m"}`:                            25,
		`expressd_executions_ended_total{machine="m",status="SUCCEEDED"}`:           20,
		`expressd_executions_ended_total{machine="m",status="FAILED"}`:              5,
		`expressd_state_transitions_total{machine="m"}`:                             25 * 3,
		`expressd_execution_duration_seconds_count{machine="m",status="SUCCEEDED"}`: 20,
	}
	deadline := time.Now().Add(20 * time.Second)
	var got map[string]float64
	for {
		got = scrape(t, base+"/metrics")
		ok := true
		for k, v := range want {
			if got[k] != v {
				ok = false
			}
		}
		if ok {
			break
		}
		if time.Now().After(deadline) {
			for k, v := range want {
				t.Errorf("%s = %v, want %v", k, got[k], v)
			}
			t.FailNow()
		}
		time.Sleep(100 * time.Millisecond)
	}
	stop() // flushes and closes the file sink

	f, err := os.Open(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := zstd.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	types := map[string]int{}
	sc := bufio.NewScanner(zr)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	typeRE := regexp.MustCompile(`"type":"([A-Za-z]+)"`)
	for sc.Scan() {
		if m := typeRE.FindStringSubmatch(sc.Text()); m != nil {
			types[m[1]]++
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	for typ, n := range map[string]int{"ExecutionStarted": 25, "ExecutionSucceeded": 20, "ExecutionFailed": 5, "FailStateEntered": 5, "PassStateEntered": 25} {
		if types[typ] != n {
			t.Errorf("got %d %s records, want %d (all: %v)", types[typ], typ, n, types)
		}
	}
}

func waitFor200(t *testing.T, url string, log func() string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not 200 after 30s: %s", url, log())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// scrape reads a Prometheus text exposition into name{labels} → value,
// without the exporter's otel_scope labels.
func scrape(t *testing.T, url string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	scopeRE := regexp.MustCompile(`,?otel_scope_[a-z_]+="[^"]*"`)
	out := map[string]float64{}
	for _, line := range strings.Split(string(body), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			continue
		}
		key := scopeRE.ReplaceAllString(line[:i], "")
		key = strings.Replace(key, "{,", "{", 1)
		out[key] = v
	}
	return out
}
