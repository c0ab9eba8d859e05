package asl

import (
	"math"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/expressd/expressd/pkg/internal/yamlerr"
	"github.com/expressd/expressd/pkg/value"
)

// yamlConv converts a yaml.Node tree into a Node tree.
type yamlConv struct {
	file   string
	diags  Diagnostics
	budget int // nodes left; aliases can expand a small text into a huge tree
}

// maxYAMLNodes bounds the values a YAML definition may expand to through
// aliases. A JSON definition within MaxDefinitionBytes holds at most about
// MaxDefinitionBytes/4 values once member names and separators are counted
// ("a":1, is six bytes), so a YAML definition may not expand beyond that.
const maxYAMLNodes = MaxDefinitionBytes / 4

// parseYAML decodes a YAML definition. It returns nil and a diagnostic when
// the text is not YAML.
func parseYAML(file string, data []byte) (*Node, Diagnostics) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		line, msg := yamlerr.Locate(data, err)
		return nil, Diagnostics{{File: file, Code: CodeInvalidJSON, Pos: Pos{Line: line}, Msg: msg}}
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, Diagnostics{{File: file, Code: CodeSchema, Msg: "Definition must be a valid JSON object"}}
	}
	c := &yamlConv{file: file, budget: maxYAMLNodes}
	n := c.node(doc.Content[0], "", 1)
	return n, c.diags
}

func (c *yamlConv) errf(y *yaml.Node, ptr, msg string) {
	c.diags = append(c.diags, Diagnostic{File: c.file, Pos: Pos{Line: y.Line, Col: y.Column}, Pointer: ptr, Code: CodeInvalidJSON, Msg: msg})
}

// node converts y; it returns nil after reporting a problem.
func (c *yamlConv) node(y *yaml.Node, ptr string, depth int) *Node {
	if depth > MaxNestingDepth {
		c.errf(y, ptr, "definition nests deeper than "+strconv.Itoa(MaxNestingDepth)+" levels")
		return nil
	}
	if c.budget--; c.budget < 0 {
		if c.budget == -1 {
			c.errf(y, ptr, "definition expands to more than "+strconv.Itoa(maxYAMLNodes)+" values")
		}
		return nil
	}
	n := &Node{Pos: Pos{Line: y.Line, Col: y.Column}, Pointer: ptr}
	switch y.Kind {
	case yaml.AliasNode:
		if y.Alias == nil {
			c.errf(y, ptr, "unknown alias")
			return nil
		}
		a := c.node(y.Alias, ptr, depth)
		if a != nil {
			a.Pos = n.Pos
		}
		return a
	case yaml.DocumentNode:
		if len(y.Content) == 0 {
			return nil
		}
		return c.node(y.Content[0], ptr, depth)
	case yaml.SequenceNode:
		n.Kind = value.Array
		n.Items = []*Node{}
		for i, e := range y.Content {
			if it := c.node(e, ptr+"/"+strconv.Itoa(i), depth+1); it != nil {
				n.Items = append(n.Items, it)
			}
		}
	case yaml.MappingNode:
		n.Kind = value.Object
		c.mapping(n, y, depth)
	case yaml.ScalarNode:
		if !c.scalar(n, y) {
			return nil
		}
	default:
		c.errf(y, ptr, "unsupported YAML node")
		return nil
	}
	return n
}

// mapping converts a mapping. Merge keys are applied after the explicit
// members, which take precedence whatever their order.
func (c *yamlConv) mapping(n *Node, y *yaml.Node, depth int) {
	var merges []*yaml.Node
	defer func() {
		for _, v := range merges {
			c.merge(n, v, depth)
		}
	}()
	for i := 0; i+1 < len(y.Content); i += 2 {
		k, v := y.Content[i], y.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
			merges = append(merges, v)
			continue
		}
		if k.Kind != yaml.ScalarNode || k.ShortTag() != "!!str" {
			c.errf(k, n.Pointer, "mapping keys must be strings")
			continue
		}
		ptr := n.Pointer + "/" + escapePointer(k.Value)
		if n.index(k.Value) >= 0 {
			c.diags = append(c.diags, Diagnostic{File: c.file, Pos: Pos{Line: k.Line, Col: k.Column}, Pointer: ptr,
				Code: CodeSchema, Msg: "duplicate member name " + strconv.Quote(k.Value)})
			continue
		}
		if it := c.node(v, ptr, depth+1); it != nil {
			n.Keys = append(n.Keys, k.Value)
			n.KeyPos = append(n.KeyPos, Pos{Line: k.Line, Col: k.Column})
			n.Items = append(n.Items, it)
		}
	}
}

// merge applies a YAML merge key ("<<: *base"): members of the merged
// mapping(s) that n does not already have are added.
func (c *yamlConv) merge(n *Node, v *yaml.Node, depth int) {
	for v.Kind == yaml.AliasNode && v.Alias != nil {
		v = v.Alias
	}
	switch v.Kind {
	case yaml.SequenceNode:
		for _, e := range v.Content {
			c.merge(n, e, depth)
		}
		return
	case yaml.MappingNode:
	default:
		c.errf(v, n.Pointer, "merge value must be a mapping")
		return
	}
	m := c.node(v, n.Pointer, depth)
	if m == nil {
		return
	}
	for i, k := range m.Keys {
		if n.index(k) >= 0 {
			continue
		}
		it := m.Items[i]
		rebase(it, n.Pointer+"/"+escapePointer(k))
		n.Keys = append(n.Keys, k)
		n.KeyPos = append(n.KeyPos, m.KeyPos[i])
		n.Items = append(n.Items, it)
	}
}

// rebase rewrites the pointers of a subtree moved under ptr.
func rebase(n *Node, ptr string) {
	n.Pointer = ptr
	for i, it := range n.Items {
		if n.Kind == value.Object {
			rebase(it, ptr+"/"+escapePointer(n.Keys[i]))
		} else {
			rebase(it, ptr+"/"+strconv.Itoa(i))
		}
	}
}

func (c *yamlConv) scalar(n *Node, y *yaml.Node) bool {
	switch y.ShortTag() {
	case "!!null":
		n.Kind = value.Null
	case "!!bool":
		b, err := strconv.ParseBool(strings.ToLower(y.Value))
		if err != nil {
			c.errf(y, n.Pointer, "invalid boolean "+strconv.Quote(y.Value))
			return false
		}
		n.Kind, n.Bool = value.Bool, b
	case "!!int":
		n.Kind = value.Number
		if i, err := strconv.ParseInt(y.Value, 0, 64); err == nil {
			n.Num, n.Float = strconv.FormatInt(i, 10), float64(i)
		} else if f, err := strconv.ParseFloat(strings.ReplaceAll(y.Value, "_", ""), 64); err == nil && !math.IsInf(f, 0) {
			n.Num, n.Float = strconv.FormatFloat(f, 'g', -1, 64), f
		} else {
			c.errf(y, n.Pointer, "invalid integer "+strconv.Quote(y.Value))
			return false
		}
	case "!!float":
		f, err := strconv.ParseFloat(strings.ReplaceAll(y.Value, "_", ""), 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			c.errf(y, n.Pointer, "number "+strconv.Quote(y.Value)+" has no JSON form")
			return false
		}
		n.Kind, n.Float = value.Number, f
		if validJSONNumber(y.Value) {
			n.Num = y.Value
		} else {
			n.Num = strconv.FormatFloat(f, 'g', -1, 64)
		}
	default: // !!str, !!timestamp, !!binary and custom tags keep their text
		n.Kind, n.Str = value.String, y.Value
	}
	return true
}

// validJSONNumber reports whether s is a number in RFC 8259 syntax.
func validJSONNumber(s string) bool {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	digits := func() bool {
		j := i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		return i > j
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case !digits():
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if !digits() {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if !digits() {
			return false
		}
	}
	return i == len(s)
}
