package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestBenchCommand(t *testing.T) {
	wl := "../../bench/workloads/"
	for _, c := range []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"bench"}, 2, "usage: expressd bench vm"},
		{[]string{"bench", "fly"}, 2, `unknown mode "fly"`},
		{[]string{"bench", "vm"}, 2, "usage: expressd bench vm"},
		{[]string{"bench", "vm", "--definition", wl + "reference-10", "--workers", "0"}, 2, "--workers 0"},
		{[]string{"bench", "e2e", "--definition", wl + "reference-10", "--events", "-1"}, 2, "--events -1"},
		{[]string{"bench", "vm", "--definition", wl + "missing.asl.json"}, 2, "no such file"},
		{[]string{"bench", "vm", wl + "fanout", "--duration", "10ms"}, 1, `state "Inventory" is a Task`},
		{[]string{"bench", "vm", "--definition", wl + "reference-10/definition.asl.json", "--input", wl + "reference-10/input.json",
			"--expect", wl + "iot-enrichment/expected.json", "--duration", "10ms"}, 1, "wrong output"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(c.args, strings.NewReader(""), &stdout, &stderr); code != c.code || !strings.Contains(stderr.String(), c.stderr) {
			t.Errorf("expressd %s: exit %d, stderr %q; want exit %d and %q", strings.Join(c.args, " "), code, stderr.String(), c.code, c.stderr)
		}
	}
}

func TestBenchVMJSON(t *testing.T) {
	var stdout, stderr bytes.Buffer
	args := []string{"bench", "vm", "--definition", "../../bench/workloads/reference-10", "--duration", "20ms", "--workers", "2", "--json"}
	if code := run(args, strings.NewReader(""), &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	var got map[string]any
	if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
		t.Fatalf("not one JSON object: %v: %s", err, stdout.String())
	}
	for _, k := range []string{"executions_per_sec", "transitions_per_sec", "allocs_per_exec", "workers", "duration_sec", "ns_per_exec", "go_version"} {
		if _, ok := got[k]; !ok {
			t.Errorf("no %q in %s", k, stdout.String())
		}
	}
	if got["workers"] != float64(2) || got["transitions_per_exec"] != float64(10) {
		t.Errorf("workers %v, transitions_per_exec %v", got["workers"], got["transitions_per_exec"])
	}
}
