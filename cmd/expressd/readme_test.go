package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
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

// splitArgs splits a shell command line with single-quoted words.
func splitArgs(s string) []string {
	var args []string
	var cur strings.Builder
	inQuote, has := false, false
	for _, r := range s {
		switch {
		case r == '\'':
			inQuote = !inQuote
			has = true
		case r == ' ' && !inQuote:
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
