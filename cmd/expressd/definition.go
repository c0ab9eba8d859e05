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

// load reads a definition file and runs it through compile.Load: the
// program, or the diagnostics of every problem found.
func load(file, name string, opts ...compile.Option) (*vm.Program, asl.Diagnostics, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, nil, err
	}
	prog, diags := compile.Load(file, data, append([]compile.Option{compile.WithName(name)}, opts...)...)
	return prog, diags, nil
}
