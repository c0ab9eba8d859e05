package vm

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseTimestamp(t *testing.T) {
	utc := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			panic(err)
		}
		return tm
	}
	tests := []struct {
		in   string
		ok   bool
		want time.Time // compared with Equal when ok
	}{
		{"2024-01-02T03:04:05Z", true, utc("2024-01-02T03:04:05Z")},
		{"2024-01-02T03:04:05+01:00", true, utc("2024-01-02T02:04:05Z")},
		{"2024-01-02T03:04:05-05:30", true, utc("2024-01-02T08:34:05Z")},
		{"2024-01-02T03:04:05+00:00", true, utc("2024-01-02T03:04:05Z")},
		{"2024-01-02T03:04:05.5Z", true, utc("2024-01-02T03:04:05.5Z")},
		{"2024-01-02T03:04:05.000Z", true, utc("2024-01-02T03:04:05Z")},
		{"2024-01-02T03:04:05.123456789Z", true, utc("2024-01-02T03:04:05.123456789Z")},
		{"2024-01-02T03:04:05.123456789+02:00", true, utc("2024-01-02T01:04:05.123456789Z")},
		{"2024-02-29T23:59:59Z", true, utc("2024-02-29T23:59:59Z")},
		{"0001-01-01T00:00:00Z", true, time.Time{}},

		{"2024-01-02t03:04:05Z", false, time.Time{}},
		{"2024-01-02T03:04:05z", false, time.Time{}},
		{"2024-01-02T03:04:05", false, time.Time{}},
		{"2024-01-02 03:04:05Z", false, time.Time{}},
		{"2024-13-02T03:04:05Z", false, time.Time{}},
		{"2024-00-02T03:04:05Z", false, time.Time{}},
		{"2024-01-32T03:04:05Z", false, time.Time{}},
		{"2023-02-29T03:04:05Z", false, time.Time{}},
		{"2024-01-02T24:00:00Z", false, time.Time{}},
		{"2024-01-02T03:60:05Z", false, time.Time{}},
		{"2024-01-02T03:04:05.1234567890Z", false, time.Time{}},
		{"2024-01-02T03:04:05.Z", false, time.Time{}},
		{"2024-01-02T03:04:05,5Z", false, time.Time{}},
		{"2024-01-02T03:04:05+0100", false, time.Time{}},
		{"2024-01-02T03:04:05+01", false, time.Time{}},
		{"2024-01-02T03:04:05+01:00:00", false, time.Time{}},
		{"2024-01-02T03:04:05+1:00", false, time.Time{}},
		{"2024-01-02T03:04:05Z ", false, time.Time{}},
		{" 2024-01-02T03:04:05Z", false, time.Time{}},
		{"2024-1-02T03:04:05Z", false, time.Time{}},
		{"24-01-02T03:04:05Z", false, time.Time{}},
		{"2024-01-02", false, time.Time{}},
		{"2024-01-02T03:04Z", false, time.Time{}},
		{"", false, time.Time{}},
		{"２024-01-02T03:04:05Z", false, time.Time{}},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, ok := ParseTimestamp(tc.in)
			if ok != tc.ok {
				t.Fatalf("ParseTimestamp(%q) ok = %v, want %v", tc.in, ok, tc.ok)
			}
			if ok && !got.Equal(tc.want) {
				t.Errorf("ParseTimestamp(%q) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
}

func TestCompilePattern(t *testing.T) {
	tests := []struct {
		pat  string
		want []string
	}{
		{"", []string{""}},
		{"abc", []string{"abc"}},
		{"*", []string{"", ""}},
		{"a*", []string{"a", ""}},
		{"*.txt", []string{"", ".txt"}},
		{"a*b*c", []string{"a", "b", "c"}},
		{"**", []string{"", "", ""}},
		{`a\*b*c`, []string{"a*b", "c"}},
		{`a\\*`, []string{`a\`, ""}},
		{`a\\\*`, []string{`a\*`}},
		{`a\b`, []string{`a\b`}},
		{`a\`, []string{`a\`}},
	}
	for _, tc := range tests {
		t.Run(tc.pat, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, CompilePattern(tc.pat)); diff != "" {
				t.Errorf("CompilePattern(%q) (-want +got):\n%s", tc.pat, diff)
			}
		})
	}
}

func TestStringMatches(t *testing.T) {
	tests := []struct {
		pat, s string
		want   bool
	}{
		{"", "", true},
		{"", "a", false},
		{"abc", "abc", true},
		{"abc", "abcd", false},
		{"*", "", true},
		{"*", "anything", true},
		{"**", "", true},
		{"a*", "a", true},
		{"a*", "abc", true},
		{"a*", "ba", false},
		{"*c", "abc", true},
		{"*c", "cb", false},
		{"a*c", "ac", true},
		{"a*c", "abbbc", true},
		{"a*c", "ab", false},
		{"a*a", "a", false},
		{"a*a", "aa", true},
		{"ab*ba", "aba", false},
		{"ab*ba", "abba", true},
		{"a*b*c", "aXbYc", true},
		{"a*b*c", "acb", false},
		{"*a*", "bab", true},
		{"*a*", "bbb", false},
		{"a*b*b", "abb", true},
		{"*ab*b", "ab", false},
		{"log-*.txt", "log-2024.txt", true},
		{"log-*.txt", "log-.txt", true},
		{"log-*.txt", "log-2024.txt.gz", false},
		{`a\*b`, "a*b", true},
		{`a\*b`, "axb", false},
		{`a\\b`, `a\b`, true},
		{`*\**`, "x*y", true},
		{`*\**`, "xy", false},
		{"é*ü", "éaü", true},
		{"*😀", "a😀", true},
	}
	for _, tc := range tests {
		t.Run(tc.pat+"~"+tc.s, func(t *testing.T) {
			if got := matchPattern(CompilePattern(tc.pat), tc.s); got != tc.want {
				t.Errorf("StringMatches(%q, %q) = %v, want %v", tc.s, tc.pat, got, tc.want)
			}
		})
	}
}
