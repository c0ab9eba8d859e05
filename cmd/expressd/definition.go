package main

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/expressd/expressd/pkg/asl"
	"github.com/expressd/expressd/pkg/compile"
	"github.com/expressd/expressd/pkg/vm"
)

// machineName derives a state machine name from a definition file name:
// the base name without .asl.json, .asl.yaml, .asl.yml, .json, .yaml or .yml.
func machineName(file string) string {
	base := filepath.Base(file)
	for _, ext := range []string{".asl.json", ".asl.yaml", ".asl.yml", ".json", ".yaml", ".yml"} {
		if strings.HasSuffix(base, ext) {
			return strings.TrimSuffix(base, ext)
		}
	}
	return base
}

// load reads, decodes, validates and compiles a definition. It returns the
// diagnostics of every problem found.
func load(file, name string, opts ...compile.Option) (*vm.Program, asl.Diagnostics, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, nil, err
	}
	sm, diags := asl.Load(file, data)
	if sm == nil {
		return nil, diags, nil
	}
	// Compile even a definition with structural problems, so that bad paths
	// and intrinsics are reported in the same run: every problem at once.
	opts = append([]compile.Option{compile.WithFile(file), compile.WithName(name)}, opts...)
	prog, cdiags := compile.StateMachine(sm, opts...)
	if len(diags) == 0 {
		return prog, cdiags, nil
	}
	return nil, mergeDiagnostics(diags, cdiags), nil
}

// mergeDiagnostics adds the compiler's findings to the validator's, without
// repeating a problem both found (the same place and message).
func mergeDiagnostics(a, b asl.Diagnostics) asl.Diagnostics {
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
