package value

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestAppendQuotedMatchesReference compares the word-at-a-time escaper with
// a byte-at-a-time reference on every byte value at every position.
func TestAppendQuotedMatchesReference(t *testing.T) {
	ref := func(s string) string {
		var b strings.Builder
		b.WriteByte('"')
		for i := 0; i < len(s); i++ {
			c := s[i]
			switch {
			case c == '"' || c == '\\':
				b.WriteByte('\\')
				b.WriteByte(c)
			case c == '\n':
				b.WriteString(`\n`)
			case c == '\r':
				b.WriteString(`\r`)
			case c == '\t':
				b.WriteString(`\t`)
			case c == '\b':
				b.WriteString(`\b`)
			case c == '\f':
				b.WriteString(`\f`)
			case c >= 0x80:
				b.WriteString(`\ufffd`) // alone, a byte >= 0x80 is invalid UTF-8
			case c < 0x20:
				b.WriteString(`\u00`)
				b.WriteByte(hexDigits[c>>4])
				b.WriteByte(hexDigits[c&0xf])
			default:
				b.WriteByte(c)
			}
		}
		b.WriteByte('"')
		return b.String()
	}
	for c := 0; c < 256; c++ {
		for pos := 0; pos < 19; pos++ {
			buf := []byte(strings.Repeat("abcdefgh", 3)[:19])
			buf[pos] = byte(c)
			s := string(buf)
			if got, want := string(AppendQuoted(nil, s)), ref(s); got != want {
				t.Fatalf("byte %#x at %d: got %q, want %q", c, pos, got, want)
			}
		}
	}
	// Valid JSON for a UTF-8 text with escapes.
	s := "h\u00e9llo \"w\\orld\"\n\x01 \U0001F600 tail-of-text"
	var back string
	if err := json.Unmarshal(AppendQuoted(nil, s), &back); err != nil || back != s {
		t.Errorf("round trip: %q %v", back, err)
	}
}

// TestAppendQuotedUTF8 round-trips valid UTF-8 with multi-byte characters at
// every offset (across the 8-byte chunks) and checks that invalid bytes
// become U+FFFD, so the output is always valid JSON.
func TestAppendQuotedUTF8(t *testing.T) {
	for _, r := range []string{"é", "✓", "😀", "\u2028", "\uFFFD"} {
		for pad := 0; pad < 17; pad++ {
			s := strings.Repeat("a", pad) + r + strings.Repeat("b", 17-pad) + r
			var back string
			if err := json.Unmarshal(AppendQuoted(nil, s), &back); err != nil || back != s {
				t.Fatalf("%q: round trip gave %q, %v", s, back, err)
			}
		}
	}
	for _, bad := range []string{"\xff", "a\xe2\x9cb", "\xf0\x9f\x98", strings.Repeat("x", 9) + "\x82"} {
		out := AppendQuoted(nil, bad)
		if !json.Valid(out) || !utf8.Valid(out) {
			t.Errorf("%q: output %q is not valid JSON/UTF-8", bad, out)
		}
	}
}
