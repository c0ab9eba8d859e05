package intrinsic

import (
	"errors"
	"strconv"
	"strings"

	"github.com/expressd/expressd/pkg/value"
)

// testResolver resolves paths against an input, a context object and
// variables with a minimal lookup (member names and indexes only). The real
// resolution lives in pkg/jsonpath and the VM.
type testResolver struct {
	paths   []string
	input   value.Value
	context value.Value
	vars    map[string]value.Value
}

func (r *testResolver) ResolvePath(i int) (value.Value, error) {
	return lookupPath(r.paths[i], r.input, r.context, r.vars)
}

var errNoPath = errors.New("path not found")

func lookupPath(p string, input, ctx value.Value, vars map[string]value.Value) (value.Value, error) {
	var cur value.Value
	var rest string
	switch {
	case strings.HasPrefix(p, "$$"):
		cur, rest = ctx, p[2:]
	case len(p) > 1 && p[1] != '.' && p[1] != '[':
		end := strings.IndexAny(p, ".[")
		if end < 0 {
			end = len(p)
		}
		v, ok := vars[p[1:end]]
		if !ok {
			return value.Value{}, errNoPath
		}
		cur, rest = v, p[end:]
	default:
		cur, rest = input, p[1:]
	}
	for rest != "" {
		switch {
		case strings.HasPrefix(rest, "['"):
			end := strings.Index(rest, "']")
			if end < 0 {
				return value.Value{}, errNoPath
			}
			v, ok := cur.Get(rest[2:end])
			if !ok {
				return value.Value{}, errNoPath
			}
			cur, rest = v, rest[end+2:]
		case rest[0] == '[':
			end := strings.IndexByte(rest, ']')
			n, err := strconv.Atoi(rest[1:max(end, 1)])
			if end < 0 || err != nil || cur.Kind() != value.Array || n < 0 || n >= cur.Len() {
				return value.Value{}, errNoPath
			}
			cur, rest = cur.Index(n), rest[end+1:]
		case rest[0] == '.':
			rest = rest[1:]
			end := strings.IndexAny(rest, ".[")
			if end < 0 {
				end = len(rest)
			}
			v, ok := cur.Get(rest[:end])
			if !ok {
				return value.Value{}, errNoPath
			}
			cur, rest = v, rest[end:]
		default:
			return value.Value{}, errNoPath
		}
	}
	return cur, nil
}

// evalString parses s and evaluates it against input.
func evalString(s string, input value.Value) (value.Value, error) {
	c, err := Parse(s)
	if err != nil {
		return value.Value{}, err
	}
	ctx := value.MustParse(`{"Execution":{"Input":` + input.JSON() + `,"Name":"exec-1"},"StateMachine":{"Id":"arn:sm","Name":"my-state-machine"}}`)
	return c.Eval(&testResolver{paths: c.Paths(), input: input, context: ctx,
		vars: map[string]value.Value{"v": value.FromString("var"), "n": value.FromInt(3)}})
}
