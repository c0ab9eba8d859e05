package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/expressd/expressd/pkg/sinks"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

var ignoreUnexported = cmpopts.IgnoreUnexported(Config{}, Logging{})

// load writes yaml as c.yaml next to an existing m.asl.json in a fresh
// directory, changes into it and loads c.yaml, so messages start "c.yaml:".
func load(t *testing.T, yaml string) (*Config, error) {
	t.Helper()
	dir := t.TempDir()
	t.Chdir(dir)
	if err := os.WriteFile("m.asl.json", []byte(`{"StartAt":"A","States":{"A":{"Type":"Succeed"}}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("c.yaml", []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	return Load("c.yaml")
}

func lines(err error) []string {
	if err == nil {
		return nil
	}
	return strings.Split(err.Error(), "\n")
}

const minimal = `
machines:
  - name: m
    definition: m.asl.json
`

func TestLoadDefaults(t *testing.T) {
	c, err := load(t, minimal+`
    trigger: {stream: EVENTS, subjects: [a.>]}
`)
	if err != nil {
		t.Fatal(err)
	}
	want := &Config{
		NATS:    NATS{Embedded: &Embedded{Listen: "127.0.0.1:4222", StoreDir: "./data/nats"}, Name: "expressd", Replicas: 1},
		HTTP:    HTTP{Listen: "127.0.0.1:8080"},
		Region:  "us-east-1",
		Account: "123456789012",
		Machines: []Machine{{
			Name:        "m",
			Definition:  "m.asl.json",
			Trigger:     &Trigger{Stream: "EVENTS", Subjects: []string{"a.>"}, Consumer: "expressd-m", MaxDeliver: 5, AckWait: 30 * time.Second},
			Concurrency: 1024, SyncConcurrency: 1024,
			Results: Results{Subject: "expressd.results.m"},
			Timeout: 5 * time.Minute,
		}},
		Integrations: Integrations{HTTP: HTTPInvoke{Timeout: 60 * time.Second}, NATS: NATSRequest{RequestTimeout: 30 * time.Second}},
		Logging:      Logging{Level: LevelError, Sinks: []Sink{{Type: SinkStdout, Buffer: 65536}}},
		Shutdown:     Shutdown{DrainTimeout: 30 * time.Second},
		Telemetry:    Telemetry{ServiceName: "expressd"},
		File:         "c.yaml",
	}
	if diff := cmp.Diff(want, c, ignoreUnexported); diff != "" {
		t.Errorf("Load mismatch (-want +got):\n%s", diff)
	}
	// Idempotent.
	c.ApplyDefaults()
	if diff := cmp.Diff(want, c, ignoreUnexported); diff != "" {
		t.Errorf("second ApplyDefaults changed the config (-want +got):\n%s", diff)
	}
}

func TestApplyDefaultsKeepsWrittenZeros(t *testing.T) {
	c, err := Parse("c.yaml", []byte(`
http: {listen: ""}
logging: {sinks: []}
machines: [{name: m, definition: m.asl.json, concurrency: 0}]
`))
	if err != nil {
		t.Fatal(err)
	}
	c.ApplyDefaults()
	if c.HTTP.Enabled() || c.HTTP.Listen != "" {
		t.Errorf("http.listen = %q, want \"\" (disabled)", c.HTTP.Listen)
	}
	if c.Logging.Sinks == nil || len(c.Logging.Sinks) != 0 {
		t.Errorf("logging.sinks = %#v, want an empty list", c.Logging.Sinks)
	}
	if c.Machines[0].Concurrency != 0 {
		t.Errorf("concurrency = %d, want 0 kept for Validate to report", c.Machines[0].Concurrency)
	}
}

func TestRelativeDefinition(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "sub", "machines"), 0o755); err != nil {
		t.Fatal(err)
	}
	def := filepath.Join(dir, "sub", "machines", "m.asl.json")
	if err := os.WriteFile(def, []byte(`{}`), 0o644); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "sub", "c.yaml")
	if err := os.WriteFile(file, []byte("machines: [{name: m, definition: machines/m.asl.json}]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := Load(file)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Machines[0].Definition; got != def {
		t.Errorf("definition = %q, want %q", got, def)
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []string
	}{
		{"unknown top-level key", "machinez: []\n", []string{
			`c.yaml:1:1: machinez: unknown key "machinez"; did you mean "machines"?`}},
		{"unknown nested key", "nats:\n  embedded:\n    listen: 127.0.0.1:4222\n    stor_dir: x\n", []string{
			`c.yaml:4:5: nats.embedded.stor_dir: unknown key "stor_dir"; did you mean "store_dir"?`}},
		{"unknown key lists known keys", "shutdown: {grace: 1s}\n", []string{
			`c.yaml:1:12: shutdown.grace: unknown key "grace" (known keys: drain_timeout)`}},
		{"unknown key in list item", "machines:\n  - name: m\n    definition: m.asl.json\n    triger: {}\n", []string{
			`c.yaml:4:5: machines[0].triger: unknown key "triger"; did you mean "trigger"?`}},
		{"unknown key in sink", "logging:\n  sinks:\n    - {type: file, paht: x}\n", []string{
			`c.yaml:3:20: logging.sinks[0].paht: unknown key "paht"; did you mean "path"?`}},
		{"merge key", "base: &b {listen: x}\nhttp:\n  <<: *b\n", []string{
			`c.yaml:1:1: base: unknown key "base" (known keys: nats, http, region, account, machines, integrations, logging, shutdown, telemetry)`,
			`c.yaml:3:3: http.<<: unknown key "<<" (YAML merge keys are not supported)`}},
		{"duplicate key", "region: us-east-1\nregion: eu-west-1\n", []string{
			`c.yaml:2:1: region: duplicate key "region"`}},
		{"duration without unit", "shutdown: {drain_timeout: 30}\n", []string{
			`c.yaml:1:27: shutdown.drain_timeout: duration 30 has no unit; write it like "30s" (units: ms, s, m, h)`}},
		{"bad duration", "shutdown: {drain_timeout: 30 seconds}\n", []string{
			`c.yaml:1:27: shutdown.drain_timeout: invalid duration "30 seconds": write a number with a unit, such as 30s, 5m or 1h30m`}},
		{"duration as list", "shutdown: {drain_timeout: [1s]}\n", []string{
			`c.yaml:1:27: shutdown.drain_timeout: must be a duration, got a list`}},
		{"bad size", "logging: {sinks: [{type: file, path: x, max_bytes: 10QB}]}\n", []string{
			`c.yaml:1:52: logging.sinks[0].max_bytes: invalid size "10QB": use bytes or a number with a unit (KB, MB, GB, KiB, MiB, GiB)`}},
		{"size as bool", "logging: {sinks: [{type: file, path: x, max_bytes: true}]}\n", []string{
			`c.yaml:1:52: logging.sinks[0].max_bytes: must be a size such as 100MiB, got a boolean`}},
		{"int as string", "machines: [{name: m, concurrency: many}]\n", []string{
			`c.yaml:1:35: machines[0].concurrency: must be an integer, got a string`}},
		{"int as float", "machines: [{name: m, concurrency: 1.5}]\n", []string{
			`c.yaml:1:35: machines[0].concurrency: must be an integer, got a number`}},
		{"int out of range", "machines: [{name: m, concurrency: 99999999999999999999}]\n", []string{
			`c.yaml:1:35: machines[0].concurrency: integer 99999999999999999999 is out of range`}},
		{"bool as string", "logging: {include_execution_data: yes}\n", []string{
			`c.yaml:1:35: logging.include_execution_data: must be true or false, got a string`}},
		{"string as bool", "region: true\n", []string{
			`c.yaml:1:9: region: must be a string, got a boolean`}},
		{"string as mapping", "region: {a: b}\n", []string{
			`c.yaml:1:9: region: must be a string, got a mapping`}},
		{"object as string", "nats: embedded\n", []string{
			`c.yaml:1:7: nats: must be a mapping, got a string`}},
		{"list as mapping", "machines: {name: m}\n", []string{
			`c.yaml:1:11: machines: must be a list, got a mapping`}},
		{"strings as string", "machines: [{name: m, trigger: {subjects: a.b}}]\n", []string{
			`c.yaml:1:42: machines[0].trigger.subjects: must be a list of strings, got a string`}},
		{"string in list", "machines: [{name: m, trigger: {subjects: [a, {b: c}]}}]\n", []string{
			`c.yaml:1:46: machines[0].trigger.subjects[1]: must be a string, got a mapping`}},
		{"map as list", "integrations: {lambda: {functions: [a]}}\n", []string{
			`c.yaml:1:36: integrations.lambda.functions: must be a mapping, got a list`}},
		{"secret value never echoed", "nats: {password: [hunter2]}\n", []string{
			`c.yaml:1:18: nats.password: must be a string, got a list`}},
		{"every problem at once", "region: true\naccount: [1]\nshutdown: {x: 1}\n", []string{
			`c.yaml:1:9: region: must be a string, got a boolean`,
			`c.yaml:2:10: account: must be a string, got a list`,
			`c.yaml:3:12: shutdown.x: unknown key "x" (known keys: drain_timeout)`}},
		{"yaml syntax (the line that goes wrong, not the mapping it is in)", "nats:\n  url: a\n b: c\n", []string{
			`c.yaml:3: invalid YAML: did not find expected key`}},
		{"two documents", "region: us-east-1\n---\nregion: eu-west-1\n", []string{
			`c.yaml:2:1: a config file holds one YAML document; found a second one`}},
		{"root not a mapping", "- a\n", []string{
			`c.yaml:1:1: must be a mapping, got a list`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("c.yaml", []byte(tc.yaml))
			if diff := cmp.Diff(tc.want, lines(err)); diff != "" {
				t.Errorf("Parse errors mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseEmpty(t *testing.T) {
	c, err := Parse("c.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	c.ApplyDefaults()
	if diff := cmp.Diff([]string{"c.yaml: machines: at least one is required"}, lines(c.Validate())); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestAliases(t *testing.T) {
	c, err := load(t, `
x-subjects: &subjects ["a.>", "b.>"]
machines:
  - name: m
    definition: m.asl.json
    trigger: {stream: S, subjects: *subjects}
`)
	if err == nil {
		t.Fatalf("unknown key x-subjects accepted: %+v", c)
	}
	c, err = Parse("c.yaml", []byte(`
machines:
  - name: a
    trigger: {stream: S, subjects: &subjects ["a.>", "b.>"]}
  - name: b
    trigger: {stream: T, subjects: *subjects}
`))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"a.>", "b.>"}, c.Machines[1].Trigger.Subjects); diff != "" {
		t.Errorf("alias not followed (-want +got):\n%s", diff)
	}
}

func TestValidate(t *testing.T) {
	seed := "SUAMLK2ZNL35WSMW37E7UD4VZ7ELPKW7DHC3BWBSD2GCZ7IUQQXZIORRBU"
	tests := []struct {
		name string
		yaml string
		want []string
	}{
		{"minimal is valid", minimal, nil},
		{"no machines", "machines: []\n", []string{
			`c.yaml:1:11: machines: at least one is required`}},
		{"machine name and definition required", "machines: [{trigger: {stream: S, subjects: [a]}}]\n", []string{
			`c.yaml:1:12: machines[0].name: is required`,
			`c.yaml:1:12: machines[0].definition: is required`}},
		{"machine name pattern", "machines: [{name: bad name, definition: m.asl.json}]\n", []string{
			`c.yaml:1:19: machines[0].name: must be 1-80 characters of A-Z a-z 0-9 _ -; got "bad name"`}},
		{"machine name too long", "machines: [{name: " + strings.Repeat("a", 81) + ", definition: m.asl.json}]\n", []string{
			`c.yaml:1:19: machines[0].name: must be 1-80 characters of A-Z a-z 0-9 _ -; got "` + strings.Repeat("a", 81) + `"`}},
		{"duplicate machine name", "machines: [{name: m, definition: m.asl.json}, {name: m, definition: m.asl.json}]\n", []string{
			`c.yaml:1:54: machines[1].name: duplicate machine name "m" (also machines[0])`}},
		{"definition missing", "machines: [{name: m, definition: nope.json}]\n", []string{
			`c.yaml:1:34: machines[0].definition: file "nope.json" does not exist`}},
		{"definition is a directory", "machines: [{name: m, definition: .}]\n", []string{
			`c.yaml:1:34: machines[0].definition: file "." is a directory`}},
		{"trigger stream and subjects required", minimal + "    trigger: {}\n", []string{
			`c.yaml:5:14: machines[0].trigger.stream: is required`,
			`c.yaml:5:14: machines[0].trigger.subjects: at least one is required`}},
		{"trigger stream pattern", minimal + "    trigger: {stream: a.b, subjects: [a]}\n", []string{
			`c.yaml:5:23: machines[0].trigger.stream: must be letters, digits, _ and -; got "a.b"`}},
		{"trigger stream reserved", minimal + "    trigger: {stream: EXPRESSD_DLQ, subjects: [a]}\n", []string{
			`c.yaml:5:23: machines[0].trigger.stream: EXPRESSD_DLQ is the daemon's own stream`}},
		{"subjects empty list", minimal + "    trigger: {stream: S, subjects: []}\n", []string{
			`c.yaml:5:36: machines[0].trigger.subjects: at least one is required`}},
		{"subject problems", minimal + "    trigger: {stream: S, subjects: ['', 'a..b', 'a.>.b', 'a b', 'a.b*', a, a]}\n", []string{
			`c.yaml:5:37: machines[0].trigger.subjects[0]: must not be empty`,
			`c.yaml:5:41: machines[0].trigger.subjects[1]: subject "a..b" has an empty token`,
			`c.yaml:5:49: machines[0].trigger.subjects[2]: subject "a.>.b": > must be the last token`,
			`c.yaml:5:58: machines[0].trigger.subjects[3]: subject "a b" contains white space`,
			`c.yaml:5:65: machines[0].trigger.subjects[4]: subject "a.b*": wildcards must be whole tokens`,
			`c.yaml:5:76: machines[0].trigger.subjects[6]: duplicate subject "a"`}},
		{"subjects overlap the daemon's", minimal + "    trigger: {stream: S, subjects: ['>', 'expressd.sync.m', '*.results.x', iot.>]}\n", []string{
			`c.yaml:5:37: machines[0].trigger.subjects[0]: subject ">" overlaps expressd.>, the daemon's own subjects (results, DLQ, sync requests, logs); a trigger there would feed on that traffic`,
			`c.yaml:5:42: machines[0].trigger.subjects[1]: subject "expressd.sync.m" overlaps expressd.>, the daemon's own subjects (results, DLQ, sync requests, logs); a trigger there would feed on that traffic`,
			`c.yaml:5:61: machines[0].trigger.subjects[2]: subject "*.results.x" overlaps expressd.>, the daemon's own subjects (results, DLQ, sync requests, logs); a trigger there would feed on that traffic`}},
		{"subjects capture NATS's own traffic (issue 10: _INBOX.> stored 776,000 events in 15 s)", minimal +
			"    trigger: {stream: S, subjects: ['_INBOX.>', '$JS.API.>', '$KV.b.*', '$JSC.xy', '$SYS.x', '_R_.y']}\n", []string{
			`c.yaml:5:37: machines[0].trigger.subjects[0]: subject "_INBOX.>" overlaps _INBOX.>, the reply subjects of NATS requests (PubAcks, task replies); a trigger there would feed on that traffic`,
			`c.yaml:5:49: machines[0].trigger.subjects[1]: subject "$JS.API.>" overlaps $JS.>, the JetStream API, acks and advisories; a trigger there would feed on that traffic`,
			`c.yaml:5:62: machines[0].trigger.subjects[2]: subject "$KV.b.*" overlaps $KV.>, JetStream key-value buckets; a trigger there would feed on that traffic`,
			`c.yaml:5:73: machines[0].trigger.subjects[3]: subject "$JSC.xy" overlaps $JSC.>, JetStream's internal subjects; a trigger there would feed on that traffic`,
			`c.yaml:5:84: machines[0].trigger.subjects[4]: subject "$SYS.x" overlaps $SYS.>, the NATS system account; a trigger there would feed on that traffic`,
			`c.yaml:5:94: machines[0].trigger.subjects[5]: subject "_R_.y" overlaps _R_.>, NATS service import replies; a trigger there would feed on that traffic`}},
		{"subjects capture what the config makes the daemon publish", `
integrations:
  lambda:
    functions: {price: {subject: svc.price}}
    subject_prefix: fn.
logging:
  sinks: [{type: nats, subject: audit.log}]
machines:
  - name: m
    definition: m.asl.json
    trigger: {stream: S, subjects: [svc.*, fn.x.y, audit.>, ok.*]}
    logging: {sinks: [{type: nats, subject: ok.log}]}
`, []string{
			`c.yaml:11:37: machines[0].trigger.subjects[0]: subject "svc.*" overlaps "svc.price", which the daemon publishes on (integrations.lambda.functions.price.subject); a trigger there would feed on that traffic`,
			`c.yaml:11:44: machines[0].trigger.subjects[1]: subject "fn.x.y" overlaps "fn.>", which the daemon publishes on (integrations.lambda.subject_prefix); a trigger there would feed on that traffic`,
			`c.yaml:11:52: machines[0].trigger.subjects[2]: subject "audit.>" overlaps "audit.log", which the daemon publishes on (logging.sinks[0].subject); a trigger there would feed on that traffic`,
			`c.yaml:11:61: machines[0].trigger.subjects[3]: subject "ok.*" overlaps "ok.log", which the daemon publishes on (machines[0].logging.sinks[0].subject); a trigger there would feed on that traffic`}},
		{"consumer pattern", minimal + "    trigger: {stream: S, subjects: [a], consumer: 'c.d'}\n", []string{
			`c.yaml:5:51: machines[0].trigger.consumer: must be letters, digits, _ and -; got "c.d"`}},
		{"consumer shared on one stream", `
machines:
  - {name: a, definition: m.asl.json, trigger: {stream: S, subjects: [a], consumer: c}}
  - {name: b, definition: m.asl.json, trigger: {stream: S, subjects: [b], consumer: c}}
  - {name: c, definition: m.asl.json, trigger: {stream: T, subjects: [c], consumer: c}}
`, []string{
			`c.yaml:4:85: machines[1].trigger.consumer: consumer "c" of stream S is already used by machines[0]`}},
		{"subjects overlap across streams", `
machines:
  - {name: a, definition: m.asl.json, trigger: {stream: S, subjects: [iot.>]}}
  - {name: b, definition: m.asl.json, trigger: {stream: S, subjects: [iot.a]}}
  - {name: c, definition: m.asl.json, trigger: {stream: T, subjects: [iot.*.x, other]}}
`, []string{
			`c.yaml:5:71: machines[2].trigger.subjects[0]: subject "iot.*.x" overlaps "iot.>" of stream S (machines[0]); streams cannot share subjects`}},
		{"max_deliver and ack_wait", minimal + "    trigger: {stream: S, subjects: [a], max_deliver: 0, ack_wait: 500ms}\n", []string{
			`c.yaml:5:54: machines[0].trigger.max_deliver: must be between 1 and 2147483648`,
			`c.yaml:5:67: machines[0].trigger.ack_wait: must be at least 1s`}},
		{"concurrency range", minimal + "    concurrency: 1000001\n", []string{
			`c.yaml:5:18: machines[0].concurrency: must be between 1 and 1000000`}},
		{"concurrency zero", minimal + "    concurrency: 0\n", []string{
			`c.yaml:5:18: machines[0].concurrency: must be between 1 and 1000000`}},
		{"results subject", minimal + "    results: {subject: expressd.other.m}\n", []string{
			`c.yaml:5:24: machines[0].results.subject: subject "expressd.other.m" must be under expressd.results. so the EXPRESSD_RESULTS stream stores it`}},
		{"results subject wildcard", minimal + "    results: {subject: expressd.results.*}\n", []string{
			`c.yaml:5:24: machines[0].results.subject: subject "expressd.results.*" must not contain wildcards`}},
		{"results subject prefix only", minimal + "    results: {subject: expressd.results.}\n", []string{
			`c.yaml:5:24: machines[0].results.subject: subject "expressd.results." has an empty token`}},
		{"timeout above 5m", minimal + "    timeout: 6m\n", []string{
			`c.yaml:5:14: machines[0].timeout: must be at most 5m`}},
		{"timeout zero", minimal + "    timeout: 0s\n", []string{
			`c.yaml:5:14: machines[0].timeout: must be greater than 0`}},
		{"region and account", minimal + "region: useast\naccount: 1234\n", []string{
			`c.yaml:5:9: region: must be an AWS region such as us-east-1; got "useast"`,
			`c.yaml:6:10: account: must be 12 digits; got "1234"`}},
		{"account unquoted", minimal + "account: 123456789012\n", nil},
		{"http listen", minimal + "http: {listen: localhost}\n", []string{
			`c.yaml:5:16: http.listen: must be host:port; got "localhost"`}},
		{"http listen port", minimal + "http: {listen: ':99999'}\n", []string{
			`c.yaml:5:16: http.listen: port "99999" must be a number from 0 to 65535`}},
		{"http off", minimal + "http: {listen: off}\n", nil},
		{"http clashes with nats", minimal + "http: {listen: 127.0.0.1:4222}\n", []string{
			`c.yaml:5:16: http.listen: same address as nats.embedded.listen`}},
		{"embedded and url", minimal + "nats: {embedded: {}, url: nats://h:4222}\n", []string{
			`c.yaml:5:27: nats.url: cannot be combined with nats.embedded; set one of them`}},
		{"external keys with embedded", minimal + "nats:\n  user: u\n  password: p\n  tls: {ca: m.asl.json}\n", []string{
			`c.yaml:6:9: nats.user: only applies to an external server (nats.url)`,
			`c.yaml:7:13: nats.password: only applies to an external server (nats.url)`,
			`c.yaml:8:8: nats.tls: only applies to an external server (nats.url)`}},
		{"bad urls", minimal + "nats: {url: 'nats://u:hunter2@h:4222,http://h2:80'}\n", []string{
			`c.yaml:5:13: nats.url: server 2 "http://h2:80": scheme must be nats, tls, ws or wss`}},
		{"bad url never shows its password", minimal + "nats: {url: 'nats://a:4222, ftp://u:hunter2@h:4222'}\n", []string{
			`c.yaml:5:13: nats.url: server 2 "ftp://u:REDACTED@h:4222": scheme must be nats, tls, ws or wss`}},
		{"url not a url", minimal + "nats: {url: 'h1:4222,,'}\n", []string{
			`c.yaml:5:13: nats.url: server 1 "h1:4222" is not a URL such as nats://host:4222`}},
		{"user without password", minimal + "nats: {url: nats://h:4222, user: u}\n", []string{
			`c.yaml:5:34: nats.user: needs nats.password`}},
		{"password without user", minimal + "nats: {url: nats://h:4222, password: hunter2}\n", []string{
			`c.yaml:5:38: nats.password: needs nats.user`}},
		{"several auth methods", minimal + "nats: {url: nats://h:4222, user: u, password: hunter2, token: t0k, creds: m.asl.json}\n", []string{
			`c.yaml:5:63: nats.token: cannot be combined with nats.user; use one authentication method`,
			`c.yaml:5:75: nats.creds: cannot be combined with nats.user; use one authentication method`}},
		{"creds missing", minimal + "nats: {url: nats://h:4222, creds: x.creds}\n", []string{
			`c.yaml:5:35: nats.creds: file "x.creds" does not exist`}},
		{"nkey missing is not echoed", minimal + "nats: {url: nats://h:4222, nkey: secret-seed-file}\n", []string{
			`c.yaml:5:34: nats.nkey: the file does not exist`}},
		{"nkey seed itself", minimal + "nats: {url: nats://h:4222, nkey: " + seed + "}\n", []string{
			`c.yaml:5:34: nats.nkey: looks like an nkey seed; give the path of a file holding it`}},
		{"tls cert without key", minimal + "nats: {url: tls://h:4222, tls: {cert: m.asl.json, ca: ca.pem}}\n", []string{
			`c.yaml:5:39: nats.tls.cert: needs nats.tls.key`,
			`c.yaml:5:55: nats.tls.ca: file "ca.pem" does not exist`}},
		{"tls key without cert", minimal + "nats: {url: tls://h:4222, tls: {key: m.asl.json}}\n", []string{
			`c.yaml:5:38: nats.tls.key: needs nats.tls.cert`}},
		{"external ok", minimal + "nats: {url: 'tls://a:4222, wss://b:443', token: t0k, tls: {ca: m.asl.json, server_name: n}}\n", nil},
		{"lambda targets", minimal + `integrations:
  lambda:
    functions:
      ok: {subject: svc.ok}
      both: {subject: svc.x, url: "http://h/x"}
      none: {}
      bad.name: {subject: svc.y}
      wild: {subject: svc.*}
      ftp: {url: "ftp://h/x"}
`, []string{
			`c.yaml:9:13: integrations.lambda.functions.both: set only one of subject and url`,
			`c.yaml:10:13: integrations.lambda.functions.none: needs subject or url`,
			`c.yaml:11:17: integrations.lambda.functions.bad.name: function name must be 1-64 characters of A-Z a-z 0-9 _ -`,
			`c.yaml:12:23: integrations.lambda.functions.wild.subject: subject "svc.*" must not contain wildcards`,
			`c.yaml:13:18: integrations.lambda.functions.ftp.url: must be an http:// or https:// URL; got "ftp://h/x"`}},
		{"subject prefix", minimal + "integrations: {lambda: {subject_prefix: 'fn.>'}}\n", []string{
			`c.yaml:5:41: integrations.lambda.subject_prefix: prefix "fn.>" must not contain wildcards`}},
		{"integration timeouts", minimal + "integrations: {http: {timeout: 0s}, nats: {request_timeout: -1s}}\nshutdown: {drain_timeout: 0s}\n", []string{
			`c.yaml:5:32: integrations.http.timeout: must be greater than 0`,
			`c.yaml:5:61: integrations.nats.request_timeout: must be greater than 0`,
			`c.yaml:6:27: shutdown.drain_timeout: must be greater than 0`}},
		{"logging level", minimal + "logging: {level: error}\n", []string{
			`c.yaml:5:18: logging.level: must be one of ALL, ERROR, FATAL, OFF; got "error"`}},
		{"sink type", minimal + "logging: {sinks: [{}, {type: s3}]}\n", []string{
			`c.yaml:5:19: logging.sinks[0].type: is required`,
			`c.yaml:5:30: logging.sinks[1].type: must be one of discard, file, nats, stdout; got "s3"`}},
		{"file sink", minimal + "logging: {sinks: [{type: file, compression: lz4, max_bytes: 0, max_files: 0, buffer: 0}]}\n", []string{
			`c.yaml:5:19: logging.sinks[0].path: is required`,
			`c.yaml:5:45: logging.sinks[0].compression: must be one of none, gzip, zstd; got "lz4"`,
			`c.yaml:5:61: logging.sinks[0].max_bytes: must be at least 1`,
			`c.yaml:5:75: logging.sinks[0].max_files: must be between 1 and 100000`,
			`c.yaml:5:86: logging.sinks[0].buffer: must be between 1 and 16777216`}},
		{"keys of another sink type", minimal + "logging: {sinks: [{type: stdout, path: x, subject: y}, {type: nats, max_files: 3}]}\n", []string{
			`c.yaml:5:40: logging.sinks[0].path: only applies to sink type file, not stdout`,
			`c.yaml:5:52: logging.sinks[0].subject: only applies to sink type nats, not stdout`,
			`c.yaml:5:80: logging.sinks[1].max_files: only applies to sink type file, not nats`}},
		{"nats sink", minimal + "logging: {sinks: [{type: nats, subject: 'logs.>', stream: 'a b'}]}\n", []string{
			`c.yaml:5:41: logging.sinks[0].subject: subject "logs.>" must not contain wildcards`,
			`c.yaml:5:59: logging.sinks[0].stream: must be letters, digits, _ and -; got "a b"`}},
		{"empty filter", minimal + "logging: {sinks: [{type: stdout, filter: ''}]}\n", []string{
			`c.yaml:5:42: logging.sinks[0].filter: must not be empty`}},
		{"machine logging", minimal + "    logging: {level: DEBUG, sinks: [{type: file}]}\n", []string{
			`c.yaml:5:22: machines[0].logging.level: must be one of ALL, ERROR, FATAL, OFF; got "DEBUG"`,
			`c.yaml:5:37: machines[0].logging.sinks[0].path: is required`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := load(t, tc.yaml)
			got := lines(err)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Load errors mismatch (-want +got):\n%s", diff)
			}
			if strings.Contains(fmt.Sprint(got), "hunter2") {
				t.Errorf("a secret leaked into the messages: %q", got)
			}
		})
	}
}

// TestValidateWithoutPositions covers a Config built in Go: messages carry
// the file and path but no line:col.
func TestValidateWithoutPositions(t *testing.T) {
	c := &Config{File: "x.yaml", Machines: []Machine{{Name: "m", Definition: "/nonexistent/m.asl.json"}}}
	c.ApplyDefaults()
	c.Machines[0].Concurrency = -1
	want := []string{
		`x.yaml: machines[0].definition: file "/nonexistent/m.asl.json" does not exist`,
		`x.yaml: machines[0].concurrency: must be between 1 and 1000000`,
	}
	if diff := cmp.Diff(want, lines(c.Validate())); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestMachine(t *testing.T) {
	c := &Config{Machines: []Machine{{Name: "a"}, {Name: "b"}}}
	if m := c.Machine("b"); m != &c.Machines[1] {
		t.Errorf("Machine(b) = %p, want %p", m, &c.Machines[1])
	}
	if m := c.Machine("c"); m != nil {
		t.Errorf("Machine(c) = %+v, want nil", m)
	}
}

func TestEffectiveLogging(t *testing.T) {
	c, err := Parse("c.yaml", []byte(`
logging:
  level: ERROR
  include_execution_data: true
  sinks: [{type: stdout}]
machines:
  - {name: inherit, definition: m.asl.json}
  - {name: level, definition: m.asl.json, logging: {level: ALL}}
  - {name: data, definition: m.asl.json, logging: {include_execution_data: false}}
  - {name: sinks, definition: m.asl.json, logging: {sinks: [{type: discard}]}}
`))
	if err != nil {
		t.Fatal(err)
	}
	c.ApplyDefaults()
	stdout := []Sink{{Type: SinkStdout, Buffer: 65536}}
	tests := []struct {
		machine string
		want    Logging
	}{
		{"inherit", Logging{Level: LevelError, IncludeExecutionData: true, Sinks: stdout}},
		{"level", Logging{Level: LevelAll, IncludeExecutionData: true, Sinks: stdout}},
		{"data", Logging{Level: LevelError, IncludeExecutionData: false, Sinks: stdout}},
		{"sinks", Logging{Level: LevelError, IncludeExecutionData: true, Sinks: []Sink{{Type: SinkDiscard, Buffer: 65536}}}},
	}
	for _, tc := range tests {
		t.Run(tc.machine, func(t *testing.T) {
			got := c.Machine(tc.machine).EffectiveLogging(c.Logging)
			if diff := cmp.Diff(tc.want, got, ignoreUnexported); diff != "" {
				t.Errorf("EffectiveLogging mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSecretsNeverPrinted(t *testing.T) {
	c, err := Parse("c.yaml", []byte(`
nats:
  url: nats://alice:hunter2@h1:4222,nats://h2:4222
  user: alice
  password: hunter2
  token: hunter2
integrations:
  lambda:
    functions:
      f: {url: "https://bob:hunter2@h/f"}
machines: [{name: m, definition: m.asl.json}]
`))
	if err != nil {
		t.Fatal(err)
	}
	c.ApplyDefaults()
	for name, s := range map[string]string{
		"String":        c.String(),
		"%v":            fmt.Sprintf("%v", c),
		"%+v pointer":   fmt.Sprintf("%+v", *c),
		"%#v":           fmt.Sprintf("%#v", c),
		"%s nats":       c.NATS.String(),
		"%#v nats":      fmt.Sprintf("%#v", c.NATS),
		"%x secret":     fmt.Sprintf("%x", c.NATS.Token),
		"Redacted %+v":  fmt.Sprintf("%+v", c.Redacted().NATS.URL),
		"Redacted Pass": string(c.Redacted().NATS.Password),
	} {
		if strings.Contains(s, "hunter2") {
			t.Errorf("%s leaks the secret:\n%s", name, s)
		}
	}
	if !strings.Contains(c.String(), "password: REDACTED") {
		t.Errorf("String() does not show the redacted password:\n%s", c.String())
	}
	if got, want := c.Redacted().NATS.URL, "nats://alice:REDACTED@h1:4222,nats://h2:4222"; got != want {
		t.Errorf("Redacted().NATS.URL = %q, want %q", got, want)
	}
	if string(c.NATS.Password) != "hunter2" || c.NATS.URL != "nats://alice:hunter2@h1:4222,nats://h2:4222" {
		t.Errorf("Redacted modified the original config")
	}
}

// TestStringRoundTrip checks that String prints every key Parse reads.
func TestStringRoundTrip(t *testing.T) {
	for _, file := range configFiles(t) {
		t.Run(filepath.Base(file), func(t *testing.T) {
			c, err := Load(file)
			if err != nil {
				t.Fatal(err)
			}
			again, err := Parse(file, []byte(c.String()))
			if err != nil {
				t.Fatalf("Parse(String()): %v\n%s", err, c.String())
			}
			again.resolved = true // String printed resolved paths
			again.ApplyDefaults()
			if diff := cmp.Diff(c, again, ignoreUnexported); diff != "" {
				t.Errorf("round trip mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want Size
		err  string
	}{
		{"0", 0, ""},
		{"512", 512, ""},
		{"1KB", 1000, ""},
		{"10MB", 10_000_000, ""},
		{"100MiB", 100 << 20, ""},
		{"2 GiB", 2 << 30, ""},
		{"1TiB", 1 << 40, ""},
		{"7B", 7, ""},
		{"1.5MiB", 0, `invalid size "1.5MiB": use bytes or a number with a unit (KB, MB, GB, KiB, MiB, GiB)`},
		{"-1", 0, `invalid size "-1": use bytes or a number with a unit (KB, MB, GB, KiB, MiB, GiB)`},
		{"9999999TiB", 0, `size "9999999TiB" is too large`},
	}
	for _, tc := range tests {
		got, err := ParseSize(tc.in)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("ParseSize(%q) error = %v, want %s", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
	if got := Size(100 << 20).String(); got != "100MiB" {
		t.Errorf("Size.String() = %q, want 100MiB", got)
	}
}

func TestOverlaps(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"a.b", "a.b", true},
		{"a.b", "a.c", false},
		{"a.*", "a.b", true},
		{"a.>", "a.b.c", true},
		{"a.>", "a", false},
		{"a.*", "a.b.c", false},
		{">", "x", true},
		{"*.b", "a.*", true},
		{"a", "a.b", false},
	}
	for _, tc := range tests {
		if got := overlaps(tc.a, tc.b); got != tc.want {
			t.Errorf("overlaps(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
		if got := overlaps(tc.b, tc.a); got != tc.want {
			t.Errorf("overlaps(%q, %q) = %v, want %v", tc.b, tc.a, got, tc.want)
		}
	}
}

// TestSpecDefaults checks that every default in the spec table decodes
// and is applied wherever its field applies.
func TestSpecDefaults(t *testing.T) {
	c, err := Parse("c.yaml", []byte(`
nats: {embedded: {}}
machines:
  - name: m
    trigger: {}
    logging: {sinks: [{type: file}]}
logging: {sinks: [{type: file}, {type: nats}]}
`))
	if err != nil {
		t.Fatal(err)
	}
	c.ApplyDefaults()
	n := 0
	var walk func(o *object, v any, path string, inherit bool)
	walk = func(o *object, v any, path string, inherit bool) {
		for _, f := range o.fields {
			p := join(path, f.key)
			if ok, _ := o.appliesTo(v, f); !ok {
				continue
			}
			if f.def != "" && !inherit {
				n++
				if f.zero(v) && f.def != "false" {
					t.Errorf("%s: default %s not applied", p, f.def)
				}
			}
			switch f.kind {
			case kindObject:
				if ch := f.child(v, false); ch != nil {
					walk(f.elem, ch, p, f.inherit)
				}
			case kindList, kindMap:
				f.each(v, func(suffix string, ch any) { walk(f.elem, ch, p+suffix, false) })
			}
		}
	}
	walk(spec, c, "", false)
	if n < 20 {
		t.Errorf("checked %d defaults; the test config no longer reaches them all", n)
	}
}

// walkSpec calls fn for every field with its documented path.
func walkSpec(o *object, path string, fn func(f *field, path string)) {
	for _, f := range o.fields {
		p := join(path, f.key)
		fn(f, p)
		switch f.kind {
		case kindObject:
			walkSpec(f.elem, p, fn)
		case kindList:
			walkSpec(f.elem, p+"[]", fn)
		case kindMap:
			walkSpec(f.elem, p+".<name>", fn)
		}
	}
}

// TestSinkKeysFromPlugins: every key a sink plugin declares is a config key
// of logging.sinks[] with the plugin's default and documentation.
func TestSinkKeysFromPlugins(t *testing.T) {
	specs := sinks.BuiltinSpecs()
	for typ, fields := range specs {
		for _, sf := range fields {
			f := sinkSpec.field(sf.Name)
			if f == nil {
				t.Errorf("sink %s key %s is not a config key", typ, sf.Name)
				continue
			}
			if sf.Name != sinks.FieldType && (f.doc != sf.Doc || f.def != sf.Default) {
				t.Errorf("sink key %s: doc/default %q/%q, want the plugin's %q/%q", sf.Name, f.doc, f.def, sf.Doc, sf.Default)
			}
		}
	}
}
