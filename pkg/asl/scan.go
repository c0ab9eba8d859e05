package asl

import (
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/expressd/expressd/pkg/value"
)

// scanner is a strict RFC 8259 JSON parser that builds a Node tree with the
// line, column and JSON Pointer of every value and member name. It stops at
// the first syntax error (the rest of the text cannot be trusted) but keeps
// going after duplicate member names, which it reports and drops.
type scanner struct {
	file      string
	data      []byte
	pos       int // byte offset
	line      int // 1-based line of pos
	lineStart int // offset of the first byte of the current line
	diags     Diagnostics
}

// syntaxError is raised (as a panic value, caught in parseJSON) to unwind
// the recursive descent on the first syntax error.
type syntaxError struct{ d Diagnostic }

func parseJSON(file string, data []byte) (n *Node, diags Diagnostics) {
	s := &scanner{file: file, data: data, line: 1}
	defer func() {
		if r := recover(); r != nil {
			se, ok := r.(syntaxError)
			if !ok {
				panic(r)
			}
			n = nil
			diags = append(s.diags, se.d)
		}
	}()
	s.skipWS()
	if s.pos >= len(s.data) {
		s.fail("unexpected end of JSON input")
	}
	n = s.value("", 1)
	s.skipWS()
	if s.pos < len(s.data) {
		s.fail("invalid character " + quoteChar(s.data[s.pos]) + " after top-level value")
	}
	return n, s.diags
}

func (s *scanner) here() Pos {
	return Pos{Offset: s.pos, Line: s.line, Col: s.pos - s.lineStart + 1}
}

func (s *scanner) fail(msg string) {
	panic(syntaxError{Diagnostic{File: s.file, Pos: s.here(), Code: CodeInvalidJSON, Msg: msg}})
}

func (s *scanner) skipWS() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\r':
		case '\n':
			s.line++
			s.lineStart = s.pos + 1
		default:
			return
		}
		s.pos++
	}
}

// value parses one value at s.pos (whitespace already skipped).
func (s *scanner) value(ptr string, depth int) *Node {
	if depth > MaxNestingDepth {
		panic(syntaxError{Diagnostic{File: s.file, Pos: s.here(), Pointer: ptr, Code: CodeLimit,
			Msg: "definition nests deeper than " + strconv.Itoa(MaxNestingDepth) + " levels"}})
	}
	n := &Node{Pos: s.here(), Pointer: ptr}
	switch c := s.data[s.pos]; {
	case c == '{':
		n.Kind = value.Object
		s.object(n, depth)
	case c == '[':
		n.Kind = value.Array
		s.array(n, depth)
	case c == '"':
		n.Kind = value.String
		n.Str = s.string()
	case c == '-' || c >= '0' && c <= '9':
		n.Kind = value.Number
		n.Num, n.Float = s.number()
	case c == 't':
		s.literal("true")
		n.Kind, n.Bool = value.Bool, true
	case c == 'f':
		s.literal("false")
		n.Kind = value.Bool
	case c == 'n':
		s.literal("null")
		n.Kind = value.Null
	default:
		s.fail("invalid character " + quoteChar(c) + " looking for beginning of value")
	}
	return n
}

func (s *scanner) literal(word string) {
	for i := 0; i < len(word); i++ {
		if s.pos >= len(s.data) {
			s.fail("unexpected end of JSON input")
		}
		if s.data[s.pos] != word[i] {
			s.fail("invalid character " + quoteChar(s.data[s.pos]) + " in literal " + word + " (expecting " + quoteChar(word[i]) + ")")
		}
		s.pos++
	}
}

func (s *scanner) next() byte {
	s.skipWS()
	if s.pos >= len(s.data) {
		s.fail("unexpected end of JSON input")
	}
	return s.data[s.pos]
}

func (s *scanner) object(n *Node, depth int) {
	s.pos++ // {
	c := s.next()
	if c == '}' {
		s.pos++
		return
	}
	for {
		if c != '"' {
			s.fail("invalid character " + quoteChar(c) + " looking for beginning of object key string")
		}
		kpos := s.here()
		key := s.string()
		if c = s.next(); c != ':' {
			s.fail("invalid character " + quoteChar(c) + " after object key")
		}
		s.pos++
		s.next()
		v := s.value(n.Pointer+"/"+escapePointer(key), depth+1)
		if n.index(key) >= 0 {
			s.diags = append(s.diags, Diagnostic{File: s.file, Pos: kpos, Pointer: v.Pointer, Code: CodeSchema,
				Msg: "duplicate member name " + strconv.Quote(key)})
		} else {
			n.Keys = append(n.Keys, key)
			n.KeyPos = append(n.KeyPos, kpos)
			n.Items = append(n.Items, v)
		}
		switch c = s.next(); c {
		case ',':
			s.pos++
			c = s.next()
		case '}':
			s.pos++
			return
		default:
			s.fail("invalid character " + quoteChar(c) + " after object member value")
		}
	}
}

func (s *scanner) array(n *Node, depth int) {
	s.pos++ // [
	if s.next() == ']' {
		s.pos++
		return
	}
	for i := 0; ; i++ {
		n.Items = append(n.Items, s.value(n.Pointer+"/"+strconv.Itoa(i), depth+1))
		switch c := s.next(); c {
		case ',':
			s.pos++
			s.next()
		case ']':
			s.pos++
			return
		default:
			s.fail("invalid character " + quoteChar(c) + " after array element")
		}
	}
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func (s *scanner) number() (string, float64) {
	d, start := s.data, s.pos
	if d[s.pos] == '-' {
		s.pos++
	}
	digits := func() {
		if s.pos >= len(d) {
			s.fail("unexpected end of JSON input")
		}
		if !isDigit(d[s.pos]) {
			s.fail("invalid character " + quoteChar(d[s.pos]) + " in numeric literal")
		}
		for s.pos < len(d) && isDigit(d[s.pos]) {
			s.pos++
		}
	}
	if s.pos < len(d) && d[s.pos] == '0' {
		s.pos++
	} else {
		digits()
	}
	if s.pos < len(d) && d[s.pos] == '.' {
		s.pos++
		digits()
	}
	if s.pos < len(d) && (d[s.pos] == 'e' || d[s.pos] == 'E') {
		s.pos++
		if s.pos < len(d) && (d[s.pos] == '+' || d[s.pos] == '-') {
			s.pos++
		}
		digits()
	}
	text := string(d[start:s.pos])
	// Out-of-range values saturate to ±Inf like Java's Double.parseDouble;
	// the range checks of the validator then reject them where it matters.
	f, _ := strconv.ParseFloat(text, 64)
	return text, f
}

// string decodes a string starting at the opening quote.
func (s *scanner) string() string {
	s.pos++
	d := s.data
	start := s.pos
	for s.pos < len(d) {
		c := d[s.pos]
		if c == '"' {
			str := string(d[start:s.pos])
			s.pos++
			return str
		}
		if c == '\\' || c < 0x20 || c >= utf8.RuneSelf {
			break
		}
		s.pos++
	}
	var b strings.Builder
	b.Write(d[start:s.pos])
	for {
		if s.pos >= len(d) {
			s.fail("unexpected end of JSON input")
		}
		c := d[s.pos]
		switch {
		case c == '"':
			s.pos++
			return b.String()
		case c < 0x20:
			s.fail("invalid character " + quoteChar(c) + " in string literal")
		case c == '\\':
			s.pos++
			if s.pos >= len(d) {
				s.fail("unexpected end of JSON input")
			}
			switch e := d[s.pos]; e {
			case '"', '\\', '/':
				b.WriteByte(e)
			case 'b':
				b.WriteByte('\b')
			case 'f':
				b.WriteByte('\f')
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case 'u':
				s.pos++
				r := s.hex4()
				if utf16.IsSurrogate(r) {
					// A valid pair becomes one rune; a lone surrogate
					// becomes U+FFFD, as encoding/json does.
					if s.pos+1 < len(d) && d[s.pos] == '\\' && d[s.pos+1] == 'u' {
						save := s.pos
						s.pos += 2
						r2 := s.hex4()
						if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
							b.WriteRune(dec)
							continue
						}
						s.pos = save
					}
					r = utf8.RuneError
				}
				b.WriteRune(r)
				continue
			default:
				s.fail("invalid character " + quoteChar(e) + " in string escape code")
			}
			s.pos++
		case c < utf8.RuneSelf:
			b.WriteByte(c)
			s.pos++
		default:
			r, size := utf8.DecodeRune(d[s.pos:])
			if r == utf8.RuneError && size == 1 {
				s.fail("invalid UTF-8 in string literal")
			}
			b.WriteRune(r)
			s.pos += size
		}
	}
}

// hex4 reads four hex digits at s.pos.
func (s *scanner) hex4() rune {
	var r rune
	for i := 0; i < 4; i++ {
		if s.pos >= len(s.data) {
			s.fail("unexpected end of JSON input")
		}
		c := s.data[s.pos]
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			s.fail("invalid character " + quoteChar(c) + " in \\u hexadecimal character escape")
		}
		r = r<<4 | rune(c)
		s.pos++
	}
	return r
}

// quoteChar formats c for a syntax error message, as encoding/json does.
func quoteChar(c byte) string {
	if c == '\'' {
		return `'\''`
	}
	if c == '"' {
		return `'"'`
	}
	if c >= utf8.RuneSelf {
		return `'\x` + strconv.FormatUint(uint64(c), 16) + "'"
	}
	q := strconv.Quote(string(rune(c)))
	return "'" + q[1:len(q)-1] + "'"
}

// escapePointer escapes one JSON Pointer reference token (RFC 6901).
func escapePointer(s string) string {
	if !strings.ContainsAny(s, "~/") {
		return s
	}
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(s)
}
