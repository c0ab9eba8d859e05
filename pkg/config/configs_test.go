package config

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite configs/REFERENCE.md from Reference()")

const configsDir = "../../configs"

func configFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(configsDir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatalf("no *.yaml in %s", configsDir)
	}
	return files
}

// TestConfigs loads and validates every example config and checks that the
// definitions they name exist (pkg/asl's tests validate the definitions).
func TestConfigs(t *testing.T) {
	for _, file := range configFiles(t) {
		t.Run(filepath.Base(file), func(t *testing.T) {
			c, err := Load(file)
			if err != nil {
				t.Fatalf("Load:\n%v", err)
			}
			for _, m := range c.Machines {
				st, err := os.Stat(m.Definition)
				if err != nil || st.IsDir() {
					t.Errorf("machine %s: definition %s: not a file (%v)", m.Name, m.Definition, err)
				}
				if !strings.HasPrefix(m.Definition, filepath.Join(configsDir, "machines")) {
					t.Errorf("machine %s: definition %s is outside configs/machines", m.Name, m.Definition)
				}
			}
		})
	}
}

// TestExampleConfig pins the quickstart config the README relies on.
func TestExampleConfig(t *testing.T) {
	c, err := Load(filepath.Join(configsDir, "expressd.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	m := c.Machine("telemetry")
	if m == nil || m.Trigger == nil {
		t.Fatalf("no triggered machine telemetry in %+v", c.Machines)
	}
	got := []string{c.NATS.Embedded.Listen, c.NATS.Embedded.StoreDir, c.HTTP.Listen, m.Trigger.Stream,
		strings.Join(m.Trigger.Subjects, ","), string(c.Logging.Level), c.Logging.Sinks[0].Type,
		c.Integrations.Lambda.Functions["enrich-device"].Subject, m.Results.Subject}
	want := []string{"127.0.0.1:4222", "./data/nats", "127.0.0.1:8080", "TELEMETRY", "iot.telemetry.>", "ERROR", "stdout",
		"expressd.sync.devices", "expressd.results.telemetry"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("configs/expressd.yaml (-want +got):\n%s", diff)
	}
}

// TestReferenceUpToDate keeps configs/REFERENCE.md equal to Reference().
// Run go test ./pkg/config -run TestReferenceUpToDate -update to rewrite it.
func TestReferenceUpToDate(t *testing.T) {
	file := filepath.Join(configsDir, "REFERENCE.md")
	ref := Reference()
	if *update {
		if err := os.WriteFile(file, []byte(ref), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if diff := cmp.Diff(ref, string(got)); diff != "" {
		t.Errorf("%s is stale; run go test ./pkg/config -run TestReferenceUpToDate -update (-want +got):\n%s", file, diff)
	}
}

// TestReferenceMentionsEveryKey checks the reference documents every key of
// the spec table with its default and example, and spot-checks keys by
// hand so a key dropped from the table is noticed too.
func TestReferenceMentionsEveryKey(t *testing.T) {
	ref := Reference()
	n := 0
	walkSpec(spec, "", func(f *field, path string) {
		n++
		if !strings.Contains(ref, "### `"+path+"`") && !strings.Contains(ref, "## `"+path+"`") {
			t.Errorf("Reference() has no section for %s", path)
		}
		if f.doc == "" {
			t.Errorf("%s has no doc", path)
		}
		if f.def != "" && !strings.Contains(ref, "default `"+f.def+"`") {
			t.Errorf("Reference() does not show the default of %s", path)
		}
		if f.kind != kindObject && f.kind != kindList && f.example == "" {
			t.Errorf("%s has no example", path)
		}
	})
	for _, key := range []string{
		"nats.embedded.listen", "nats.embedded.store_dir", "nats.url", "nats.user", "nats.password", "nats.token",
		"nats.creds", "nats.nkey", "nats.tls.ca", "nats.tls.cert", "nats.tls.key", "nats.tls.server_name", "nats.name",
		"http.listen", "region", "account", "machines[].name", "machines[].definition", "machines[].trigger.stream",
		"machines[].trigger.subjects", "machines[].trigger.consumer", "machines[].trigger.max_deliver",
		"machines[].trigger.ack_wait", "machines[].concurrency", "machines[].results.subject", "machines[].timeout",
		"machines[].logging.level", "machines[].logging.sinks[].filter", "integrations.lambda.functions.<name>.subject",
		"integrations.lambda.functions.<name>.url", "integrations.lambda.subject_prefix", "integrations.http.timeout",
		"integrations.nats.request_timeout", "logging.level", "logging.include_execution_data", "logging.sinks[].type",
		"logging.sinks[].filter", "logging.sinks[].buffer", "logging.sinks[].path", "logging.sinks[].compression",
		"logging.sinks[].max_bytes", "logging.sinks[].max_files", "logging.sinks[].subject", "logging.sinks[].stream",
		"shutdown.drain_timeout",
	} {
		if !strings.Contains(ref, "`"+key+"`") {
			t.Errorf("Reference() does not mention %s", key)
		}
	}
	if n < 50 {
		t.Errorf("walked %d keys, want at least 50", n)
	}
}
