package jsonpath

import "strconv"

// Root says which document a path starts from.
type Root uint8

// The roots of an ASL path.
const (
	RootInput    Root = iota // "$": the state input (or the document being filtered)
	RootContext              // "$$": the context object
	RootVariable             // "$name": a workflow variable

	// rootCurrent is "@" inside a filter: the element being tested.
	rootCurrent
)

// String returns the spelling of the root: "$", "$$", "$var" or "@".
func (r Root) String() string {
	switch r {
	case RootInput:
		return "$"
	case RootContext:
		return "$$"
	case RootVariable:
		return "$var"
	case rootCurrent:
		return "@"
	}
	return "Root(" + strconv.Itoa(int(r)) + ")"
}

// Limits on path text. They bound the work and stack depth of parsing and
// evaluation for paths that come from untrusted definitions.
const (
	// MaxPathLen is the longest path accepted, in bytes. Real ASL paths are
	// a few dozen bytes; a definition is at most 1 MiB, and 4 KiB leaves room
	// for any hand-written filter while keeping parse cost trivial.
	MaxPathLen = 4096

	// MaxSteps is the largest number of steps in one path, counting the
	// steps of paths nested in filters separately. A JSON payload is at most
	// 256 KiB and value.MaxDepth deep, so deeper paths could only miss.
	MaxSteps = 256

	// MaxFilterDepth is the deepest nesting of filters and parenthesised
	// filter expressions. Filter parsing and evaluation recurse once per
	// level; 32 is far beyond any legitimate filter and keeps the stack small.
	MaxFilterDepth = 32
)

// stepKind is the kind of one path step.
type stepKind uint8

const (
	stepName     stepKind = iota // .a or ['a']: one member
	stepIndex                    // [n]: one element; n < 0 counts from the end
	stepNames                    // ['a','b']: union of members
	stepIndexes                  // [0,1]: union of elements
	stepWildcard                 // .* or [*]
	stepSlice                    // [a:b], [a:], [:b]
	stepScan                     // ..: applies the next step at every level
	stepFilter                   // [?(...)]
)

// Slice forms, as in Jayway's ArraySliceOperation.
const (
	sliceFrom    = 1 // [a:]
	sliceTo      = 2 // [:b]
	sliceBetween = 3 // [a:b]
)

// step is one precompiled step of a path.
type step struct {
	kind    stepKind
	quote   byte // delimiter of bracket names, for the normalised form
	dot     bool // stepName written in dot notation
	slice   uint8
	index   int // stepIndex; slice from
	to      int // slice to
	name    string
	names   []string // stepNames
	indexes []int    // stepIndexes
	filter  *expr    // stepFilter
}

// Path is a parsed ASL path. A Path is immutable and safe for concurrent use.
type Path struct {
	src      string
	root     Root
	varName  string
	steps    []step
	definite bool
	simple   bool // only stepName and stepIndex: the allocation-free fast path
	ref      bool // a valid Reference Path (Set is allowed)
	single   bool // names and non-negative indexes only: selects at most one node, whatever the root
}

// String returns the source text of the path.
func (p *Path) String() string { return p.src }

// Root returns the document the path starts from.
func (p *Path) Root() Root { return p.root }

// Var returns the variable name of a RootVariable path ("x" for "$x.y"), and
// "" for other roots.
func (p *Path) Var() string { return p.varName }

// Definite reports whether the path has no wildcard, slice, index union,
// filter or deep scan, so that it selects at most one value. Get on an
// indefinite path returns an array of all matches.
func (p *Path) Definite() bool { return p.definite }

// IsRootOnly reports whether the path is a bare root ("$", "$$" or "$x").
func (p *Path) IsRootOnly() bool { return len(p.steps) == 0 }

// IsReference reports whether the path is a valid Reference Path, so that
// [Path.Set] may be used.
func (p *Path) IsReference() bool { return p.ref }

// SingleNode reports whether the path has the syntax of a Reference Path
// (member names and non-negative indexes only, no function call) over any
// root: the input, the context object or a variable. ASL fields such as
// ItemsPath, SecondsPath or a Choice rule's Variable take such paths.
func (p *Path) SingleNode() bool { return p.single }

// Normalized returns the path in Jayway's normalised form, e.g.
// "$['a']['b'][0]". The root is always written "$", as AWS hands the part
// after "$$" or "$name" to Jayway.
func (p *Path) Normalized() string {
	b := []byte{'$'}
	for i := range p.steps {
		b = appendFragment(b, &p.steps[i])
	}
	return string(b)
}

// appendFragment appends Jayway's getPathFragment of s.
func appendFragment(b []byte, s *step) []byte {
	switch s.kind {
	case stepName:
		b = append(b, '[')
		b = appendQuotedName(b, s.name, s.quote)
		b = append(b, ']')
	case stepNames:
		b = append(b, '[')
		for i, n := range s.names {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendQuotedName(b, n, s.quote)
		}
		b = append(b, ']')
	case stepIndex:
		b = append(b, '[')
		b = strconv.AppendInt(b, int64(s.index), 10)
		b = append(b, ']')
	case stepIndexes:
		b = append(b, '[')
		for i, n := range s.indexes {
			if i > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendInt(b, int64(n), 10)
		}
		b = append(b, ']')
	case stepWildcard:
		b = append(b, "[*]"...)
	case stepSlice:
		b = append(b, '[')
		if s.slice != sliceTo {
			b = strconv.AppendInt(b, int64(s.index), 10)
		}
		b = append(b, ':')
		if s.slice != sliceFrom {
			b = strconv.AppendInt(b, int64(s.to), 10)
		}
		b = append(b, ']')
	case stepScan:
		b = append(b, ".."...)
	case stepFilter:
		b = append(b, "[?]"...)
	}
	return b
}

// appendQuotedName writes a member name as Jayway's PropertyPathToken does:
// in the source delimiter, with backslash and single quote escaped.
func appendQuotedName(b []byte, name string, q byte) []byte {
	b = append(b, q)
	for i := 0; i < len(name); i++ {
		switch c := name[i]; c {
		case '\\', '\'':
			b = append(b, '\\', c)
		default:
			b = append(b, c)
		}
	}
	return append(b, q)
}

// Member returns the member name of a reference path of exactly one member
// step ($.name or $['name']), and whether p is such a path. The VM uses it
// to update an object it owns in place.
func (p *Path) Member() (string, bool) {
	if !p.ref || len(p.steps) != 1 || p.steps[0].kind != stepName {
		return "", false
	}
	return p.steps[0].name, true
}
