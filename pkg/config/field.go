package config

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"time"

	"go.yaml.in/yaml/v3"
)

// kind is the YAML shape of a field.
type kind uint8

const (
	kindString kind = iota
	kindBool
	kindInt
	kindDuration
	kindSize
	kindStrings // list of strings
	kindObject  // mapping with its own fields (elem)
	kindList    // list of objects (elem)
	kindMap     // mapping of names to objects (elem)
)

var kindNames = [...]string{
	kindString:   "string",
	kindBool:     "bool",
	kindInt:      "integer",
	kindDuration: "duration",
	kindSize:     "size",
	kindStrings:  "list of strings",
	kindObject:   "object",
	kindList:     "list of objects",
	kindMap:      "map of name to object",
}

// object is the spec of a YAML mapping: its fields in documentation order.
type object struct {
	doc    string
	fields []*field
	// applies reports whether f applies to the value parent (nil: every
	// field always applies) and, when it does not, the problem with setting
	// it ("" to say nothing). Sinks use it: path only applies to type file.
	applies func(parent any, f *field) (bool, string)
}

func (o *object) field(key string) *field {
	for _, f := range o.fields {
		if f.key == key {
			return f
		}
	}
	return nil
}

func (o *object) keys() []string {
	ks := make([]string, len(o.fields))
	for i, f := range o.fields {
		ks[i] = f.key
	}
	return ks
}

// field is one key of the config: its name, shape, default, documentation
// and per-field validation rules. The table in spec.go drives decoding
// (Parse), defaults (ApplyDefaults), validation (Validate), printing
// (String) and the reference (Reference), so none of them repeats it.
// Rules that relate several fields live in validate.go.
type field struct {
	key     string
	kind    kind
	doc     string
	def     string // default as YAML text, applied by ApplyDefaults when the key is absent
	defNote string // default described in words, applied by code in defaults.go
	example string // YAML text of an example value

	secret     bool // masked by Redacted and String; never echoed in messages
	noEcho     bool // value never echoed in messages
	required   bool // must be set (lists: non-empty)
	notEmpty   bool // may be left out, but not written empty
	enum       []string
	pattern    *regexp.Regexp
	patternDoc string // pattern in words for messages and docs
	intMin     int64
	intMax     int64 // 0: no range check
	durMin     time.Duration
	durMax     time.Duration       // 0: no maximum
	positive   bool                // durations: must be > 0
	check      func(string) string // extra check of a non-empty string; returns a problem or ""
	checkDoc   string
	file       bool     // names an input file that must exist; relative to the config file
	sinkTypes  []string // sink fields: the sink types the field applies to
	inherit    bool     // object whose own keys default to the enclosing value's (machine logging)
	opt        bool     // pointer-valued object: absent is nil
	elem       *object

	// Accessors, bound by the constructors below. parent is a pointer to
	// the struct holding the field.
	ptr    func(parent any) any                                    // scalars: pointer to the value
	child  func(parent any, alloc bool) any                        // objects: pointer to the struct, nil if absent
	each   func(parent any, visit func(suffix string, child any))  // lists and maps of objects
	decode func(d *decoder, parent any, n *yaml.Node, path string) // sets the field from n
	zero   func(parent any) bool
}

// scalar binds a field of a scalar type (or []string) of struct P.
func scalar[P, V any](key string, get func(*P) *V, f field) *field {
	f.key = key
	switch any(new(V)).(type) {
	case *string, *Secret, *Level:
		f.kind = kindString
	case *bool:
		f.kind = kindBool
	case *int:
		f.kind = kindInt
	case *time.Duration:
		f.kind = kindDuration
	case *Size:
		f.kind = kindSize
	case *[]string:
		f.kind = kindStrings
	default:
		panic(fmt.Sprintf("config: field %s: unsupported type %T", key, new(V)))
	}
	f.ptr = func(parent any) any { return get(parent.(*P)) }
	f.decode = func(d *decoder, parent any, n *yaml.Node, path string) {
		d.scalar(&f, get(parent.(*P)), n, path)
	}
	f.zero = func(parent any) bool { return isZero(get(parent.(*P))) }
	return &f
}

// obj binds a struct-valued field (always present) of struct P.
func obj[P, C any](key string, get func(*P) *C, elem *object, f field) *field {
	f.key, f.kind, f.elem = key, kindObject, elem
	f.child = func(parent any, _ bool) any { return get(parent.(*P)) }
	f.decode = func(d *decoder, parent any, n *yaml.Node, path string) {
		d.object(n, elem, get(parent.(*P)), path)
	}
	f.zero = func(any) bool { return false }
	return &f
}

// optional binds a pointer-to-struct field of struct P; nil means absent.
func optional[P, C any](key string, get func(*P) **C, elem *object, f field) *field {
	f.key, f.kind, f.elem, f.opt = key, kindObject, elem, true
	f.child = func(parent any, alloc bool) any {
		pp := get(parent.(*P))
		if *pp == nil {
			if !alloc {
				return nil
			}
			*pp = new(C)
		}
		return *pp
	}
	f.decode = func(d *decoder, parent any, n *yaml.Node, path string) {
		d.object(n, elem, f.child(parent, true), path)
	}
	f.zero = func(parent any) bool { return *get(parent.(*P)) == nil }
	return &f
}

// list binds a []C field of struct P.
func list[P, C any](key string, get func(*P) *[]C, elem *object, f field) *field {
	f.key, f.kind, f.elem = key, kindList, elem
	f.each = func(parent any, visit func(string, any)) {
		s := *get(parent.(*P))
		for i := range s {
			visit("["+strconv.Itoa(i)+"]", &s[i])
		}
	}
	f.decode = func(d *decoder, parent any, n *yaml.Node, path string) {
		if isNull(n) {
			*get(parent.(*P)) = []C{}
			return
		}
		if n.Kind != yaml.SequenceNode {
			d.typeError(n, path, "a list")
			return
		}
		out := make([]C, len(n.Content))
		for i, item := range n.Content {
			p := path + "[" + strconv.Itoa(i) + "]"
			item = deref(item)
			d.at(p, item)
			d.object(item, elem, &out[i], p)
		}
		*get(parent.(*P)) = out
	}
	f.zero = func(parent any) bool { return *get(parent.(*P)) == nil }
	return &f
}

// mapping binds a map[string]C field of struct P.
func mapping[P, C any](key string, get func(*P) *map[string]C, elem *object, f field) *field {
	f.key, f.kind, f.elem = key, kindMap, elem
	f.each = func(parent any, visit func(string, any)) {
		m := *get(parent.(*P))
		names := make([]string, 0, len(m))
		for k := range m {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			c := m[k]
			visit("."+k, &c)
			m[k] = c
		}
	}
	f.decode = func(d *decoder, parent any, n *yaml.Node, path string) {
		m := map[string]C{}
		*get(parent.(*P)) = m
		if isNull(n) {
			return
		}
		if n.Kind != yaml.MappingNode {
			d.typeError(n, path, "a mapping")
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := deref(n.Content[i]), deref(n.Content[i+1])
			p := join(path, k.Value)
			if _, dup := m[k.Value]; dup {
				d.errorf(k, p, "duplicate key %q", k.Value)
				continue
			}
			d.at(p, v)
			var c C
			d.object(v, elem, &c, p)
			m[k.Value] = c
		}
	}
	f.zero = func(parent any) bool { return *get(parent.(*P)) == nil }
	return &f
}

func isZero(p any) bool {
	switch v := p.(type) {
	case *string:
		return *v == ""
	case *Secret:
		return *v == ""
	case *Level:
		return *v == ""
	case *bool:
		return !*v
	case *int:
		return *v == 0
	case *time.Duration:
		return *v == 0
	case *Size:
		return *v == 0
	case *[]string:
		return *v == nil
	}
	panic(fmt.Sprintf("config: isZero: unsupported type %T", p))
}

// join appends key to a dotted path.
func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// appliesTo reports whether f applies to parent, an instance of o.
func (o *object) appliesTo(parent any, f *field) (bool, string) {
	if o.applies == nil {
		return true, ""
	}
	return o.applies(parent, f)
}
