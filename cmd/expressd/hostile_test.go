package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Hostile definitions and inputs (issue 7): each run of the real binary
// ends with a clear result or error within bounded time and memory; none
// panics or hangs. Figures (wall time, peak RSS) are logged.
//
//	go test ./cmd/expressd -run TestHostileDefinitions -v

func TestHostileDefinitions(t *testing.T) {
	if testing.Short() {
		t.Skip("hostile definitions: builds the binary")
	}
	bin := buildExpressd(t)
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	chain := func(n int) string {
		var b strings.Builder
		b.WriteString(`{"StartAt":"S0","States":{`)
		for i := range n {
			if i > 0 {
				b.WriteByte(',')
			}
			if i == n-1 {
				fmt.Fprintf(&b, `"S%d":{"Type":"Pass","End":true}`, i)
			} else {
				fmt.Fprintf(&b, `"S%d":{"Type":"Pass","Next":"S%d"}`, i, i+1)
			}
		}
		b.WriteString(`}}`)
		return b.String()
	}
	pass := func(params string) string {
		return `{"StartAt":"A","States":{"A":{"Type":"Pass","Parameters":` + params + `,"End":true}}}`
	}
	// nestedFormat doubles the string at every level: 2^depth copies of $.s.
	var nestedFormat func(int) string
	nestedFormat = func(d int) string {
		if d == 0 {
			return "$.s"
		}
		inner := nestedFormat(d - 1)
		return "States.Format('{}{}', " + inner + ", " + inner + ")"
	}
	items := `{"items":[0` + strings.Repeat(",0", 99999) + `]}`
	s100k := `{"s":"` + strings.Repeat("a", 100<<10) + `"}`

	cases := []struct {
		name     string
		args     []string
		def      string
		input    string // written to a file, passed with --input-file
		exit     int
		want     string // in stdout+stderr
		maxWall  time.Duration
		maxRSSMB int64
	}{
		{name: "definition-over-1MiB", args: []string{"validate"},
			def:  `{"Comment":"` + strings.Repeat("x", 1<<20) + `","StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}`,
			exit: 1, want: "more than the limit of 1048576", maxWall: 10 * time.Second, maxRSSMB: 200},
		{name: "10000-states-runs", args: []string{"run"}, def: chain(10000),
			exit: 0, want: `"status":"SUCCEEDED"`, maxWall: 20 * time.Second, maxRSSMB: 400},
		{name: "10001-states-rejected", args: []string{"validate"}, def: chain(10001),
			exit: 1, want: "more than 10000 states", maxWall: 20 * time.Second, maxRSSMB: 400},
		{name: "json-nesting-10000", args: []string{"validate"},
			def:  pass(strings.Repeat(`{"a":`, 10000) + "1" + strings.Repeat("}", 10000)),
			exit: 1, want: "nests deeper than 64 levels", maxWall: 10 * time.Second, maxRSSMB: 200},
		{name: "array-nesting-10000", args: []string{"validate"},
			def:  pass(`{"a":` + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + `}`),
			exit: 1, want: "nests deeper than 64 levels", maxWall: 10 * time.Second, maxRSSMB: 200},
		{name: "map-100000-items", args: []string{"run"},
			def: `{"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.items",
  "ItemProcessor":{"ProcessorConfig":{"Mode":"INLINE"},"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},
  "ResultSelector":{"n.$":"States.ArrayLength($)"},"End":true}}}`,
			input: items, exit: 0, want: `"output":{"n":100000}`, maxWall: 60 * time.Second, maxRSSMB: 1000},
		{name: "endless-pass-loop", args: []string{"run", "--timeout", "2s"},
			def: `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"},
  "B":{"Type":"Choice","Choices":[{"Variable":"$","IsPresent":true,"Next":"A"}],"Default":"Done"},
  "Done":{"Type":"Succeed"}}}`,
			exit: 1, want: `"status":"TIMED_OUT"`, maxWall: 10 * time.Second, maxRSSMB: 200},
		{name: "endless-choice-loop", args: []string{"run", "--timeout", "2s"},
			def: `{"StartAt":"A","States":{"A":{"Type":"Pass","Parameters":{"n.$":"States.MathAdd($.n, 1)"},"Next":"C"},
  "C":{"Type":"Choice","Choices":[{"Variable":"$.n","NumericGreaterThan":-1,"Next":"A"}],"Default":"Done"},
  "Done":{"Type":"Succeed"}}}`,
			input: `{"n":0}`, exit: 1, want: `"status":"TIMED_OUT"`, maxWall: 10 * time.Second, maxRSSMB: 200},
		{name: "array-range-100000", args: []string{"run"}, def: pass(`{"r.$":"States.ArrayRange(1, 100000, 1)"}`),
			exit: 1, want: `"status":"FAILED"`, maxWall: 10 * time.Second, maxRSSMB: 200},
		{name: "format-over-256KiB", args: []string{"run"}, def: pass(`{"x.$":"States.Format('{}{}{}', $.s, $.s, $.s)"}`),
			input: s100k, exit: 1, want: `exceeds the maximum payload size of 262144 bytes`, maxWall: 10 * time.Second, maxRSSMB: 200},
		{name: "format-nested-2^9-copies", args: []string{"run"}, def: pass(`{"x.$":"` + nestedFormat(9) + `"}`),
			input: s100k, exit: 1, want: `"status":"FAILED"`, maxWall: 10 * time.Second, maxRSSMB: 400},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := append([]string{}, c.args...)
			if c.input != "" {
				args = append(args, "--input-file", write(c.name+".input.json", c.input))
			}
			args = append(args, write(c.name+".asl.json", c.def))
			ctx, cancel := context.WithTimeout(context.Background(), c.maxWall+30*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, args...)
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			start := time.Now()
			err := cmd.Run()
			wall := time.Since(start)
			code := 0
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			var rssMB int64 = -1
			if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
				rssMB = ru.Maxrss >> 10
			}
			text := out.String()
			short := text
			if len(short) > 300 {
				short = short[:300] + "…"
			}
			t.Logf("%s: exit %d in %s, peak RSS %d MiB: %s", c.name, code, wall.Round(time.Millisecond), rssMB, strings.TrimSpace(short))
			if code != c.exit {
				t.Errorf("exit %d, want %d", code, c.exit)
			}
			if strings.Contains(text, "panic") || strings.Contains(text, "goroutine ") {
				t.Errorf("the output shows a panic")
			}
			if !strings.Contains(text, c.want) {
				t.Errorf("the output lacks %q", c.want)
			}
			if wall > c.maxWall {
				t.Errorf("took %s, more than %s", wall, c.maxWall)
			}
			// Linux carries the parent's peak RSS into a child started with
			// vfork+exec (ru_maxrss is max'd over the address space it
			// replaced), so the figure only bounds the child when the test
			// process itself is smaller (not under -race).
			if self := selfPeakRSSMB(); rssMB > c.maxRSSMB && self < c.maxRSSMB {
				t.Errorf("peak RSS %d MiB, more than %d MiB", rssMB, c.maxRSSMB)
			}
		})
	}
}

// selfPeakRSSMB returns this process's peak RSS (VmHWM) in MiB, or a huge
// value when it cannot be read (so that no bound is asserted).
func selfPeakRSSMB() int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 1 << 40
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			var kb int64
			if _, err := fmt.Sscan(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), &kb); err == nil {
				return kb >> 10
			}
		}
	}
	return 1 << 40
}
