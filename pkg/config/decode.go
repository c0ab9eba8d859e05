package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/expressd/expressd/pkg/internal/yamlerr"
	"go.yaml.in/yaml/v3"
)

// Parse decodes the YAML config data strictly: an unknown or duplicate key,
// a value of the wrong type or a malformed duration or size is an error
// naming the path and its line:col. file is used in messages and to resolve
// relative input paths. Parse neither applies defaults nor validates; see
// [Load]. The error is an [ErrorList].
func Parse(file string, data []byte) (*Config, error) {
	c := &Config{File: file, pos: map[string]position{}}
	d := &decoder{file: file, pos: c.pos}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return c, nil // an empty file is an empty config; Validate says what is missing
		}
		return nil, ErrorList{syntaxError(file, data, err)}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		d.errorf(&extra, "", "a config file holds one YAML document; found a second one")
	} else if !errors.Is(err, io.EOF) {
		return nil, ErrorList{syntaxError(file, data, err)}
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) > 0 {
		root = root.Content[0]
	}
	d.object(deref(root), spec, c, "")
	if err := d.errs.err(); err != nil {
		return nil, err
	}
	return c, nil
}

// syntaxError converts a yaml.v3 error ("yaml: line 3: mapping values are
// not allowed in this context") to an Error at the line where the text
// goes wrong (see pkg/internal/yamlerr).
func syntaxError(file string, data []byte, err error) *Error {
	line, msg := yamlerr.Locate(data, err)
	return &Error{File: file, Line: line, Msg: "invalid YAML: " + msg}
}

// decoder walks a yaml.Node tree against the spec table.
type decoder struct {
	file string
	pos  map[string]position
	errs ErrorList
}

func (d *decoder) errorf(n *yaml.Node, path, format string, args ...any) {
	e := &Error{File: d.file, Path: path, Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		e.Line, e.Col = n.Line, n.Column
	}
	d.errs = append(d.errs, e)
}

// at records the position of the value at path.
func (d *decoder) at(path string, n *yaml.Node) {
	if d.pos != nil {
		d.pos[path] = position{n.Line, n.Column}
	}
}

// deref follows YAML aliases (*anchor) to the anchored node.
func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n.Kind == yaml.AliasNode && n.Alias != nil && i < 100; i++ {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.Tag == "!!null" }

// describe names the YAML type of n for "must be X, got Y" messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	switch n.Tag {
	case "!!null":
		return "null"
	case "!!bool":
		return "a boolean"
	case "!!int", "!!float":
		return "a number"
	}
	return "a string"
}

func (d *decoder) typeError(n *yaml.Node, path, want string) {
	d.errorf(n, path, "must be %s, got %s", want, describe(n))
}

// object decodes the mapping n into dst (a pointer to the struct o
// describes). null is an empty mapping, so "embedded:" alone means
// "embedded with defaults".
func (d *decoder) object(n *yaml.Node, o *object, dst any, path string) {
	if isNull(n) {
		return
	}
	if n.Kind != yaml.MappingNode {
		d.typeError(n, path, "a mapping")
		return
	}
	seen := make(map[string]bool, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := deref(n.Content[i]), deref(n.Content[i+1])
		p := join(path, k.Value)
		if k.Kind != yaml.ScalarNode {
			d.errorf(k, path, "keys must be strings, got %s", describe(k))
			continue
		}
		if seen[k.Value] {
			d.errorf(k, p, "duplicate key %q", k.Value)
			continue
		}
		seen[k.Value] = true
		f := o.field(k.Value)
		if f == nil {
			d.errorf(k, p, "unknown key %q%s", k.Value, suggest(k.Value, o.keys()))
			continue
		}
		d.at(p, v)
		f.decode(d, dst, v, p)
	}
}

// suggest returns "; did you mean "x"?" for the closest known key, or the
// list of known keys.
func suggest(key string, known []string) string {
	if key == "<<" {
		return " (YAML merge keys are not supported)"
	}
	best, bestDist := "", 3
	for _, k := range known {
		if dist := editDistance(key, k); dist < bestDist {
			best, bestDist = k, dist
		}
	}
	if best != "" {
		return fmt.Sprintf("; did you mean %q?", best)
	}
	return " (known keys: " + strings.Join(known, ", ") + ")"
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// scalar decodes n into dst, a pointer of one of the scalar field types.
// Values of secret fields never appear in messages.
func (d *decoder) scalar(f *field, dst any, n *yaml.Node, path string) {
	if v, ok := dst.(*[]string); ok {
		if isNull(n) {
			*v = []string{}
			return
		}
		if n.Kind != yaml.SequenceNode {
			d.typeError(n, path, "a list of strings")
			return
		}
		out := make([]string, 0, len(n.Content))
		for i, item := range n.Content {
			item = deref(item)
			p := path + "[" + strconv.Itoa(i) + "]"
			d.at(p, item)
			if s, ok := d.str(item, p); ok {
				out = append(out, s)
			}
		}
		*v = out
		return
	}
	if n.Kind != yaml.ScalarNode {
		d.typeError(n, path, "a "+kindNames[f.kind])
		return
	}
	switch v := dst.(type) {
	case *string:
		if s, ok := d.str(n, path); ok {
			*v = s
		}
	case *Secret:
		if s, ok := d.str(n, path); ok {
			*v = Secret(s)
		}
	case *Level:
		if s, ok := d.str(n, path); ok {
			*v = Level(s)
		}
	case *bool:
		b, err := strconv.ParseBool(n.Value)
		if n.Tag != "!!bool" || err != nil {
			d.typeError(n, path, "true or false")
			return
		}
		*v = b
	case *int:
		if n.Tag == "!!float" && strings.Trim(n.Value, "+-0123456789_") == "" {
			d.errorf(n, path, "integer %s is out of range", n.Value) // too large for yaml.v3's int
			return
		}
		if n.Tag != "!!int" {
			d.typeError(n, path, "an integer")
			return
		}
		i, err := strconv.ParseInt(n.Value, 0, 64)
		if err != nil {
			d.errorf(n, path, "integer %s is out of range", n.Value)
			return
		}
		*v = int(i)
	case *time.Duration:
		switch n.Tag {
		case "!!int", "!!float":
			d.errorf(n, path, "duration %s has no unit; write it like \"%ss\" (units: ms, s, m, h)", n.Value, n.Value)
			return
		case "!!str":
		default:
			d.typeError(n, path, "a duration such as \"30s\"")
			return
		}
		t, err := time.ParseDuration(n.Value)
		if err != nil {
			d.errorf(n, path, "invalid duration %q: write a number with a unit, such as 30s, 5m or 1h30m", n.Value)
			return
		}
		*v = t
	case *Size:
		switch n.Tag {
		case "!!int", "!!str":
		default:
			d.typeError(n, path, "a size such as 100MiB")
			return
		}
		s, err := ParseSize(n.Value)
		if err != nil {
			d.errorf(n, path, "%v", err)
			return
		}
		*v = s
	default:
		panic(fmt.Sprintf("config: scalar: unsupported type %T", dst))
	}
}

// str accepts any scalar but a boolean or null as a string, as written (so
// account: 123456789012 works unquoted).
func (d *decoder) str(n *yaml.Node, path string) (string, bool) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!bool" || n.Tag == "!!null" {
		d.typeError(n, path, "a string")
		return "", false
	}
	return n.Value, true
}
