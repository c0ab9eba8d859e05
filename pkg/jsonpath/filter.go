package jsonpath

import (
	"regexp"
	"strconv"

	"github.com/expressd/expressd/pkg/value"
)

// exprOp is the operator of a filter expression node.
type exprOp uint8

const (
	opOr     exprOp = iota // a || b
	opAnd                  // a && b
	opNot                  // !a
	opExists               // @.x: the path selects something
	opEq                   // ==
	opNe                   // !=
	opTsEq                 // ===: equal and of the same type
	opTsNe                 // !==
	opLt                   // <
	opLe                   // <=
	opGt                   // >
	opGe                   // >=
	opRegex                // =~ /re/
	opIn                   // in [..]
	opNin                  // nin [..]
)

// expr is a node of a parsed filter expression.
type expr struct {
	op   exprOp
	a, b *expr   // operands of opOr, opAnd, opNot
	l, r operand // operands of relations
}

// operand is a path, a literal or a regular expression.
type operand struct {
	path *Path // @... or $...; nil for literals
	lit  value.Value
	re   *regexp.Regexp
}

// node is an evaluated operand: a value, or undefined when a path matched
// nothing (Jayway's UndefinedNode).
type node struct {
	v       value.Value
	defined bool
}

// accept reports whether cur passes the filter e (Jayway's
// PredicatePathToken.accept); root is the document "$" refers to.
func (ev *evaluator) accept(e *expr, cur value.Value) bool {
	switch e.op {
	case opOr:
		return ev.accept(e.a, cur) || ev.accept(e.b, cur)
	case opAnd:
		return ev.accept(e.a, cur) && ev.accept(e.b, cur)
	case opNot:
		return !ev.accept(e.a, cur)
	case opExists:
		n := ev.operand(&e.l, cur)
		if !n.defined {
			return false
		}
		// Jayway evaluates existence with REQUIRE_PROPERTIES: an indefinite
		// path exists when it selects at least one value.
		return e.l.path.definite || n.v.Len() > 0
	case opRegex:
		if e.l.re != nil {
			return matchRegex(e.l.re, ev.operand(&e.r, cur))
		}
		return matchRegex(e.r.re, ev.operand(&e.l, cur))
	}
	l, r := ev.operand(&e.l, cur), ev.operand(&e.r, cur)
	switch e.op {
	case opEq:
		return equal(l, r)
	case opNe:
		return !equal(l, r)
	case opTsEq:
		return l.v.Kind() == r.v.Kind() && equal(l, r)
	case opTsNe:
		return !(l.v.Kind() == r.v.Kind() && equal(l, r))
	case opLt:
		c, ok := compare(l, r)
		return ok && c < 0
	case opLe:
		c, ok := compare(l, r)
		return ok && c <= 0
	case opGt:
		c, ok := compare(l, r)
		return ok && c > 0
	case opGe:
		c, ok := compare(l, r)
		return ok && c >= 0
	case opIn:
		return in(l, r)
	case opNin:
		return !in(l, r)
	}
	return false
}

// operand evaluates o against the current element cur.
func (ev *evaluator) operand(o *operand, cur value.Value) node {
	if o.path == nil {
		return node{v: o.lit, defined: true}
	}
	doc := ev.root
	if o.path.root == rootCurrent {
		doc = cur
	}
	v, ok := ev.get(o.path, doc)
	return node{v: v, defined: ok}
}

// equal is Jayway's EQ evaluator: values of different JSON types are not
// equal, except that a number and a string compare as Jayway's NumberNode
// and StringNode do (the left side decides the conversion).
func equal(l, r node) bool {
	if !l.defined || !r.defined {
		return false
	}
	lk, rk := l.v.Kind(), r.v.Kind()
	switch {
	case lk == value.Number && rk == value.String:
		f, err := strconv.ParseFloat(r.v.Str(), 64)
		return err == nil && f == l.v.Float()
	case lk == value.String && rk == value.Number:
		return l.v.Str() == numberText(r.v)
	}
	return value.Equal(l.v, r.v)
}

// compare orders two operands as Jayway's <, <=, >, >= do: numbers by value,
// strings by Java's compareTo, a string and a number by text. ok is false
// for any other combination.
func compare(l, r node) (int, bool) {
	if !l.defined || !r.defined {
		return 0, false
	}
	lk, rk := l.v.Kind(), r.v.Kind()
	switch {
	case lk == value.Number && rk == value.Number:
		a, b := l.v.Float(), r.v.Float()
		switch {
		case a < b:
			return -1, true
		case a > b:
			return 1, true
		case a == b:
			return 0, true
		}
		return 0, false
	case lk == value.String && rk == value.String:
		return value.CompareStrings(l.v.Str(), r.v.Str()), true
	case lk == value.String && rk == value.Number:
		return value.CompareStrings(l.v.Str(), numberText(r.v)), true
	case lk == value.Number && rk == value.String:
		return value.CompareStrings(numberText(l.v), r.v.Str()), true
	}
	return 0, false
}

// in reports whether l equals an element of the array r.
func in(l, r node) bool {
	if !r.defined || r.v.Kind() != value.Array {
		return false
	}
	for _, x := range r.v.Items() {
		if equal(l, node{v: x, defined: true}) {
			return true
		}
	}
	return false
}

// matchRegex applies re to the text of n; an array matches when any element
// does. Other values match as the empty string, as in Jayway.
func matchRegex(re *regexp.Regexp, n node) bool {
	if !n.defined {
		return false
	}
	if n.v.Kind() == value.Array {
		for _, x := range n.v.Items() {
			if re.MatchString(regexInput(x)) {
				return true
			}
		}
		return false
	}
	return re.MatchString(regexInput(n.v))
}

func regexInput(v value.Value) string {
	switch v.Kind() {
	case value.String:
		return v.Str()
	case value.Number:
		return numberText(v)
	case value.Bool:
		return strconv.FormatBool(v.Bool())
	}
	return ""
}

func numberText(v value.Value) string { return string(value.AppendNumber(nil, v)) }
