package jsonpath

import (
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/expressd/expressd/pkg/value"
)

// Parse parses any ASL Path: "$" paths over the state input, "$$" paths over
// the context object and "$name" paths over a variable. The syntax is
// Jayway's: dot and bracket member names, indexes (negative ones count from
// the end), unions, slices, wildcards, deep scan and filters. Leading and
// trailing white space is ignored, as Jayway trims the path.
func Parse(s string) (*Path, error) {
	if len(s) > MaxPathLen {
		return nil, &SyntaxError{Pos: MaxPathLen, Msg: "path longer than " + strconv.Itoa(MaxPathLen) + " bytes", Path: s}
	}
	start, end := 0, len(s)
	for start < end && isSpace(s[start]) {
		start++
	}
	for end > start && isSpace(s[end-1]) {
		end--
	}
	ps := &parser{src: s}
	if start == end {
		return nil, ps.errAt(start, "path must start with '$'")
	}
	if s[end-1] == '.' {
		return nil, ps.errAt(end-1, "Path must not end with a '.' or '..'")
	}
	ps.pos = start
	p, err := ps.path(end, false)
	if err != nil {
		return nil, err
	}
	p.src = s
	return p, nil
}

// ParseReference parses a Reference Path (ResultPath, catcher ResultPath):
// "$" followed only by member names ($.a, $['a b']) and non-negative single
// indexes. Context and variable roots, wildcards, slices, unions, filters,
// deep scan and function calls are errors. (Other fields that take a
// Reference Path also allow "$$" and "$name": see [Path.SingleNode].)
func ParseReference(s string) (*Path, error) {
	p, err := Parse(s)
	if err != nil {
		return nil, err
	}
	if !p.ref {
		return nil, &SyntaxError{Pos: 0, Msg: "not a valid reference path: only '$', member names and non-negative indexes are allowed", Path: s}
	}
	return p, nil
}

// MustParse is Parse for paths known to be valid, in tests and examples. It
// panics on error.
func MustParse(s string) *Path {
	p, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return p
}

// parser reads one path text; paths nested in filters share it, so that
// positions in errors refer to the whole text and the limits are global.
type parser struct {
	src   string
	pos   int
	steps int // steps parsed so far, including nested paths
	depth int // current filter nesting
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func (ps *parser) errAt(pos int, msg string) *SyntaxError {
	return &SyntaxError{Pos: pos, Msg: msg, Path: ps.src}
}

// skipWS skips white space before end.
func (ps *parser) skipWS(end int) {
	for ps.pos < end && isSpace(ps.src[ps.pos]) {
		ps.pos++
	}
}

// sig returns the index of the next non-space byte at or after i, or end.
func (ps *parser) sig(i, end int) int {
	for i < end && isSpace(ps.src[i]) {
		i++
	}
	return i
}

// path parses src[pos:end] as a whole path. inFilter allows the "@" root
// and forbids "$$" and variables.
func (ps *parser) path(end int, inFilter bool) (*Path, error) {
	src := ps.src
	p := &Path{src: src[ps.pos:end]}
	switch {
	case ps.pos < end && src[ps.pos] == '@' && inFilter:
		p.root = rootCurrent
		ps.pos++
	case ps.pos < end && src[ps.pos] == '$':
		ps.pos++
		if !inFilter && ps.pos < end && src[ps.pos] == '$' {
			p.root = RootContext
			ps.pos++
		} else if !inFilter && ps.pos < end && src[ps.pos] != '.' && src[ps.pos] != '[' {
			p.root = RootVariable
			start := ps.pos
			for ps.pos < end && src[ps.pos] != '.' && src[ps.pos] != '[' {
				r, n := utf8.DecodeRuneInString(src[ps.pos:end])
				if !(r == '_' || unicode.IsLetter(r) || (unicode.IsDigit(r) && ps.pos > start)) {
					return nil, ps.errAt(ps.pos, "invalid character in variable name")
				}
				ps.pos += n
			}
			p.varName = src[start:ps.pos]
		}
	default:
		if inFilter {
			return nil, ps.errAt(ps.pos, "Path must start with '$' or '@'")
		}
		return nil, ps.errAt(ps.pos, "path must start with '$'")
	}
	if ps.pos < end && src[ps.pos] != '.' && src[ps.pos] != '[' {
		return nil, ps.errAt(ps.pos, "Illegal character at position "+strconv.Itoa(ps.pos)+" expected '.' or '['")
	}
	for ps.pos < end {
		if err := ps.token(p, end); err != nil {
			return nil, err
		}
	}
	p.finish()
	return p, nil
}

// finish computes the derived flags of a parsed path.
func (p *Path) finish() {
	p.definite, p.simple, p.single = true, true, true
	for i := range p.steps {
		s := &p.steps[i]
		leaf := i == len(p.steps)-1
		switch s.kind {
		case stepName:
			// A dot name with operator characters is a function call or
			// an operator to Jayway ($.a.length()): not a Reference Path,
			// where "functions like length() and the operators @ , : ? are
			// not supported" (AWS guide, Reference Paths). At run time
			// such a name is looked up as a member, as AWS does.
			if s.dot && strings.ContainsAny(s.name, "()@,:?*") {
				p.single = false
			}
		case stepIndex:
			if s.index < 0 {
				p.single = false
			}
		case stepNames:
			p.simple, p.single = false, false
			if !leaf {
				p.definite = false
			}
		default:
			p.definite, p.simple, p.single = false, false, false
		}
	}
	p.ref = p.single && p.root == RootInput
}

func (ps *parser) add(p *Path, s step) error {
	ps.steps++
	if ps.steps > MaxSteps {
		return ps.errAt(ps.pos, "path has more than "+strconv.Itoa(MaxSteps)+" steps")
	}
	p.steps = append(p.steps, s)
	return nil
}

// token reads one token at pos, as Jayway's readNextToken.
func (ps *parser) token(p *Path, end int) error {
	switch ps.src[ps.pos] {
	case '[':
		return ps.bracket(p, end)
	case '.':
		return ps.dot(p, end)
	case '*':
		ps.pos++
		return ps.add(p, step{kind: stepWildcard})
	default:
		return ps.property(p, end)
	}
}

// dot reads "." or ".." and the token after it.
func (ps *parser) dot(p *Path, end int) error {
	src := ps.src
	if ps.pos+1 < end && src[ps.pos+1] == '.' {
		if err := ps.add(p, step{kind: stepScan}); err != nil {
			return err
		}
		ps.pos += 2
	} else if ps.pos+1 >= end {
		return ps.errAt(ps.pos, "Path must not end with a '.'")
	} else {
		ps.pos++
	}
	if ps.pos >= end {
		return ps.errAt(ps.pos, "Path must not end with a '.' or '..'")
	}
	if src[ps.pos] == '.' {
		return ps.errAt(ps.pos, "Character '.' on position "+strconv.Itoa(ps.pos)+" is not valid.")
	}
	return ps.token(p, end)
}

// property reads a dot-notation member name: everything up to '.', '[' or
// the end. Jayway treats '(' as the start of a function call; AWS does not
// support functions and reports "length()" as a missing property, so the
// parentheses stay part of the name.
func (ps *parser) property(p *Path, end int) error {
	src := ps.src
	start := ps.pos
	for ps.pos < end && src[ps.pos] != '.' && src[ps.pos] != '[' {
		if src[ps.pos] == ' ' {
			return ps.errAt(ps.pos, "Use bracket notion ['my prop'] if your property contains blank characters. position: "+strconv.Itoa(start))
		}
		ps.pos++
	}
	if ps.pos == start {
		return ps.errAt(start, "Could not parse token starting at position "+strconv.Itoa(start))
	}
	return ps.add(p, step{kind: stepName, name: src[start:ps.pos], quote: '\'', dot: true})
}

// bracket reads a "[...]" token.
func (ps *parser) bracket(p *Path, end int) error {
	open := ps.pos
	k := ps.sig(open+1, end)
	if k >= end {
		return ps.errAt(open, "Could not parse token starting at position "+strconv.Itoa(open)+". Expected ?, ', 0-9, * ")
	}
	switch c := ps.src[k]; {
	case c == '\'' || c == '"':
		return ps.names(p, end, k)
	case c >= '0' && c <= '9' || c == '-' || c == ':':
		return ps.array(p, end)
	case c == '*':
		j := ps.sig(k+1, end)
		if j >= end || ps.src[j] != ']' {
			return ps.errAt(k+1, "Expected wildcard token to end with ']' on position "+strconv.Itoa(k+1))
		}
		ps.pos = j + 1
		return ps.add(p, step{kind: stepWildcard})
	case c == '?':
		return ps.filterStep(p, end, k)
	}
	return ps.errAt(open, "Could not parse token starting at position "+strconv.Itoa(open)+". Expected ?, ', 0-9, * ")
}

// names reads ['a'] or ['a','b'] with the quote at q.
func (ps *parser) names(p *Path, end, q int) error {
	src := ps.src
	delim := src[q]
	var names []string
	i := q
	for {
		// i is at an opening delimiter.
		name, next, err := ps.quoted(i, end)
		if err != nil {
			return err
		}
		names = append(names, name)
		j := ps.sig(next, end)
		if j >= end {
			return ps.errAt(j, "Property has not been closed - missing closing ]")
		}
		if src[j] == ']' {
			ps.pos = j + 1
			break
		}
		if src[j] != ',' {
			return ps.errAt(next-1, "Property must be separated by comma or Property must be terminated close square bracket at index "+strconv.Itoa(next-1))
		}
		i = ps.sig(j+1, end)
		if i >= end || src[i] != delim {
			return ps.errAt(i, "Found empty property at index "+strconv.Itoa(i))
		}
	}
	s := step{kind: stepName, quote: delim}
	if len(names) == 1 {
		s.name = names[0]
	} else {
		s.kind, s.names = stepNames, names
	}
	return ps.add(p, s)
}

// quoted reads a quoted string starting at the delimiter at i and returns it
// unescaped with the index after the closing delimiter.
func (ps *parser) quoted(i, end int) (string, int, error) {
	src := ps.src
	delim := src[i]
	j := i + 1
	plain := true
	for ; j < end && src[j] != delim; j++ {
		if src[j] == '\\' {
			plain = false
			j++
		}
	}
	if j >= end {
		return "", 0, ps.errAt(i, "Property has not been closed - missing closing "+string(delim))
	}
	if plain {
		return src[i+1 : j], j + 1, nil
	}
	s, ok := unescape(src[i+1:j], delim)
	if !ok {
		return "", 0, ps.errAt(i, "invalid escape sequence in quoted string")
	}
	return s, j + 1, nil
}

// unescape resolves Java-style escapes as Jayway's Utils.unescape does. A
// backslash before a character that needs no escape (the other quote
// character) is kept: AWS resolves $['a\"b'] to the member named a\"b
// (recorded: escape_sequence_parsing).
func unescape(s string, delim byte) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		i++
		if i >= len(s) {
			return "", false
		}
		switch c = s[i]; c {
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'u':
			if i+5 > len(s) {
				return "", false
			}
			n, err := strconv.ParseUint(s[i+1:i+5], 16, 16)
			if err != nil {
				return "", false
			}
			b.WriteRune(rune(n))
			i += 4
		case delim, '\\':
			b.WriteByte(c)
		default:
			b.WriteByte('\\')
			b.WriteByte(c)
		}
	}
	return b.String(), true
}

// array reads [n], [n,m,...] or a slice.
func (ps *parser) array(p *Path, end int) error {
	src := ps.src
	open := ps.pos
	close := strings.IndexByte(src[open+1:end], ']')
	if close < 0 {
		return ps.errAt(open, "Could not parse token starting at position "+strconv.Itoa(open)+". Expected ?, ', 0-9, * ")
	}
	close += open + 1
	expr := strings.Trim(src[open+1:close], " \t\r\n")
	for i := 0; i < len(expr); i++ {
		if c := expr[i]; !(c >= '0' && c <= '9' || c == ',' || c == '-' || c == ':' || c == ' ') {
			return ps.errAt(open, "Could not parse token starting at position "+strconv.Itoa(open)+". Expected ?, ', 0-9, * ")
		}
	}
	ps.pos = close + 1
	if strings.IndexByte(expr, ':') >= 0 {
		return ps.slice(p, open, expr)
	}
	var idx []int
	for tok := range strings.SplitSeq(expr, ",") {
		n, err := strconv.ParseInt(strings.TrimSpace(tok), 10, 32)
		if err != nil {
			return ps.errAt(open, "Failed to parse token in ArrayIndexOperation: "+tok)
		}
		idx = append(idx, int(n))
	}
	if len(idx) == 1 {
		return ps.add(p, step{kind: stepIndex, index: idx[0]})
	}
	return ps.add(p, step{kind: stepIndexes, indexes: idx})
}

// slice parses a slice the way Jayway's ArraySliceOperation does: Java's
// String.split drops trailing empty parts, and a third part is ignored.
func (ps *parser) slice(p *Path, open int, expr string) error {
	for i := 0; i < len(expr); i++ {
		if c := expr[i]; !(c >= '0' && c <= '9' || c == '-' || c == ':') {
			return ps.errAt(open, "Failed to parse SliceOperation: "+expr)
		}
	}
	parts := strings.Split(expr, ":")
	for len(parts) > 0 && parts[len(parts)-1] == "" {
		parts = parts[:len(parts)-1]
	}
	var from, to int
	var hasFrom, hasTo bool
	read := func(i int) (int, bool, error) {
		if i >= len(parts) || parts[i] == "" {
			return 0, false, nil
		}
		n, err := strconv.ParseInt(parts[i], 10, 32)
		if err != nil {
			return 0, false, ps.errAt(open, "Failed to parse SliceOperation: "+expr)
		}
		return int(n), true, nil
	}
	var err error
	if from, hasFrom, err = read(0); err != nil {
		return err
	}
	if to, hasTo, err = read(1); err != nil {
		return err
	}
	s := step{kind: stepSlice, index: from, to: to}
	switch {
	case hasFrom && hasTo:
		s.slice = sliceBetween
	case hasFrom:
		s.slice = sliceFrom
	case hasTo:
		s.slice = sliceTo
	default:
		return ps.errAt(open, "Failed to parse SliceOperation: "+expr)
	}
	return ps.add(p, s)
}

// filterStep reads [?( expr )] with the '?' at q.
func (ps *parser) filterStep(p *Path, end, q int) error {
	open := ps.pos
	k := ps.sig(q+1, end)
	if k >= end || ps.src[k] != '(' {
		return ps.errAt(open, "Could not parse token starting at position "+strconv.Itoa(open)+". Expected ?, ', 0-9, * ")
	}
	ps.depth++
	if ps.depth > MaxFilterDepth {
		return ps.errAt(k, "filters nested deeper than "+strconv.Itoa(MaxFilterDepth))
	}
	ps.pos = k + 1
	e, err := ps.or(end)
	if err != nil {
		return err
	}
	ps.skipWS(end)
	if ps.pos >= end || ps.src[ps.pos] != ')' {
		return ps.errAt(ps.pos, "expected ')' to close the filter")
	}
	ps.pos++
	ps.skipWS(end)
	if ps.pos >= end || ps.src[ps.pos] != ']' {
		return ps.errAt(ps.pos, "expected ']' to close the filter")
	}
	ps.pos++
	ps.depth--
	return ps.add(p, step{kind: stepFilter, filter: e})
}

// or parses a || b || ...
func (ps *parser) or(end int) (*expr, error) {
	a, err := ps.and(end)
	if err != nil {
		return nil, err
	}
	for {
		ps.skipWS(end)
		if !strings.HasPrefix(ps.src[ps.pos:end], "||") {
			return a, nil
		}
		ps.pos += 2
		b, err := ps.and(end)
		if err != nil {
			return nil, err
		}
		a = &expr{op: opOr, a: a, b: b}
	}
}

// and parses a && b && ...
func (ps *parser) and(end int) (*expr, error) {
	a, err := ps.unary(end)
	if err != nil {
		return nil, err
	}
	for {
		ps.skipWS(end)
		if !strings.HasPrefix(ps.src[ps.pos:end], "&&") {
			return a, nil
		}
		ps.pos += 2
		b, err := ps.unary(end)
		if err != nil {
			return nil, err
		}
		a = &expr{op: opAnd, a: a, b: b}
	}
}

// unary parses !x, (x) or a relation.
func (ps *parser) unary(end int) (*expr, error) {
	ps.skipWS(end)
	if ps.pos >= end {
		return nil, ps.errAt(ps.pos, "expected a filter expression")
	}
	switch ps.src[ps.pos] {
	case '!', '(':
		c := ps.src[ps.pos]
		ps.depth++
		if ps.depth > MaxFilterDepth {
			return nil, ps.errAt(ps.pos, "filters nested deeper than "+strconv.Itoa(MaxFilterDepth))
		}
		ps.pos++
		var e *expr
		var err error
		if c == '!' {
			if e, err = ps.unary(end); err != nil {
				return nil, err
			}
			e = &expr{op: opNot, a: e}
		} else {
			if e, err = ps.or(end); err != nil {
				return nil, err
			}
			ps.skipWS(end)
			if ps.pos >= end || ps.src[ps.pos] != ')' {
				return nil, ps.errAt(ps.pos, "expected ')'")
			}
			ps.pos++
		}
		ps.depth--
		return e, nil
	}
	return ps.relation(end)
}

// relational operators, longest first.
var relOps = []struct {
	text string
	op   exprOp
}{
	{"===", opTsEq}, {"!==", opTsNe}, {"==", opEq}, {"!=", opNe}, {"<=", opLe}, {">=", opGe},
	{"=~", opRegex}, {"<", opLt}, {">", opGt}, {"nin", opNin}, {"in", opIn},
}

// relation parses "left op right" or a bare path (an existence test).
func (ps *parser) relation(end int) (*expr, error) {
	start := ps.pos
	l, err := ps.operand(end)
	if err != nil {
		return nil, err
	}
	ps.skipWS(end)
	rest := ps.src[ps.pos:end]
	for _, o := range relOps {
		if !strings.HasPrefix(rest, o.text) {
			continue
		}
		if o.text[0] == 'i' || o.text[0] == 'n' {
			// Word operators need a separator after them.
			if len(rest) > len(o.text) && !isSpace(rest[len(o.text)]) && rest[len(o.text)] != '[' {
				continue
			}
		}
		ps.pos += len(o.text)
		ps.skipWS(end)
		r, err := ps.operand(end)
		if err != nil {
			return nil, err
		}
		if o.op == opRegex && (l.re == nil) == (r.re == nil) {
			return nil, ps.errAt(start, "=~ needs a /regex/ on one side")
		}
		return &expr{op: o.op, l: l, r: r}, nil
	}
	if l.path == nil {
		return nil, ps.errAt(start, "expected a path before the end of the filter expression")
	}
	return &expr{op: opExists, l: l}, nil
}

// operand reads a path, a literal or a regular expression.
func (ps *parser) operand(end int) (operand, error) {
	src := ps.src
	ps.skipWS(end)
	if ps.pos >= end {
		return operand{}, ps.errAt(ps.pos, "expected an operand")
	}
	start := ps.pos
	switch c := src[start]; {
	case c == '@' || c == '$':
		e := ps.pathEnd(end)
		sub := &parser{src: src, pos: start, steps: ps.steps, depth: ps.depth + 1}
		if sub.depth > MaxFilterDepth {
			return operand{}, ps.errAt(start, "filters nested deeper than "+strconv.Itoa(MaxFilterDepth))
		}
		if e > start && src[e-1] == '.' {
			return operand{}, ps.errAt(e-1, "Path must not end with a '.' or '..'")
		}
		p, err := sub.path(e, true)
		if err != nil {
			return operand{}, err
		}
		ps.steps = sub.steps
		ps.pos = e
		return operand{path: p}, nil
	case c == '\'' || c == '"':
		s, next, err := ps.quoted(start, end)
		if err != nil {
			return operand{}, err
		}
		ps.pos = next
		return operand{lit: value.FromString(s)}, nil
	case c == '-' || c >= '0' && c <= '9':
		i := start + 1
		for i < end && strings.IndexByte("0123456789.eE+-", src[i]) >= 0 {
			i++
		}
		v, err := value.ParseString(src[start:i])
		if err != nil || v.Kind() != value.Number {
			return operand{}, ps.errAt(start, "invalid number "+strconv.Quote(src[start:i]))
		}
		ps.pos = i
		return operand{lit: v}, nil
	case c == '/':
		return ps.regex(end)
	case c == '[':
		return ps.list(end)
	case c == '{':
		e, ok := ps.jsonEnd(start, end)
		if !ok {
			return operand{}, ps.errAt(start, "unterminated JSON literal")
		}
		v, err := value.ParseString(src[start:e])
		if err != nil {
			return operand{}, ps.errAt(start, "invalid JSON literal: "+err.Error())
		}
		ps.pos = e
		return operand{lit: v}, nil
	}
	for _, kw := range [...]struct {
		text string
		v    value.Value
	}{{"true", value.True}, {"false", value.False}, {"null", value.NullValue}} {
		if strings.HasPrefix(src[start:end], kw.text) {
			ps.pos += len(kw.text)
			return operand{lit: kw.v}, nil
		}
	}
	return operand{}, ps.errAt(start, "unexpected character "+strconv.QuoteRune(rune(src[start]))+" in filter")
}

// list reads an array literal whose elements are literals in filter
// syntax (strings may use single quotes), as Jayway's ValueListNode.
func (ps *parser) list(end int) (operand, error) {
	start := ps.pos
	ps.depth++
	if ps.depth > MaxFilterDepth {
		return operand{}, ps.errAt(start, "filters nested deeper than "+strconv.Itoa(MaxFilterDepth))
	}
	ps.pos++
	items := []value.Value{}
	ps.skipWS(end)
	if ps.pos < end && ps.src[ps.pos] == ']' {
		ps.pos++
		ps.depth--
		return operand{lit: value.FromArray(items)}, nil
	}
	for {
		o, err := ps.operand(end)
		if err != nil {
			return operand{}, err
		}
		if o.path != nil || o.re != nil {
			return operand{}, ps.errAt(start, "array literal elements must be literals")
		}
		items = append(items, o.lit)
		ps.skipWS(end)
		if ps.pos >= end {
			return operand{}, ps.errAt(start, "unterminated array literal")
		}
		if ps.src[ps.pos] == ']' {
			ps.pos++
			ps.depth--
			return operand{lit: value.FromArray(items)}, nil
		}
		if ps.src[ps.pos] != ',' {
			return operand{}, ps.errAt(ps.pos, "expected ',' or ']' in array literal")
		}
		ps.pos++
	}
}

// pathEnd returns the end of a path operand starting at pos: the first
// operator, white space, ',' or unbalanced ')' outside brackets and quotes.
func (ps *parser) pathEnd(end int) int {
	src := ps.src
	depth := 0
	for i := ps.pos; i < end; i++ {
		switch c := src[i]; c {
		case '\'', '"':
			for i++; i < end && src[i] != c; i++ {
				if src[i] == '\\' {
					i++
				}
			}
		case '[', '(':
			depth++
		case ']':
			if depth == 0 {
				return i
			}
			depth--
		case ')':
			if depth == 0 {
				return i
			}
			depth--
		case ' ', '\t', '\r', '\n', '=', '<', '>', '!', '&', '|', ',':
			if depth == 0 {
				return i
			}
		}
	}
	return end
}

// jsonEnd returns the index after the JSON array or object at start.
func (ps *parser) jsonEnd(start, end int) (int, bool) {
	src := ps.src
	depth := 0
	for i := start; i < end; i++ {
		switch c := src[i]; c {
		case '"':
			for i++; i < end && src[i] != '"'; i++ {
				if src[i] == '\\' {
					i++
				}
			}
		case '[', '{':
			depth++
		case ']', '}':
			depth--
			if depth == 0 {
				return i + 1, true
			}
		}
	}
	return 0, false
}

// regex reads /pattern/flags. Java regular expressions are compiled with Go's
// RE2 syntax, which agrees on everything but backreferences and lookaround;
// Jayway's =~ matches the whole input (Matcher.matches).
func (ps *parser) regex(end int) (operand, error) {
	src := ps.src
	start := ps.pos
	i := start + 1
	for ; i < end && src[i] != '/'; i++ {
		if src[i] == '\\' {
			i++
		}
	}
	if i >= end {
		return operand{}, ps.errAt(start, "unterminated regular expression")
	}
	pat := src[start+1 : i]
	i++
	flags := ""
	for ; i < end && src[i] >= 'a' && src[i] <= 'z'; i++ {
		switch src[i] {
		case 'i', 'm', 's':
			if !strings.ContainsRune(flags, rune(src[i])) {
				flags += string(src[i])
			}
		}
	}
	if flags != "" {
		flags = "(?" + flags + ")"
	}
	re, err := regexp.Compile(flags + "^(?:" + pat + ")$")
	if err != nil {
		return operand{}, ps.errAt(start, "invalid regular expression: "+err.Error())
	}
	ps.pos = i
	return operand{re: re}, nil
}
