package jsonpath

import (
	"math"
	"strconv"
	"strings"

	"github.com/expressd/expressd/pkg/value"
)

// SyntaxError is a path that does not parse. Pos is the byte offset in Path
// where the problem was found.
type SyntaxError struct {
	Pos  int    // byte offset of the problem in Path
	Msg  string // what is wrong
	Path string // the path text as given
}

// Error returns "jsonpath: <path>: position N: <msg>".
func (e *SyntaxError) Error() string {
	return "jsonpath: " + strconv.Quote(e.Path) + ": position " + strconv.Itoa(e.Pos) + ": " + e.Msg
}

// NotFoundError reports that a definite path selected nothing. Its Error text
// is the message of Jayway's PathNotFoundException, which AWS embeds in the
// cause of States.Runtime failures. Callers build the AWS cause as
//
//	"Invalid path '" + p.String() + "' : " + err.Error()
//
// e.g. "Invalid path '$.X' : No results for path: $['X']".
type NotFoundError struct {
	Path string // the path text
	norm string // the normalised path, Jayway's path.toString()
	msg  string // the Jayway message
}

// Error returns the Jayway message, e.g. "No results for path: $['X']" or
// "Missing property in path $['no']".
func (e *NotFoundError) Error() string { return e.msg }

// Normalized returns the whole path normalised Jayway-style, e.g.
// "$['a']['b'][0]".
func (e *NotFoundError) Normalized() string { return e.norm }

// SetError reports that [Path.Set] could not store a value: a member step met
// a non-object, or an index step a non-array or an index out of range. The
// caller maps it to States.ResultPathMatchFailure.
type SetError struct {
	Path string // the reference path text
	At   string // normalised prefix of the path where the problem is
	Msg  string // what is wrong
}

// Error returns "jsonpath: cannot apply <path>: <msg>".
func (e *SetError) Error() string {
	return "jsonpath: cannot apply reference path " + e.Path + ": " + e.Msg
}

// jsonProvider is the Jayway JsonProvider named in "not a json object"
// messages. AWS does not document which provider it configures; Jackson is
// the JSON library of the AWS Java stack, so we assume JacksonJsonProvider.
const jsonProvider = "com.jayway.jsonpath.spi.json.JacksonJsonProvider"

// javaClass returns the Java class Jackson decodes v into, as Jayway prints
// it in error messages.
func javaClass(v value.Value) string {
	switch v.Kind() {
	case value.Null:
		return "null"
	case value.Bool:
		return "java.lang.Boolean"
	case value.String:
		return "java.lang.String"
	case value.Array:
		return "java.util.ArrayList"
	case value.Object:
		return "java.util.LinkedHashMap"
	}
	if !v.IsInteger() {
		return "java.lang.Double"
	}
	f := v.Float()
	switch {
	case f >= math.MinInt32 && f <= math.MaxInt32:
		return "java.lang.Integer"
	case f >= -(1<<63) && f < 1<<63:
		return "java.lang.Long"
	}
	return "java.math.BigInteger"
}

// appendJava appends v as Java's toString of the Jackson-decoded object
// prints it: maps as {k=v, ...}, lists as [a, b], strings unquoted.
func appendJava(b []byte, v value.Value, depth int) []byte {
	if depth > value.MaxDepth {
		return append(b, "..."...)
	}
	switch v.Kind() {
	case value.Null:
		return append(b, "null"...)
	case value.Bool:
		return strconv.AppendBool(b, v.Bool())
	case value.String:
		return append(b, v.Str()...)
	case value.Number:
		if !v.IsInteger() {
			f := v.Float()
			if s := strconv.FormatFloat(f, 'g', -1, 64); !strings.ContainsAny(s, ".eEn") {
				return append(append(b, s...), ".0"...)
			}
		}
		return value.AppendNumber(b, v)
	case value.Array:
		b = append(b, '[')
		for i, x := range v.Items() {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = appendJava(b, x, depth+1)
		}
		return append(b, ']')
	}
	b = append(b, '{')
	keys := v.Keys()
	for i, x := range v.Items() {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = append(b, keys[i]...)
		b = append(b, '=')
		b = appendJava(b, x, depth+1)
	}
	return append(b, '}')
}

// notFound builds the error for a definite path that failed at step i on
// the value cur. It runs only on the error path, so it may allocate.
func (p *Path) notFound(i int, cur value.Value) *NotFoundError {
	norm := p.Normalized()
	e := &NotFoundError{Path: p.src, norm: norm}
	// evalPath is Jayway's currentPath: names unescaped in single quotes.
	eval := []byte{'$'}
	for j := 0; j < i; j++ {
		eval = appendEvalFragment(eval, &p.steps[j])
	}
	s := &p.steps[i]
	last := i == len(p.steps)-1
	switch s.kind {
	case stepName, stepNames:
		if cur.Kind() != value.Object {
			frag := appendFragment(nil, s)
			e.msg = "Expected to find an object with property " + string(frag) + " in path " + string(eval) +
				" but found '" + javaClass(cur) + "'. This is not a json object according to the JsonProvider: '" +
				jsonProvider + "'."
			return e
		}
		if !last {
			e.msg = "Missing property in path " + string(appendEvalFragment(eval, s))
			return e
		}
	case stepIndex:
		switch cur.Kind() {
		case value.Null:
			e.msg = "The path " + string(eval) + " is null"
			return e
		case value.Array:
		default:
			var rest []byte
			for j := i; j < len(p.steps); j++ {
				rest = appendFragment(rest, &p.steps[j])
			}
			e.msg = "Filter: " + string(rest) + " can only be applied to arrays. Current context is: " +
				string(appendJava(nil, cur, 0))
			return e
		}
	}
	e.msg = "No results for path: " + norm
	return e
}

// appendEvalFragment appends the fragment Jayway adds to currentPath while
// evaluating: "['name']" without escaping, "[n]" with the index as written.
func appendEvalFragment(b []byte, s *step) []byte {
	if s.kind == stepName {
		b = append(b, "['"...)
		b = append(b, s.name...)
		return append(b, "']"...)
	}
	return appendFragment(b, s)
}
