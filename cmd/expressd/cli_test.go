package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/expressd/expressd/pkg/engine/natsjs"
)

// TestHelpExitsZero: -h and --help print the usage and exit 0 for every
// command (issue 12: they exited 2, like a usage error).
func TestHelpExitsZero(t *testing.T) {
	for _, args := range [][]string{{"-h"}, {"--help"}, {"run", "-h"}, {"validate", "-h"}, {"inspect", "-h"}, {"serve", "-h"},
		{"publish", "-h"}, {"results", "--help"}, {"bench", "-h"}, {"bench", "vm", "-h"}, {"version"}} {
		var stdout, stderr strings.Builder
		if code := run(args, strings.NewReader(""), &stdout, &stderr); code != 0 {
			t.Errorf("expressd %s: exit %d, want 0\n%s", strings.Join(args, " "), code, stderr.String())
		}
		if stdout.Len()+stderr.Len() == 0 {
			t.Errorf("expressd %s printed nothing", strings.Join(args, " "))
		}
	}
	var stdout strings.Builder
	run([]string{"version"}, strings.NewReader(""), &stdout, &stdout)
	if !strings.HasPrefix(stdout.String(), "expressd ") || !strings.Contains(stdout.String(), "go1.") {
		t.Errorf("version: %q", stdout.String())
	}
}

// TestPublishAndResultsCLI: publish says when JetStream dropped an event
// as a duplicate, and results for a machine without any exits 1 with a
// reason (issue 12: "published 1 event(s)" for a dropped duplicate, and
// silence with exit 0 for a misspelt machine).
func TestPublishAndResultsCLI(t *testing.T) {
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(), NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("server not ready")
	}
	t.Cleanup(ns.Shutdown)
	nc, err := nats.Connect(ns.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx := context.Background()
	for _, cfg := range []jetstream.StreamConfig{
		{Name: "EV", Subjects: []string{"ev"}, Duplicates: time.Minute},
		{Name: natsjs.ResultsStream, Subjects: []string{natsjs.ResultsSubject}},
	} {
		if _, err := js.CreateStream(ctx, cfg); err != nil {
			t.Fatal(err)
		}
	}
	url := ns.ClientURL()
	cli := func(args ...string) (int, string, string) {
		var stdout, stderr strings.Builder
		code := run(args, strings.NewReader(""), &stdout, &stderr)
		return code, stdout.String(), stderr.String()
	}
	if code, out, errOut := cli("publish", "--server", url, "--msg-id", "one", "ev", `{}`); code != 0 || out != "published 1 event(s) to ev\n" {
		t.Errorf("first publish: %d %q %q", code, out, errOut)
	}
	if code, out, _ := cli("publish", "--server", url, "--msg-id", "one", "ev", `{}`); code != 0 ||
		!strings.Contains(out, "published 0 event(s) to ev; 1 dropped by the stream as duplicates") {
		t.Errorf("duplicate publish: %d %q", code, out)
	}
	if code, _, errOut := cli("results", "--server", url, "nosuch"); code != 1 || !strings.Contains(errOut, `no results stored for machine "nosuch"`) {
		t.Errorf("results nosuch: %d %q", code, errOut)
	}
	if _, err := js.Publish(ctx, natsjs.ResultsPrefix+"m", []byte(`{"name":"a"}`)); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := cli("results", "--server", url, "m"); code != 0 || out != "{\"name\":\"a\"}\n" {
		t.Errorf("results m: %d %q %q", code, out, errOut)
	}
}
