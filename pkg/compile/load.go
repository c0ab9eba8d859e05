package compile

import (
	"github.com/expressd/expressd/pkg/asl"
	"github.com/expressd/expressd/pkg/vm"
)

// Load is the whole definition pipeline on a definition text: decode,
// validate and compile, with every problem reported at once. Even a
// definition with structural problems is compiled, so that bad paths and
// intrinsics show up in the same run; the program is returned only when
// there is no problem at all. Load never panics, whatever data holds (the
// invariant FuzzDefinition checks). `expressd validate`, `run`, `serve`
// and the conformance runner all use it, so they accept and refuse the
// same definitions.
func Load(file string, data []byte, opts ...Option) (*vm.Program, asl.Diagnostics) {
	sm, diags := asl.Load(file, data)
	if sm == nil {
		return nil, diags
	}
	opts = append([]Option{WithFile(file)}, opts...)
	prog, cdiags := StateMachine(sm, opts...)
	if len(diags) == 0 {
		return prog, cdiags
	}
	return nil, merge(diags, cdiags)
}

// merge adds the compiler's findings to the validator's, without
// repeating a problem both found at the same place.
func merge(a, b asl.Diagnostics) asl.Diagnostics {
	seen := make(map[string]bool, len(a))
	for _, d := range a {
		seen[d.Pointer] = true
	}
	out := append(asl.Diagnostics(nil), a...)
	for _, d := range b {
		if !seen[d.Pointer] {
			out = append(out, d)
		}
	}
	return out.Sorted()
}
