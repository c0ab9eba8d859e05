package asl

import (
	"github.com/expressd/expressd/pkg/value"
)

// Get returns the value of the object member named key, or nil when n is
// nil, not an object or has no such member.
func (n *Node) Get(key string) *Node {
	if i := n.index(key); i >= 0 {
		return n.Items[i]
	}
	return nil
}

// index returns the position of member key in n, or -1.
func (n *Node) index(key string) int {
	if n == nil || n.Kind != value.Object {
		return -1
	}
	for i, k := range n.Keys {
		if k == key {
			return i
		}
	}
	return -1
}

// Value converts n to a [value.Value]. Numbers keep their source text. A nil
// Node converts to JSON null.
func (n *Node) Value() value.Value {
	if n == nil {
		return value.NullValue
	}
	switch n.Kind {
	case value.Bool:
		return value.FromBool(n.Bool)
	case value.Number:
		return value.NumberText(n.Num, n.Float)
	case value.String:
		return value.FromString(n.Str)
	case value.Array:
		items := make([]value.Value, len(n.Items))
		for i, it := range n.Items {
			items[i] = it.Value()
		}
		return value.FromArray(items)
	case value.Object:
		keys := make([]string, len(n.Keys))
		copy(keys, n.Keys)
		vals := make([]value.Value, len(n.Items))
		for i, it := range n.Items {
			vals[i] = it.Value()
		}
		return value.FromObject(keys, vals)
	}
	return value.NullValue
}

// memberPos returns the position of the name of member key of n, or the
// position of n when there is no such member.
func (n *Node) memberPos(key string) Pos {
	if i := n.index(key); i >= 0 && i < len(n.KeyPos) {
		return n.KeyPos[i]
	}
	if n == nil {
		return Pos{}
	}
	return n.Pos
}

// child returns the pointer of member key of n.
func (n *Node) child(key string) string {
	if n == nil {
		return "/" + escapePointer(key)
	}
	return n.Pointer + "/" + escapePointer(key)
}

// isExpr reports whether n is a JSONata expression string: "{%" … "%}" with
// nothing outside the delimiters.
func (n *Node) isExpr() bool {
	return n != nil && n.Kind == value.String && isJSONata(n.Str)
}

func isJSONata(s string) bool {
	return len(s) >= 4 && s[:2] == "{%" && s[len(s)-2:] == "%}"
}
