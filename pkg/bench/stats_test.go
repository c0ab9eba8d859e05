package bench

import (
	"strings"
	"testing"
	"time"
)

func TestPercentiles(t *testing.T) {
	ms := func(ns ...int) []time.Duration {
		out := make([]time.Duration, len(ns))
		for i, n := range ns {
			out[i] = time.Duration(n) * time.Millisecond
		}
		return out
	}
	// 1..1000 ms shuffled: nearest rank.
	var s []time.Duration
	for i := 1000; i >= 1; i-- {
		s = append(s, time.Duration(i)*time.Millisecond)
	}
	got := Percentiles(s, 50, 99, 99.9, 100, 0.01)
	want := ms(500, 990, 999, 1000, 1)
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("percentile %d: got %v, want %v", i, got[i], want[i])
		}
	}
	if got := Percentiles(ms(7), 50, 99.9); got[0] != 7*time.Millisecond || got[1] != 7*time.Millisecond {
		t.Errorf("one sample: got %v", got)
	}
	if got := Percentiles(nil, 50); got[0] != 0 {
		t.Errorf("no samples: got %v", got)
	}
	if got := Percentiles(ms(1, 2), 50); got[0] != time.Millisecond {
		t.Errorf("two samples p50: got %v, want 1ms", got[0])
	}
}

func TestGroup(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -12345: "-12,345"} {
		if got := Group(n); got != want {
			t.Errorf("Group(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestFormatProgress(t *testing.T) {
	s := Snapshot{Label: "e2e ref", Done: 42_000, Total: 100_000, Elapsed: 800 * time.Millisecond, Rate: 51234.4, Extra: "published 60,000"}
	bar := FormatBar(s)
	want := "e2e ref [##########··············]  42.0%  42,000/100,000  51,234/s  0.8s  published 60,000"
	if bar != want {
		t.Errorf("bar:\n got %q\nwant %q", bar, want)
	}
	if line := FormatLine(s); line != "e2e ref: 42,000/100,000 (42.0%) 51,234/s 0.8s published 60,000" {
		t.Errorf("line: %q", line)
	}
	full := FormatBar(Snapshot{Label: "x", Done: 10, Total: 10})
	if !strings.Contains(full, "["+strings.Repeat("#", BarWidth)+"]") || !strings.Contains(full, "100.0%") {
		t.Errorf("full bar: %q", full)
	}
	over := FormatBar(Snapshot{Label: "x", Done: 12, Total: 10}) // duplicates may overshoot
	if !strings.Contains(over, "100.0%") {
		t.Errorf("overshoot: %q", over)
	}
	if empty := FormatBar(Snapshot{Label: "x"}); !strings.Contains(empty, "0.0%") {
		t.Errorf("unknown total: %q", empty)
	}
}

func TestProgressPlainLines(t *testing.T) {
	var b strings.Builder
	p := NewProgress(&b, false, "t", 10, func() (int64, string) { return 5, "" })
	p.every = 10 * time.Millisecond
	p.Start()
	time.Sleep(35 * time.Millisecond)
	p.Stop()
	out := b.String()
	if !strings.Contains(out, "t: 5/10 (50.0%)") || strings.Contains(out, "\r") {
		t.Errorf("plain progress output %q", out)
	}
	var nilp *Progress // no writer: no progress, no panic
	nilp.Start()
	nilp.Stop()
	if NewProgress(nil, true, "t", 1, nil) != nil {
		t.Error("NewProgress(nil writer) should be nil")
	}
}

func TestEventID(t *testing.T) {
	for body, want := range map[string]int{
		`{"output":{"msg_id":"e-9"},"event":{"stream":"S","seq":1,"subject":"s","msg_id":"e-123"}}`: 123,
		`{"event":{"msg_id":"e-0"}}`: 0,
	} {
		if got, ok := eventID([]byte(body)); !ok || got != want {
			t.Errorf("eventID(%s) = %d, %v; want %d", body, got, ok, want)
		}
	}
	for _, body := range []string{`{"event":{"msg_id":"x-1"}}`, `{"event":{"msg_id":"e-"}}`, `{"event":{"msg_id":"e-1x"}}`, `{}`} {
		if _, ok := eventID([]byte(body)); ok {
			t.Errorf("eventID(%s) should fail", body)
		}
	}
}
