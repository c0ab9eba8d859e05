package jsonpath

import (
	"strconv"

	"github.com/expressd/expressd/pkg/value"
)

// Set returns a new document: root with x stored at the path. It is for
// reference paths only (see [ParseReference] and [Path.IsReference]). "$"
// returns x. Missing members on the way are created as empty objects; a
// member step on a non-object, or an index step on a non-array or out of
// range, is a [*SetError]. root itself is unchanged, and the parts of it off
// the path are shared with the result.
func (p *Path) Set(root, x value.Value) (value.Value, error) {
	if !p.ref {
		return value.Value{}, &SetError{Path: p.src, At: "$", Msg: "not a reference path"}
	}
	return p.set(0, root, x)
}

func (p *Path) set(i int, cur, x value.Value) (value.Value, error) {
	if i == len(p.steps) {
		return x, nil
	}
	s := &p.steps[i]
	switch s.kind {
	case stepName:
		if cur.Kind() != value.Object {
			return value.Value{}, p.setError(i, "expected an object with member '"+s.name+"' but found "+kindPhrase(cur))
		}
		child, ok := cur.Get(s.name)
		if !ok {
			child = value.EmptyObject()
		}
		v, err := p.set(i+1, child, x)
		if err != nil {
			return value.Value{}, err
		}
		return cur.With(s.name, v), nil
	case stepIndex:
		if cur.Kind() != value.Array {
			return value.Value{}, p.setError(i, "expected an array for index "+strconv.Itoa(s.index)+" but found "+kindPhrase(cur))
		}
		if s.index < 0 || s.index >= cur.Len() {
			return value.Value{}, p.setError(i, "index "+strconv.Itoa(s.index)+" out of range for array of length "+strconv.Itoa(cur.Len()))
		}
		v, err := p.set(i+1, cur.Index(s.index), x)
		if err != nil {
			return value.Value{}, err
		}
		return cur.SetIndex(s.index, v), nil
	}
	return value.Value{}, p.setError(i, "step not allowed in a reference path")
}

func (p *Path) setError(i int, msg string) *SetError {
	at := []byte{'$'}
	for j := 0; j < i; j++ {
		at = appendFragment(at, &p.steps[j])
	}
	return &SetError{Path: p.src, At: string(at), Msg: "at " + string(at) + ": " + msg}
}

func kindPhrase(v value.Value) string {
	switch v.Kind() {
	case value.Null:
		return "null"
	case value.Array:
		return "an array"
	case value.Object:
		return "an object"
	}
	return "a " + v.Kind().String()
}
