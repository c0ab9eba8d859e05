package asl

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
)

// Code classifies a diagnostic. Where Step Functions reports a problem
// with a code (ValidateStateMachineDefinition), the same code is used.
type Code string

// Diagnostic codes.
const (
	// CodeInvalidJSON is a syntax error in the definition text.
	CodeInvalidJSON Code = "INVALID_JSON_DESCRIPTION"
	// CodeSchema is a field that is missing, unknown, of the wrong type or
	// out of range.
	CodeSchema Code = "SCHEMA_VALIDATION_FAILED"
	// CodeMissingTarget is a transition to a state that does not exist in
	// the same (sub-)machine, or a state that is not reachable.
	CodeMissingTarget Code = "MISSING_TRANSITION_TARGET"
	// CodeMissingEnd is a (sub-)machine without a terminal state.
	CodeMissingEnd Code = "MISSING_END_STATE"
	// CodeDuplicateState is a state name used twice in one definition.
	CodeDuplicateState Code = "DUPLICATE_STATE_NAME"
	// CodeUnsupported is valid ASL that expressd does not run (Distributed
	// Map).
	CodeUnsupported Code = "UNSUPPORTED_FEATURE"
	// CodeLimit is a definition that exceeds one of the package limits.
	CodeLimit Code = "LIMIT_EXCEEDED"
	// CodeInternal is a definition the compiler could not turn into a
	// valid program although no other problem was found: a bug of
	// expressd, reported instead of crashing.
	CodeInternal Code = "INTERNAL_ERROR"
)

// Diagnostic is one problem found in a definition.
type Diagnostic struct {
	File    string
	Pos     Pos    // zero when unknown
	Pointer string // RFC 6901 JSON Pointer of the offending value; "" is the root
	Code    Code   // e.g. CodeSchema
	Msg     string
}

// String renders d as "file:line:col: /pointer: message". The file, line and
// column are left out when unknown; the root pointer prints as "/".
func (d Diagnostic) String() string {
	var b strings.Builder
	if d.File != "" {
		b.WriteString(d.File)
		b.WriteByte(':')
	}
	if d.Pos.Line > 0 {
		b.WriteString(strconv.Itoa(d.Pos.Line))
		b.WriteByte(':')
		if d.Pos.Col > 0 {
			b.WriteString(strconv.Itoa(d.Pos.Col))
			b.WriteByte(':')
		}
	}
	if b.Len() > 0 {
		b.WriteByte(' ')
	}
	if d.Pointer == "" {
		b.WriteByte('/')
	} else {
		b.WriteString(d.Pointer)
	}
	b.WriteString(": ")
	b.WriteString(d.Msg)
	return b.String()
}

// Diagnostics is a list of problems sorted by position. It implements error.
type Diagnostics []Diagnostic

// Error joins the diagnostics, one per line.
func (ds Diagnostics) Error() string {
	lines := make([]string, len(ds))
	for i, d := range ds {
		lines[i] = d.String()
	}
	return strings.Join(lines, "\n")
}

// Sorted orders ds by file, position, pointer and message, and drops exact
// duplicates, so the output is stable whatever order the checks ran in.
// It sorts in place and returns the (possibly shorter) result.
func (ds Diagnostics) Sorted() Diagnostics {
	slices.SortStableFunc(ds, func(a, b Diagnostic) int {
		return cmp.Or(
			cmp.Compare(a.File, b.File),
			cmp.Compare(a.Pos.Line, b.Pos.Line),
			cmp.Compare(a.Pos.Col, b.Pos.Col),
			cmp.Compare(a.Pointer, b.Pointer),
			cmp.Compare(a.Msg, b.Msg),
		)
	})
	return slices.Compact(ds)
}
