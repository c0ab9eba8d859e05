package compile

import (
	"strings"

	"github.com/expressd/expressd/pkg/asl"
	"github.com/expressd/expressd/pkg/value"
	"github.com/expressd/expressd/pkg/vm"
)

// operators maps each comparison operator name to its VM operator. The
// *Path variants are derived by suffix.
var operators = map[string]vm.CmpOp{
	"StringEquals":               vm.CmpStringEquals,
	"StringLessThan":             vm.CmpStringLessThan,
	"StringGreaterThan":          vm.CmpStringGreaterThan,
	"StringLessThanEquals":       vm.CmpStringLessThanEquals,
	"StringGreaterThanEquals":    vm.CmpStringGreaterThanEquals,
	"StringMatches":              vm.CmpStringMatches,
	"NumericEquals":              vm.CmpNumericEquals,
	"NumericLessThan":            vm.CmpNumericLessThan,
	"NumericGreaterThan":         vm.CmpNumericGreaterThan,
	"NumericLessThanEquals":      vm.CmpNumericLessThanEquals,
	"NumericGreaterThanEquals":   vm.CmpNumericGreaterThanEquals,
	"BooleanEquals":              vm.CmpBooleanEquals,
	"TimestampEquals":            vm.CmpTimestampEquals,
	"TimestampLessThan":          vm.CmpTimestampLessThan,
	"TimestampGreaterThan":       vm.CmpTimestampGreaterThan,
	"TimestampLessThanEquals":    vm.CmpTimestampLessThanEquals,
	"TimestampGreaterThanEquals": vm.CmpTimestampGreaterThanEquals,
	"IsNull":                     vm.CmpIsNull,
	"IsPresent":                  vm.CmpIsPresent,
	"IsNumeric":                  vm.CmpIsNumeric,
	"IsString":                   vm.CmpIsString,
	"IsBoolean":                  vm.CmpIsBoolean,
	"IsTimestamp":                vm.CmpIsTimestamp,
}

// rule compiles a Choice rule as a test that falls through when the rule
// matches and jumps to onFalse otherwise. And/Or short-circuit through
// jumps; no boolean values are materialised.
func (c *compiler) rule(r *asl.ChoiceRule, onFalse label) {
	switch {
	case len(r.And) > 0:
		for _, sub := range r.And {
			c.rule(sub, onFalse)
		}
	case len(r.Or) > 0:
		onTrue := c.newLabel()
		for i, sub := range r.Or {
			if i == len(r.Or)-1 {
				c.rule(sub, onFalse)
				break
			}
			next := c.newLabel()
			c.rule(sub, next)
			c.emitTo(vm.OpJump, 'A', onTrue, 0)
			c.bind(next)
		}
		c.bind(onTrue)
	case r.Not != nil:
		matched := c.newLabel()
		c.rule(r.Not, matched)
		c.emitTo(vm.OpJump, 'A', onFalse, 0)
		c.bind(matched)
	case r.Condition != nil:
		c.errorf(r.Condition, asl.CodeUnsupported, "JSONata Condition is not supported yet")
	default:
		ci := c.comparison(r)
		c.emitTo(vm.OpTest, 'B', onFalse, ci)
	}
}

func (c *compiler) comparison(r *asl.ChoiceRule) uint32 {
	cmp := vm.Compare{OperandPath: -1, Text: r.Operator}
	cmp.Var = c.singlePath(r.Node.Get("Variable"), r.Variable)
	name := r.Operator
	isPath := false
	op, ok := operators[name]
	if !ok && strings.HasSuffix(name, "Path") {
		op, ok = operators[strings.TrimSuffix(name, "Path")]
		isPath = ok
	}
	if !ok {
		c.errorf(r.Node, asl.CodeSchema, "unknown comparison operator "+name)
		return c.addCompare(cmp)
	}
	cmp.Op = op
	operand := r.Operand
	if operand == nil {
		c.errorf(r.Node, asl.CodeSchema, "comparison "+name+" has no operand")
		return c.addCompare(cmp)
	}
	cmp.Text = name + " " + operand.Value().JSON()
	if isPath {
		if operand.Kind != value.String {
			c.errorf(operand, asl.CodeSchema, "The value for the field '"+name+"' must be a valid JSONPath")
			return c.addCompare(cmp)
		}
		cmp.OperandPath = int32(c.singlePath(operand, operand.Str))
		return c.addCompare(cmp)
	}
	cmp.Operand = operand.Value()
	switch {
	case op == vm.CmpStringMatches:
		cmp.Pattern = vm.CompilePattern(operand.Str)
	case op >= vm.CmpTimestampEquals && op <= vm.CmpTimestampGreaterThanEquals:
		t, ok := asl.ParseTimestamp(operand.Str)
		if !ok {
			c.errorf(operand, asl.CodeSchema, "String does not match RFC3339 timestamp")
		}
		cmp.Time = t
	}
	return c.addCompare(cmp)
}

func (c *compiler) addCompare(cmp vm.Compare) uint32 {
	c.prog.Compares = append(c.prog.Compares, cmp)
	return uint32(len(c.prog.Compares) - 1)
}
