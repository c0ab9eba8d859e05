package intrinsic

import (
	"github.com/expressd/expressd/pkg/value"
)

// ArgKind tells what an [Arg] holds.
type ArgKind uint8

// The argument kinds.
const (
	ArgLiteral ArgKind = iota // a string, number, boolean or null literal in Arg.Lit
	ArgPath                   // a path ($.x, $$.y, $var, $) numbered by Arg.Path
	ArgCall                   // a nested intrinsic call in Arg.Call
)

// Arg is one argument of a [Call].
type Arg struct {
	Kind ArgKind
	Lit  value.Value // ArgLiteral: the value (string escapes already resolved)
	Path int         // ArgPath: index into Paths() of the root call
	Call *Call       // ArgCall: the nested call

	// raw is the source text of a string literal between the quotes, escapes
	// kept. States.Format needs it to tell "{}" from "\{\}", and String uses it.
	raw string
}

// Call is a parsed intrinsic function call. It is immutable and safe for
// concurrent use.
type Call struct {
	Func Func  // the function called
	Args []Arg // the arguments, their count checked against Func by Parse

	paths []string  // shared by the whole call tree, numbered by Arg.Path
	tmpl  *template // Format with a literal template: the precompiled template
}

// Paths returns the texts of all path arguments in the whole call tree, in
// order of first appearance and without duplicates; Arg.Path indexes it. Nested
// calls return the same slice as their root. The slice must not be modified.
func (c *Call) Paths() []string { return c.paths }

// Resolver resolves the path arguments of a call at run time. It is
// implemented by the VM, which compiled Paths() at compile time.
type Resolver interface {
	// ResolvePath returns the value of path i of the root call's Paths().
	// Its errors are returned by Eval unchanged.
	ResolvePath(i int) (value.Value, error)
}

// maxInlineArgs is the number of evaluated arguments kept in a fixed array
// before Eval allocates; every function but Array and Format has at most 3.
const maxInlineArgs = 4

// Eval evaluates the call. Path arguments are resolved through r, and errors
// from r are returned unchanged; failures of the functions themselves are
// returned as *[Error]. Eval is safe for concurrent use.
func (c *Call) Eval(r Resolver) (value.Value, error) {
	var buf [maxInlineArgs]value.Value
	args := buf[:0]
	if len(c.Args) > maxInlineArgs {
		args = make([]value.Value, 0, len(c.Args))
	}
	for i := range c.Args {
		a := &c.Args[i]
		switch a.Kind {
		case ArgLiteral:
			args = append(args, a.Lit)
		case ArgPath:
			v, err := r.ResolvePath(a.Path)
			if err != nil {
				return value.Value{}, err
			}
			args = append(args, v)
		case ArgCall:
			v, err := a.Call.Eval(r)
			if err != nil {
				return value.Value{}, err
			}
			args = append(args, v)
		}
	}
	return funcs[c.Func].eval(c, args)
}

// String returns the call in canonical source form: no optional white space,
// ", " between arguments, string literals with their original escapes. Parse
// of the result yields an equivalent call.
func (c *Call) String() string { return string(c.appendTo(nil)) }

func (c *Call) appendTo(dst []byte) []byte {
	dst = append(dst, c.Func.String()...)
	dst = append(dst, '(')
	for i := range c.Args {
		if i > 0 {
			dst = append(dst, ", "...)
		}
		a := &c.Args[i]
		switch a.Kind {
		case ArgLiteral:
			if a.Lit.Kind() == value.String {
				dst = append(dst, '\'')
				dst = append(dst, a.raw...)
				dst = append(dst, '\'')
			} else {
				dst = value.AppendJSON(dst, a.Lit)
			}
		case ArgPath:
			dst = append(dst, c.paths[a.Path]...)
		case ArgCall:
			dst = a.Call.appendTo(dst)
		}
	}
	return append(dst, ')')
}
