package vm

import (
	"strings"

	"github.com/expressd/expressd/pkg/asl"

	"github.com/expressd/expressd/pkg/value"
)

// compare evaluates a Choice comparison against doc. A value of the wrong
// type compares false; a missing Variable fails with States.Runtime except
// for IsPresent. ok is false when a path is missing; compareFailure then
// builds the failure (kept off the fast path: the Failure is large).
func (m *Machine) compare(c *Compare, doc value.Value) (result, ok bool) {
	v, err := m.getPath(c.Var, doc)
	if err != nil {
		if c.Op == CmpIsPresent {
			return !c.Operand.Bool(), true
		}
		return false, false
	}
	operand := c.Operand
	opTime := c.Time
	if c.OperandPath >= 0 {
		o, err := m.getPath(uint32(c.OperandPath), doc)
		if err != nil {
			return false, false
		}
		operand = o
		if c.Op >= CmpTimestampEquals && c.Op <= CmpTimestampGreaterThanEquals {
			if o.Kind() != value.String {
				return false, true
			}
			t, ok := asl.ParseTimestamp(o.Str())
			if !ok {
				return false, true
			}
			opTime = t
		}
	}
	switch c.Op {
	case CmpStringEquals, CmpStringLessThan, CmpStringGreaterThan, CmpStringLessThanEquals, CmpStringGreaterThanEquals:
		if v.Kind() != value.String || operand.Kind() != value.String {
			return false, true
		}
		return ordered(c.Op-CmpStringEquals, value.CompareStrings(v.Str(), operand.Str())), true
	case CmpStringMatches:
		if v.Kind() != value.String {
			return false, true
		}
		return matchPattern(c.Pattern, v.Str()), true
	case CmpNumericEquals, CmpNumericLessThan, CmpNumericGreaterThan, CmpNumericLessThanEquals, CmpNumericGreaterThanEquals:
		if v.Kind() != value.Number || operand.Kind() != value.Number {
			return false, true
		}
		a, b := v.Float(), operand.Float()
		cmp := 0
		if a < b {
			cmp = -1
		} else if a > b {
			cmp = 1
		}
		return ordered(c.Op-CmpNumericEquals, cmp), true
	case CmpBooleanEquals:
		if v.Kind() != value.Bool || operand.Kind() != value.Bool {
			return false, true
		}
		return v.Bool() == operand.Bool(), true
	case CmpTimestampEquals, CmpTimestampLessThan, CmpTimestampGreaterThan, CmpTimestampLessThanEquals, CmpTimestampGreaterThanEquals:
		if v.Kind() != value.String {
			return false, true
		}
		t, ok := asl.ParseTimestamp(v.Str())
		if !ok {
			return false, true
		}
		return ordered(c.Op-CmpTimestampEquals, t.Compare(opTime)), true
	case CmpIsNull:
		return v.IsNull() == c.Operand.Bool(), true
	case CmpIsPresent:
		return c.Operand.Bool(), true
	case CmpIsNumeric:
		return (v.Kind() == value.Number) == c.Operand.Bool(), true
	case CmpIsString:
		return (v.Kind() == value.String) == c.Operand.Bool(), true
	case CmpIsBoolean:
		return (v.Kind() == value.Bool) == c.Operand.Bool(), true
	case CmpIsTimestamp:
		_, ok := asl.ParseTimestamp(v.Str())
		return (v.Kind() == value.String && ok) == c.Operand.Bool(), true
	}
	panic("vm: invalid comparison operator")
}

// compareFailure is the failure of a comparison whose compare returned
// ok=false: the Variable or the operand path matched nothing.
func (m *Machine) compareFailure(c *Compare, doc value.Value) Failure {
	if _, err := m.getPath(c.Var, doc); err != nil {
		return m.pathFailure(c.Var, err)
	}
	_, err := m.getPath(uint32(c.OperandPath), doc)
	return m.pathFailure(uint32(c.OperandPath), err)
}

// ordered maps a three-way comparison result to the operator at offset rel
// in the order Equals, LessThan, GreaterThan, LessThanEquals, GreaterThanEquals.
func ordered(rel CmpOp, cmp int) bool {
	switch rel {
	case 0:
		return cmp == 0
	case 1:
		return cmp < 0
	case 2:
		return cmp > 0
	case 3:
		return cmp <= 0
	default:
		return cmp >= 0
	}
}

// CompilePattern splits a StringMatches pattern into its literal pieces:
// only '*' is special (any run of characters), "\*" is a literal star and
// "\\" a literal backslash.
func CompilePattern(pat string) []string {
	var pieces []string
	var cur strings.Builder
	for i := 0; i < len(pat); i++ {
		c := pat[i]
		switch {
		case c == '\\' && i+1 < len(pat) && (pat[i+1] == '*' || pat[i+1] == '\\'):
			cur.WriteByte(pat[i+1])
			i++
		case c == '*':
			pieces = append(pieces, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(c)
		}
	}
	return append(pieces, cur.String())
}

// matchPattern matches s against compiled pattern pieces (anchored at both
// ends; between pieces any text may appear).
func matchPattern(pieces []string, s string) bool {
	if len(pieces) == 1 {
		return s == pieces[0]
	}
	if !strings.HasPrefix(s, pieces[0]) {
		return false
	}
	s = s[len(pieces[0]):]
	last := pieces[len(pieces)-1]
	for _, p := range pieces[1 : len(pieces)-1] {
		i := strings.Index(s, p)
		if i < 0 {
			return false
		}
		s = s[i+len(p):]
	}
	return len(s) >= len(last) && strings.HasSuffix(s, last)
}
