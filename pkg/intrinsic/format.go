package intrinsic

import (
	"github.com/expressd/expressd/pkg/value"
)

// template is a States.Format template split at its placeholders: segs holds
// the literal text around the "{}"s, so there are len(segs)-1 placeholders.
// A malformed template is kept with err set, because AWS reports it when the
// state runs, not when the definition is created.
type template struct {
	segs []string
	err  string
}

// Causes of malformed templates. The first is the wording AWS uses
// (aws-cdk#29261); the second mirrors it for a lone '}'.
const (
	causeOpenBrace  = "Invalid template in States.Format: matching '}' not found for '{'."
	causeCloseBrace = "Invalid template in States.Format: matching '{' not found for '}'."
)

// compileTemplate splits a template written with intrinsic string escapes:
// "{}" is a placeholder, \{ \} \' and \\ stand for the character itself, any
// other '{' or '}' is an error. For a literal template s is the text between
// the quotes as written; for a template read from a path it is the string
// value, interpreted the same way.
func compileTemplate(s string) *template {
	t := &template{}
	var cur []byte
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			if i+1 < len(s) {
				switch e := s[i+1]; e {
				case '{', '}', '\'', '\\':
					cur = append(cur, e)
					i++
					continue
				}
			}
			cur = append(cur, c)
		case '{':
			if i+1 < len(s) && s[i+1] == '}' {
				t.segs = append(t.segs, string(cur))
				cur = cur[:0]
				i++
				continue
			}
			return &template{err: causeOpenBrace}
		case '}':
			return &template{err: causeCloseBrace}
		default:
			cur = append(cur, c)
		}
	}
	t.segs = append(t.segs, string(cur))
	return t
}

// appendFormat renders v the way States.Format does, which is Java's
// toString of the parsed JSON: strings raw (no quotes), numbers, booleans
// and null as their JSON text, arrays as "[a, b]" and objects as
// "{k1=v1, k2=v2}" in member order, nested values rendered the same way.
func appendFormat(dst []byte, v value.Value) []byte {
	switch v.Kind() {
	case value.String:
		return append(dst, v.Str()...)
	case value.Array:
		dst = append(dst, '[')
		for i, x := range v.Items() {
			if i > 0 {
				dst = append(dst, ", "...)
			}
			dst = appendFormat(dst, x)
		}
		return append(dst, ']')
	case value.Object:
		dst = append(dst, '{')
		for i, x := range v.Items() {
			if i > 0 {
				dst = append(dst, ", "...)
			}
			dst = append(dst, v.Key(i)...)
			dst = append(dst, '=')
			dst = appendFormat(dst, x)
		}
		return append(dst, '}')
	}
	return value.AppendJSON(dst, v)
}
