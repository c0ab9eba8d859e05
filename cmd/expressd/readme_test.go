package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// readmeExample is a command from README.md and the output shown for it.
type readmeExample struct {
	line int
	args []string
	want string
}

// readmeExamples extracts every `go run ./cmd/expressd …` command of the
// README (joining backslash continuations) with the output it documents:
// the "# …" comment line that follows, or the next fenced block.
func readmeExamples(t *testing.T) []readmeExample {
	data, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	var out []readmeExample
	for i := 0; i < len(lines); i++ {
		l := strings.TrimSpace(lines[i])
		if !strings.HasPrefix(l, "go run ./cmd/expressd ") {
			continue
		}
		start := i
		cmd := l
		for strings.HasSuffix(cmd, "\\") && i+1 < len(lines) {
			i++
			cmd = strings.TrimSuffix(cmd, "\\") + " " + strings.TrimSpace(lines[i])
		}
		ex := readmeExample{line: start + 1, args: splitArgs(strings.TrimPrefix(cmd, "go run ./cmd/expressd "))}
		// The documented output: a "# " comment on the next line, or the
		// first fenced block after the command's block.
		if i+1 < len(lines) && strings.HasPrefix(strings.TrimSpace(lines[i+1]), "# {") {
			ex.want = strings.TrimPrefix(strings.TrimSpace(lines[i+1]), "# ")
		} else {
			j := i + 1
			for j < len(lines) && !strings.HasPrefix(lines[j], "```") {
				j++
			}
			j++ // closing fence of the command block; prose may follow
			for j < len(lines) && !strings.HasPrefix(lines[j], "```") {
				j++
			}
			if j < len(lines) && strings.HasPrefix(lines[j], "```") {
				var block []string
				for k := j + 1; k < len(lines) && !strings.HasPrefix(lines[k], "```"); k++ {
					block = append(block, lines[k])
				}
				ex.want = strings.Join(block, "\n")
			}
		}
		out = append(out, ex)
	}
	return out
}

// splitArgs splits a shell command line with single- and double-quoted
// words (no escapes; "$(cat F)" stays a word for the caller to expand).
func splitArgs(s string) []string {
	var args []string
	var cur strings.Builder
	var quote rune
	has := false
	for _, r := range s {
		switch {
		case quote == 0 && (r == '\'' || r == '"'):
			quote = r
			has = true
		case r == quote:
			quote = 0
		case r == ' ' && quote == 0:
			if has {
				args = append(args, cur.String())
				cur.Reset()
				has = false
			}
		default:
			cur.WriteRune(r)
			has = true
		}
	}
	if has {
		args = append(args, cur.String())
	}
	return args
}

// TestREADMEExamples runs every expressd command shown in README.md from
// the repository root and checks the output the README shows for it, so
// the documentation cannot drift from the code.
func TestREADMEExamples(t *testing.T) {
	examples := readmeExamples(t)
	if len(examples) < 5 {
		t.Fatalf("found %d README examples, want at least 5", len(examples))
	}
	wd, _ := os.Getwd()
	if err := os.Chdir(filepath.Join("..", "..")); err != nil {
		t.Fatal(err)
	}
	defer os.Chdir(wd)
	for _, ex := range examples {
		switch ex.args[0] {
		case "serve", "publish", "results":
			continue // they need a daemon: TestREADMEQuickstart runs them
		}
		if ex.want == "" {
			t.Errorf("README.md:%d: no documented output for %q", ex.line, ex.args)
			continue
		}
		var stdout, stderr bytes.Buffer
		run(ex.args, strings.NewReader(""), &stdout, &stderr)
		got := strings.TrimRight(stdout.String(), "\n")
		if strings.HasPrefix(ex.want, "{") {
			if got != ex.want {
				t.Errorf("README.md:%d: expressd %s:\ngot  %s\nwant %s\nstderr: %s", ex.line, strings.Join(ex.args, " "), got, ex.want, stderr.String())
			}
			continue
		}
		if !strings.Contains(got, ex.want) {
			t.Errorf("README.md:%d: expressd %s: output does not contain the README excerpt:\n%s\n--- got:\n%s\nstderr: %s", ex.line, strings.Join(ex.args, " "), ex.want, got, stderr.String())
		}
	}
}

// TestREADMEQuickstart runs the quick start as written: serve with
// configs/expressd.yaml (its fixed ports must be free), publish the sample
// event, read its result.
func TestREADMEQuickstart(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the daemon")
	}
	for _, addr := range []string{"127.0.0.1:4222", "127.0.0.1:8080"} {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			t.Skipf("%s is in use; the quick start needs it", addr)
		}
		ln.Close()
	}
	var quick []readmeExample
	for _, ex := range readmeExamples(t) {
		switch ex.args[0] {
		case "serve", "publish", "results":
			quick = append(quick, ex)
		}
	}
	if len(quick) != 3 {
		t.Fatalf("got %d quick start commands in README.md, want serve, publish, results", len(quick))
	}
	root, _ := filepath.Abs(filepath.Join("..", ".."))
	wd, _ := os.Getwd()
	defer os.Chdir(wd)
	if err := os.Chdir(t.TempDir()); err != nil { // ./data/nats goes here
		t.Fatal(err)
	}
	abs := func(args []string) []string {
		out := append([]string(nil), args...)
		for i, a := range out {
			if strings.HasPrefix(a, "configs/") {
				out[i] = filepath.Join(root, a)
			}
			if strings.HasPrefix(a, "$(cat ") {
				data, err := os.ReadFile(filepath.Join(root, strings.TrimSuffix(strings.TrimPrefix(a, "$(cat "), ")")))
				if err != nil {
					t.Fatal(err)
				}
				out[i] = string(data)
			}
		}
		return out
	}
	ctx, cancel := context.WithCancel(context.Background())
	var serveOut, serveErr bytes.Buffer
	served := make(chan int, 1)
	go func() { served <- serve(ctx, abs(quick[0].args[1:]), &serveOut, &serveErr) }()
	defer func() {
		cancel()
		if code := <-served; code != 0 {
			t.Errorf("serve exited %d: %s", code, serveErr.String())
		}
	}()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get("http://127.0.0.1:8080/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("daemon not ready after 30s: %s", serveErr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	var out, errOut bytes.Buffer
	if code := run(abs(quick[1].args), strings.NewReader(""), &out, &errOut); code != 0 {
		t.Fatalf("publish exited %d: %s", code, errOut.String())
	}
	// The result is stored within moments; poll results until it is there.
	want := []string{`"name":"reading-1"`, `"status":"SUCCEEDED"`, `"device":"sensor-42"`, `"msg_id":"reading-1"`,
		`"enrichment":{"model":"TH-200"`}
	for time.Now().Before(deadline) {
		out.Reset()
		errOut.Reset()
		run(abs(quick[2].args), strings.NewReader(""), &out, &errOut)
		if strings.Contains(out.String(), `"name":"reading-1"`) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, w := range want {
		if !strings.Contains(out.String(), w) {
			t.Errorf("results output lacks %s:\n%s\n%s", w, out.String(), errOut.String())
		}
	}
	// A clean result: no error anywhere in it (issue 12: every quick-start
	// result carried NATS.NoStream from a service nothing had started).
	if strings.Contains(out.String(), `"error"`) || strings.Contains(out.String(), `Error"`) {
		t.Errorf("the quick-start result carries an error:\n%s", out.String())
	}
}
