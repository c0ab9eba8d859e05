package sinks

import (
	"context"
	"fmt"
	"sync/atomic"
	"unsafe"

	"github.com/itchyny/gojq"
)

// maxFilterOutputs bounds the values one record may produce through a
// filter. A record is one log line; a filter like `range(1e9)` or
// `repeat(.)` is a mistake, and the cap keeps it from filling memory and
// stalling the sink. Outputs past the cap are discarded and the record
// counts as a filter error.
const maxFilterOutputs = 64

// Filter is a compiled jq expression applied to each record of a sink.
// It is compiled once, when the sink is built. A Filter is safe for
// concurrent use.
type Filter struct {
	expr   string
	code   *gojq.Code
	errors atomic.Int64
}

// CompileFilter parses and compiles the jq expression expr. The error names
// the expression. Environment variables are not visible to the filter
// ($ENV is empty) and input/inputs are not available.
func CompileFilter(expr string) (*Filter, error) {
	q, err := gojq.Parse(expr)
	if err != nil {
		return nil, fmt.Errorf("sinks: filter %q: %w", expr, err)
	}
	code, err := gojq.Compile(q)
	if err != nil {
		return nil, fmt.Errorf("sinks: filter %q: %w", expr, err)
	}
	return &Filter{expr: expr, code: code}, nil
}

// String returns the source expression.
func (f *Filter) String() string { return f.expr }

// Errors returns how many records failed at run time (a jq error such as
// `.details | fromjson` on a non-string, or too many outputs). Those
// records are treated like records the filter dropped, as jq's `?` would.
func (f *Filter) Errors() int64 { return f.errors.Load() }

// appendRecord runs the filter on r and appends every output as one line of
// l, tagged with the record's batch index idx.
func (f *Filter) appendRecord(ctx context.Context, l *Lines, r *Record, idx int) {
	in := r.Map()
	it := f.code.RunWithContext(ctx, in)
	start := l.Len()
	for n := 0; ; n++ {
		v, ok := it.Next()
		if !ok {
			return
		}
		if err, isErr := v.(error); isErr || n == maxFilterOutputs {
			if halt, ok := err.(*gojq.HaltError); ok && halt.Value() == nil {
				return // `halt` ends the program without an error
			}
			// Keep no partial output: a record fails as a whole.
			l.truncate(start)
			f.errors.Add(1)
			return
		}
		if m, isMap := v.(map[string]any); isMap && sameMap(m, in) {
			// The record passed unchanged (select, .): keep AWS's field order.
			l.buf = r.AppendJSON(l.buf)
		} else {
			b, err := gojq.Marshal(v)
			if err != nil {
				l.truncate(start)
				f.errors.Add(1)
				return
			}
			l.buf = append(l.buf, b...)
		}
		l.end(idx)
	}
}

// sameMap reports whether a and b are the same map (not merely equal). gojq
// returns its input value itself for `.` and `select(…)`, and copies a map
// before changing it, so identity means "unchanged". Maps are pointers to
// the runtime's map header; comparing those avoids reflect.
func sameMap(a, b map[string]any) bool {
	return *(*unsafe.Pointer)(unsafe.Pointer(&a)) == *(*unsafe.Pointer)(unsafe.Pointer(&b))
}
