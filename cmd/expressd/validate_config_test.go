package main

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// writeFiles writes name → content under dir.
func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestValidateConfig (issue 11, class 6): `validate --config` refuses
// exactly what serve refuses — Task resources no integration serves and
// Lambda functions without a mapping included — and both list the problems
// of every machine at once. `validate` accepted such resources and serve
// stopped at the first broken machine; an unmapped Lambda function failed
// each execution at run time although the config reference promised it
// was rejected when the definition was loaded.
func TestValidateConfig(t *testing.T) {
	var stdout, stderr strings.Builder
	if code := run([]string{"validate", "--config", "../../configs/expressd.yaml"}, strings.NewReader(""), &stdout, &stderr); code != 0 {
		t.Errorf("validate --config configs/expressd.yaml: exit %d\n%s%s", code, stdout.String(), stderr.String())
	}

	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"good.asl.json": `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"price","Payload.$":"$"},"End":true}}}`,
		"sqs.asl.json": `{"StartAt":"Q","States":{"Q":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage","Parameters":{"QueueUrl":"q"},"Next":"L"},
"L":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:111111111111:function:unmapped","Next":"D"},
"D":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName.$":"$.fn"},"End":true}}}`,
		"broken.asl.json": `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"Nope"},"B":{"Type":"Bogus","End":true}}}`,
	})
	port := freePort(t)
	cfg := "nats:\n  embedded: {listen: 127.0.0.1:" + strconv.Itoa(port) + ", store_dir: " + filepath.Join(dir, "nats") + `}
http: {listen: "off"}
integrations:
  lambda:
    functions: {price: {subject: svc.price}}
machines:
  - {name: good, definition: good.asl.json, trigger: {stream: G, subjects: [g.events]}}
  - {name: sqs, definition: sqs.asl.json}
  - {name: broken, definition: broken.asl.json}
logging: {sinks: []}
`
	cfgPath := filepath.Join(dir, "expressd.yaml")
	writeFiles(t, dir, map[string]string{"expressd.yaml": cfg})
	want := []string{
		`sqs.asl.json:1:56: /States/Q/Resource: state "Q": resource "arn:aws:states:::sqs:sendMessage": task: no integration serves this resource (integrations: nats:request, nats:publish, http:invoke, lambda)`,
		`sqs.asl.json:2:31: /States/L/Resource: state "L": the Lambda function "unmapped" has no mapping: add integrations.lambda.functions.unmapped (a NATS subject or a URL), or set integrations.lambda.subject_prefix`,
		`broken.asl.json:1:52: /States/A/Next: Missing 'Next' target: Nope`,
		`broken.asl.json:1:72: /States/B/Type: Invalid state type "Bogus"`,
	}
	stdout.Reset()
	stderr.Reset()
	if code := run([]string{"validate", "--config", cfgPath}, strings.NewReader(""), &stdout, &stderr); code != 1 {
		t.Errorf("validate --config: exit %d, want 1", code)
	}
	for _, w := range want {
		if !strings.Contains(stdout.String(), w) {
			t.Errorf("validate --config output lacks %q:\n%s", w, stdout.String())
		}
	}
	if strings.Contains(stdout.String(), "good.asl.json") || strings.Contains(stdout.String(), "/States/D") {
		t.Errorf("a valid machine or a dynamic FunctionName reported:\n%s", stdout.String())
	}

	// serve refuses the same config with the same problems, all of them.
	stdout.Reset()
	stderr.Reset()
	if code := run([]string{"serve", "--config", cfgPath}, strings.NewReader(""), &stdout, &stderr); code != 1 {
		t.Errorf("serve: exit %d, want 1", code)
	}
	if !strings.Contains(stderr.String(), "2 of 3 machines cannot run") {
		t.Errorf("serve does not count the broken machines:\n%s", stderr.String())
	}
	for _, w := range want {
		if !strings.Contains(stderr.String(), w) {
			t.Errorf("serve output lacks %q:\n%s", w, stderr.String())
		}
	}
	if ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port)); err != nil {
		t.Errorf("embedded NATS still listening after the failed start: %v", err)
	} else {
		ln.Close()
	}

	// Without --config, resources are checked against the integrations
	// expressd has; Lambda mappings cannot be known.
	stdout.Reset()
	if code := run([]string{"validate", filepath.Join(dir, "sqs.asl.json")}, strings.NewReader(""), &stdout, &stderr); code != 1 ||
		!strings.Contains(stdout.String(), "no integration serves this resource") || strings.Contains(stdout.String(), "unmapped") {
		t.Errorf("validate without --config: exit %d\n%s", code, stdout.String())
	}
}
