package vm

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

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
