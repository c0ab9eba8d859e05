package value

import (
	"encoding/binary"
	"math"
	"strconv"
	"sync"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// MaxDepth is the default nesting limit of Parse. Step Functions payloads are
// at most 256 KiB, so a legitimate document can be deeply nested only on
// purpose; 512 levels is far beyond any real workflow payload while keeping
// recursive walks (encode, equal, paths) well within the goroutine stack.
const MaxDepth = 512

// SyntaxError is a JSON syntax error with the byte offset where it was found.
type SyntaxError struct {
	Offset int    // byte offset of the problem in the input
	Msg    string // what is wrong
}

func (e *SyntaxError) Error() string {
	return "invalid JSON at offset " + strconv.Itoa(e.Offset) + ": " + e.Msg
}

// Parse decodes one JSON document (RFC 8259, UTF-8) into a Value. Leading and
// trailing white space is allowed; anything else after the value is an error.
// Nesting deeper than MaxDepth is an error.
func Parse(data []byte) (Value, error) {
	return ParseDepth(data, MaxDepth)
}

// ParseDepth is Parse with an explicit nesting limit.
func ParseDepth(data []byte, maxDepth int) (Value, error) {
	return parse(data, maxDepth, false)
}

// ParseOwned is Parse for a buffer that the caller hands over: string
// values without escapes refer to data instead of copying it, so data must
// never be modified afterwards (a NATS message's payload, a file read for
// this purpose). The whole buffer stays alive while any such string does.
func ParseOwned(data []byte) (Value, error) {
	return parse(data, MaxDepth, true)
}

// Decoder parses JSON documents one after another, keeping its scratch
// space and its cache of member names between them (Parse draws a parser
// from a pool instead, which the garbage collector empties). A Decoder is
// not safe for concurrent use: keep one per goroutine.
type Decoder struct {
	p parser
}

// Parse is value.Parse on the decoder's scratch space.

// ParseOwned is value.ParseOwned on the decoder's scratch space.
func (d *Decoder) ParseOwned(data []byte) (Value, error) { return d.p.run(data, MaxDepth, true) }

func parse(data []byte, maxDepth int, owned bool) (Value, error) {
	p := parsers.Get().(*parser)
	v, err := p.run(data, maxDepth, owned)
	parsers.Put(p)
	return v, err
}

// run parses one document and leaves p ready for the next.
func (p *parser) run(data []byte, maxDepth int, owned bool) (Value, error) {
	defer func() {
		p.data = nil
		p.pop(0, 0)
	}()
	p.data, p.pos, p.maxDepth, p.owned = data, 0, maxDepth, owned
	p.skipWS()
	v, err := p.value(0)
	if err != nil {
		return Value{}, err
	}
	p.skipWS()
	if p.pos != len(p.data) {
		return Value{}, p.errf("unexpected data after the JSON value")
	}
	return v, nil
}

// ParseString is Parse for a string argument.
func ParseString(s string) (Value, error) { return Parse([]byte(s)) }

// MustParse is Parse for literals in tests and examples; it panics on error.
func MustParse(s string) Value {
	v, err := Parse([]byte(s))
	if err != nil {
		panic(err)
	}
	return v
}

type parser struct {
	data     []byte
	pos      int
	maxDepth int
	scratch  []byte
	owned    bool     // data belongs to the result: strings may refer to it
	keys     []string // member names of the objects being parsed
	vals     []Value  // members and elements of the containers being parsed
	intern   [internSlots]string
}

// parsers recycles parser scratch space (stacks, interned names) across
// Parse calls.
var parsers = sync.Pool{New: func() any { return new(parser) }}

func (p *parser) errf(msg string) error { return &SyntaxError{Offset: p.pos, Msg: msg} }

func (p *parser) skipWS() {
	for p.pos < len(p.data) {
		switch p.data[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

func (p *parser) value(depth int) (Value, error) {
	if p.pos >= len(p.data) {
		return Value{}, p.errf("unexpected end of input")
	}
	switch c := p.data[p.pos]; {
	case c == '{':
		if depth >= p.maxDepth {
			return Value{}, p.errf("nesting deeper than " + strconv.Itoa(p.maxDepth) + " levels")
		}
		return p.object(depth + 1)
	case c == '[':
		if depth >= p.maxDepth {
			return Value{}, p.errf("nesting deeper than " + strconv.Itoa(p.maxDepth) + " levels")
		}
		return p.array(depth + 1)
	case c == '"':
		s, err := p.string()
		if err != nil {
			return Value{}, err
		}
		return FromString(s), nil
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	case c == 't':
		return p.literal("true", True)
	case c == 'f':
		return p.literal("false", False)
	case c == 'n':
		return p.literal("null", NullValue)
	default:
		return Value{}, p.errf("unexpected character " + strconv.QuoteRune(rune(c)))
	}
}

func (p *parser) literal(word string, v Value) (Value, error) {
	if len(p.data)-p.pos >= len(word) && string(p.data[p.pos:p.pos+len(word)]) == word {
		p.pos += len(word)
		return v, nil
	}
	return Value{}, p.errf("invalid literal, expected " + word)
}

func (p *parser) object(depth int) (Value, error) {
	p.pos++ // {
	p.skipWS()
	if p.pos < len(p.data) && p.data[p.pos] == '}' {
		p.pos++
		v, _, _ := MakeObject(0)
		return v, nil
	}
	// Members are collected on the parser's stacks and copied into one
	// exactly sized allocation when the object ends.
	// An object inside an array sits above the array's elements on the
	// value stack, so names and values have separate bases.
	// On error the stacks are left as they are: ParseDepth resets them.
	base, vbase := len(p.keys), len(p.vals)
	var seen map[string]int // member index, from indexThreshold members on
	for {
		p.skipWS()
		if p.pos >= len(p.data) || p.data[p.pos] != '"' {
			return Value{}, p.errf("expected a string for an object member name")
		}
		k, err := p.key()
		if err != nil {
			return Value{}, err
		}
		p.skipWS()
		if p.pos >= len(p.data) || p.data[p.pos] != ':' {
			return Value{}, p.errf("expected ':' after an object member name")
		}
		p.pos++
		p.skipWS()
		v, err := p.value(depth)
		if err != nil {
			return Value{}, err
		}
		// Duplicate names: the last one wins, as in Jackson (AWS) and encoding/json.
		dup := -1
		members := p.keys[base:]
		if seen != nil {
			if i, ok := seen[k]; ok {
				dup = i
			}
		} else {
			for i, kk := range members {
				if kk == k {
					dup = i
					break
				}
			}
		}
		if dup >= 0 {
			p.vals[vbase+dup] = v
		} else {
			p.keys = append(p.keys, k)
			p.vals = append(p.vals, v)
			n := len(p.keys) - base
			if seen != nil {
				seen[k] = n - 1
			} else if n >= indexThreshold {
				seen = make(map[string]int, 2*n)
				for i, kk := range p.keys[base:] {
					seen[kk] = i
				}
			}
		}
		p.skipWS()
		if p.pos >= len(p.data) {
			return Value{}, p.errf("unexpected end of input in an object")
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
		case '}':
			p.pos++
			n := len(p.keys) - base
			if depth == 1 && n < 8 {
				// The top-level object of a payload is where ResultPath adds
				// members: give it room so an owner can add them in place.
				obj, keys, vals := MakeObject(8)
				c := obj.cont()
				c.keys, c.items = keys[:n], vals[:n]
				copy(c.keys, p.keys[base:])
				copy(c.items, p.vals[vbase:])
				p.pop(base, vbase)
				return obj, nil
			}
			obj, keys, vals := MakeObject(n)
			copy(keys, p.keys[base:])
			copy(vals, p.vals[vbase:])
			p.pop(base, vbase)
			return obj, nil
		default:
			return Value{}, p.errf("expected ',' or '}' in an object")
		}
	}
}

func (p *parser) array(depth int) (Value, error) {
	p.pos++ // [
	p.skipWS()
	if p.pos < len(p.data) && p.data[p.pos] == ']' {
		p.pos++
		v, _ := MakeArray(0)
		return v, nil
	}
	base := len(p.vals)
	for {
		p.skipWS()
		v, err := p.value(depth)
		if err != nil {
			return Value{}, err
		}
		p.vals = append(p.vals, v)
		p.skipWS()
		if p.pos >= len(p.data) {
			return Value{}, p.errf("unexpected end of input in an array")
		}
		switch p.data[p.pos] {
		case ',':
			p.pos++
		case ']':
			p.pos++
			arr, items := MakeArray(len(p.vals) - base)
			copy(items, p.vals[base:])
			p.pop(len(p.keys), base)
			return arr, nil
		default:
			return Value{}, p.errf("expected ',' or ']' in an array")
		}
	}
}

// pop truncates the name and value stacks, dropping the references they held.
func (p *parser) pop(keys, vals int) {
	clear(p.keys[keys:])
	clear(p.vals[vals:])
	p.keys, p.vals = p.keys[:keys], p.vals[:vals]
}

// key decodes an object member name. Names repeat across documents of a
// workload, so the parser keeps recent names in a small direct-mapped
// cache: a repeated name costs no allocation and no hashing.
func (p *parser) key() (string, error) {
	d := p.data
	start := p.pos + 1
	for i := start; i < len(d) && i-start <= maxInternLen; i++ {
		c := d[i]
		if c == '"' {
			if i == start {
				p.pos = i + 1
				return "", nil
			}
			b := d[start:i]
			slot := &p.intern[internSlot(b)]
			if *slot == string(b) { // no allocation: the compiler compares in place
				p.pos = i + 1
				return *slot, nil
			}
			k := string(b)
			*slot = k
			p.pos = i + 1
			return k, nil
		}
		if c == '\\' || c < 0x20 || c >= utf8.RuneSelf {
			break
		}
	}
	return p.string()
}

// internSlot hashes a short ASCII name to a cache slot.
func internSlot(b []byte) int {
	h := uint(len(b))*0x9E3779B1 ^ uint(b[0])<<8 ^ uint(b[len(b)-1]) ^ uint(b[len(b)/2])<<16
	return int(h^h>>7) & (internSlots - 1)
}

// Interning bounds: names longer than maxInternLen (or with escapes or
// non-ASCII characters) are not interned; the cache has internSlots
// entries, a newer name replacing an older one in its slot.
const (
	maxInternLen = 64
	internSlots  = 512
)

func (p *parser) number() (Value, error) {
	start := p.pos
	d := p.data
	neg := false
	if p.pos < len(d) && d[p.pos] == '-' {
		neg = true
		p.pos++
	}
	if p.pos >= len(d) {
		return Value{}, p.errf("invalid number")
	}
	// mant accumulates up to 19 significant digits for the fast path.
	var mant uint64
	digits, frac := 0, 0
	if d[p.pos] == '0' {
		p.pos++
	} else if d[p.pos] >= '1' && d[p.pos] <= '9' {
		for p.pos < len(d) && d[p.pos] >= '0' && d[p.pos] <= '9' {
			if digits < 19 {
				mant = mant*10 + uint64(d[p.pos]-'0')
			}
			digits++
			p.pos++
		}
	} else {
		return Value{}, p.errf("invalid number")
	}
	if p.pos < len(d) && d[p.pos] == '.' {
		p.pos++
		if p.pos >= len(d) || d[p.pos] < '0' || d[p.pos] > '9' {
			return Value{}, p.errf("invalid number: digit expected after '.'")
		}
		for p.pos < len(d) && d[p.pos] >= '0' && d[p.pos] <= '9' {
			if digits < 19 {
				mant = mant*10 + uint64(d[p.pos]-'0')
			}
			if mant != 0 || d[p.pos] != '0' {
				digits++
			}
			frac++
			p.pos++
		}
	}
	exact := true
	if p.pos < len(d) && (d[p.pos] == 'e' || d[p.pos] == 'E') {
		exact = false
		p.pos++
		if p.pos < len(d) && (d[p.pos] == '+' || d[p.pos] == '-') {
			p.pos++
		}
		if p.pos >= len(d) || d[p.pos] < '0' || d[p.pos] > '9' {
			return Value{}, p.errf("invalid number: digit expected in exponent")
		}
		for p.pos < len(d) && d[p.pos] >= '0' && d[p.pos] <= '9' {
			p.pos++
		}
	}
	var text string
	if p.owned {
		text = unsafe.String(&d[start], p.pos-start) // data is never modified (ParseOwned)
	} else {
		text = string(d[start:p.pos])
	}
	// Fast path, exact as strconv's: up to 15 significant digits and 22
	// fraction digits make mant and 10^frac exact float64s, and one
	// division rounds correctly.
	if exact && digits <= 15 && frac <= 22 {
		f := float64(mant) / pow10[frac]
		if neg {
			f = -f
		}
		return NumberText(text, f), nil
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil {
		// Out of range: ParseFloat returns ±Inf with ErrRange. Keep the text,
		// the value saturates like Java's Double.parseDouble.
		if ne, ok := err.(*strconv.NumError); !ok || ne.Err != strconv.ErrRange {
			p.pos = start
			return Value{}, p.errf("invalid number")
		}
	}
	return NumberText(text, f), nil
}

// pow10 holds the powers of ten that are exact float64s.
var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// string decodes a JSON string starting at the opening quote.
func (p *parser) string() (string, error) {
	p.pos++ // opening quote
	d := p.data
	start := p.pos
	// Fast path: no escapes, ASCII or valid UTF-8.
	for p.pos < len(d) {
		c := d[p.pos]
		if c == '"' {
			var s string
			if p.owned && p.pos > start {
				s = unsafe.String(&d[start], p.pos-start) // data is never modified (ParseOwned)
			} else {
				s = string(d[start:p.pos])
			}
			p.pos++
			return s, nil
		}
		if c == '\\' {
			break
		}
		if c < 0x20 {
			return "", p.errf("control character in a string")
		}
		if c < utf8.RuneSelf {
			p.pos++
			continue
		}
		r, n := utf8.DecodeRune(d[p.pos:])
		if r == utf8.RuneError && n == 1 {
			return "", p.errf("invalid UTF-8 in a string")
		}
		p.pos += n
	}
	if p.pos >= len(d) {
		return "", p.errf("unterminated string")
	}
	buf := append(p.scratch[:0], d[start:p.pos]...)
	for p.pos < len(d) {
		c := d[p.pos]
		switch {
		case c == '"':
			p.pos++
			p.scratch = buf
			return string(buf), nil
		case c == '\\':
			p.pos++
			if p.pos >= len(d) {
				return "", p.errf("unterminated string")
			}
			e := d[p.pos]
			p.pos++
			switch e {
			case '"', '\\', '/':
				buf = append(buf, e)
			case 'b':
				buf = append(buf, '\b')
			case 'f':
				buf = append(buf, '\f')
			case 'n':
				buf = append(buf, '\n')
			case 'r':
				buf = append(buf, '\r')
			case 't':
				buf = append(buf, '\t')
			case 'u':
				r, ok := p.hex4()
				if !ok {
					return "", p.errf("invalid \\u escape")
				}
				if utf16.IsSurrogate(r) {
					// A high surrogate followed by an escaped low surrogate is one
					// character; a lone surrogate becomes U+FFFD (as encoding/json).
					if p.pos+1 < len(d) && d[p.pos] == '\\' && d[p.pos+1] == 'u' {
						save := p.pos
						p.pos += 2
						r2, ok2 := p.hex4()
						if ok2 {
							if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
								buf = utf8.AppendRune(buf, dec)
								continue
							}
						}
						p.pos = save
					}
					r = utf8.RuneError
				}
				buf = utf8.AppendRune(buf, r)
			default:
				p.pos--
				return "", p.errf("invalid escape character " + strconv.QuoteRune(rune(e)))
			}
		case c < 0x20:
			return "", p.errf("control character in a string")
		case c < utf8.RuneSelf:
			buf = append(buf, c)
			p.pos++
		default:
			r, n := utf8.DecodeRune(d[p.pos:])
			if r == utf8.RuneError && n == 1 {
				return "", p.errf("invalid UTF-8 in a string")
			}
			buf = append(buf, d[p.pos:p.pos+n]...)
			p.pos += n
		}
	}
	return "", p.errf("unterminated string")
}

func (p *parser) hex4() (rune, bool) {
	if len(p.data)-p.pos < 4 {
		return 0, false
	}
	var r rune
	for i := 0; i < 4; i++ {
		c := p.data[p.pos+i]
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	p.pos += 4
	return r, true
}

// AppendJSON appends the compact JSON encoding of v to dst. Strings are
// escaped as Jackson (and so AWS) does: quote, backslash and control
// characters only; non-ASCII text is written as UTF-8.
func AppendJSON(dst []byte, v Value) []byte {
	switch v.kind {
	case Null:
		return append(dst, "null"...)
	case Bool:
		if v.n != 0 {
			return append(dst, "true"...)
		}
		return append(dst, "false"...)
	case Number:
		return AppendNumber(dst, v)
	case String:
		return AppendQuoted(dst, v.s())
	case Array:
		dst = append(dst, '[')
		for i, x := range v.cont().items {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = AppendJSON(dst, x)
		}
		return append(dst, ']')
	case Object:
		dst = append(dst, '{')
		for i, x := range v.cont().items {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = AppendQuoted(dst, v.cont().keys[i])
			dst = append(dst, ':')
			dst = AppendJSON(dst, x)
		}
		return append(dst, '}')
	}
	return dst
}

// AppendNumber appends the JSON text of number v: its source text when it has
// one, else the shortest text that parses back to the same float64, without
// an exponent for integral values below 1e21.
func AppendNumber(dst []byte, v Value) []byte {
	if t := v.text(); t != "" {
		return append(dst, t...)
	}
	f := v.f()
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(dst, "null"...)
	}
	if f == math.Trunc(f) && math.Abs(f) < 1e21 {
		if f == 0 {
			return append(dst, '0')
		}
		return strconv.AppendFloat(dst, f, 'f', 0, 64)
	}
	return strconv.AppendFloat(dst, f, 'g', -1, 64)
}

const hexDigits = "0123456789abcdef"

// safeByte marks the bytes that a JSON string holds as they are: ASCII
// from 0x20 except '"' and '\\'.
var safeByte = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// AppendQuoted appends s as a JSON string literal.
func AppendQuoted(dst []byte, s string) []byte {
	// Fast path: plain ASCII without escapes (most names and values),
	// 8 bytes at a time, then byte by byte.
	i := 0
	for i+8 <= len(s) && !needsEscape8(load64(s, i)) {
		i += 8
	}
	for i < len(s) && safeByte[s[i]] {
		i++
	}
	dst = append(dst, '"')
	if i == len(s) {
		dst = append(dst, s...)
		return append(dst, '"')
	}
	return appendQuotedRest(dst, s, i)
}

// appendQuotedRest continues AppendQuoted from the first byte at i that
// needs attention; s[:i] is not written yet.
func appendQuotedRest(dst []byte, s string, i int) []byte {
	start := 0
	for i < len(s) {
		// Skip 8 bytes at a time while none needs escaping (SWAR: no byte
		// below 0x20, no '"', no '\\').
		for i+8 <= len(s) && !needsEscape8(load64(s, i)) {
			i += 8
		}
		if i >= len(s) {
			break
		}
		c := s[i]
		if c >= utf8.RuneSelf {
			// Valid UTF-8 is written as it is; an invalid byte becomes
			// U+FFFD, so the output is always valid JSON (strings from the
			// parser are valid already; subjects and headers may not be).
			r, n := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && n == 1 {
				dst = append(dst, s[start:i]...)
				dst = append(dst, `\ufffd`...)
				i++
				start = i
				continue
			}
			i += n
			continue
		}
		if c >= 0x20 && c != '"' && c != '\\' {
			i++
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		case '\b':
			dst = append(dst, '\\', 'b')
		case '\f':
			dst = append(dst, '\\', 'f')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		i++
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// load64 reads 8 bytes of s at i, little endian (one load).
func load64(s string, i int) uint64 {
	return binary.LittleEndian.Uint64(unsafe.Slice(unsafe.StringData(s[i:i+8]), 8))
}

// needsEscape8 reports whether any of the 8 bytes in x is below 0x20, '"',
// '\\' or non-ASCII (non-ASCII text is checked byte by byte for valid
// UTF-8). False positives only cost speed; there are no false negatives.
func needsEscape8(x uint64) bool {
	lt20 := (x - lsb*0x20) &^ x
	q := x ^ (lsb * '"')
	bs := x ^ (lsb * '\\')
	eq := (q-lsb)&^q | (bs-lsb)&^bs
	return (lt20|eq|x)&msb != 0
}

// JSON returns the compact JSON encoding of v.
func (v Value) JSON() string { return string(AppendJSON(nil, v)) }

// String returns the compact JSON encoding of v (for debugging and tests).
func (v Value) String() string { return v.JSON() }

// Size returns the length in bytes of the compact JSON encoding of v,
// without building it; the payload limit is checked with it.
func Size(v Value) int {
	switch v.kind {
	case Null:
		return 4
	case Bool:
		if v.n != 0 {
			return 4
		}
		return 5
	case Number:
		if v.p != nil {
			return int(v.tlen)
		}
		var buf [32]byte
		return len(AppendNumber(buf[:0], v))
	case String:
		return quotedLen(v.s())
	case Array:
		n := 2
		for i, x := range v.cont().items {
			if i > 0 {
				n++
			}
			n += Size(x)
		}
		return n
	case Object:
		n := 2
		for i, x := range v.cont().items {
			if i > 0 {
				n++
			}
			n += quotedLen(v.cont().keys[i]) + 1 + Size(x)
		}
		return n
	}
	return 0
}

func quotedLen(s string) int {
	n := 2 + len(s)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\' || c == '\n' || c == '\r' || c == '\t' || c == '\b' || c == '\f':
			n++
		case c < 0x20:
			n += 5
		}
	}
	return n
}
