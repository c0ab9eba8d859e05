package bench

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/expressd/expressd/pkg/asl"
	"github.com/expressd/expressd/pkg/compile"
	"github.com/expressd/expressd/pkg/value"
	"github.com/expressd/expressd/pkg/vm"
)

// Workload is a definition with its input and, optionally, the output it
// must produce.
type Workload struct {
	Name   string // from the definition's folder or file name
	File   string
	Def    []byte
	Input  []byte // JSON text, as published
	Expect *value.Value
}

// LoadWorkload reads a definition, an input file and an optional expected
// output file (""). The name is the definition's folder for
// bench/workloads/<name>/definition.asl.json, else the file name without
// its extension.
func LoadWorkload(defFile, inputFile, expectFile string) (*Workload, error) {
	def, err := os.ReadFile(defFile)
	if err != nil {
		return nil, err
	}
	w := &Workload{Name: WorkloadName(defFile), File: defFile, Def: def}
	if inputFile == "" {
		w.Input = []byte("{}")
	} else if w.Input, err = os.ReadFile(inputFile); err != nil {
		return nil, err
	}
	w.Input = []byte(strings.TrimSpace(string(w.Input)))
	if _, err := value.Parse(w.Input); err != nil {
		return nil, fmt.Errorf("%s: input is not JSON: %w", inputFile, err)
	}
	if expectFile != "" {
		data, err := os.ReadFile(expectFile)
		if err != nil {
			return nil, err
		}
		v, err := value.Parse(data)
		if err != nil {
			return nil, fmt.Errorf("%s: expected output is not JSON: %w", expectFile, err)
		}
		w.Expect = &v
	}
	return w, nil
}

// WorkloadName derives a workload name from its definition file.
func WorkloadName(defFile string) string {
	base := filepath.Base(defFile)
	for _, ext := range []string{".asl.json", ".asl.yaml", ".asl.yml", ".json", ".yaml", ".yml"} {
		if strings.HasSuffix(base, ext) {
			base = strings.TrimSuffix(base, ext)
			break
		}
	}
	if base == "definition" {
		if dir := filepath.Base(filepath.Dir(defFile)); dir != "." && dir != "/" {
			return dir
		}
	}
	return base
}

// Compile validates and compiles the workload's definition as machine
// name. With tasks nil, Task resources are not resolved.
func (w *Workload) Compile(name string, tasks compile.TaskResolver) (*vm.Program, error) {
	sm, diags := asl.Load(w.File, w.Def)
	if len(diags) > 0 {
		return nil, fmt.Errorf("invalid definition:\n%s", diags.Error())
	}
	opts := []compile.Option{compile.WithFile(w.File), compile.WithName(name)}
	if tasks != nil {
		opts = append(opts, compile.WithTasks(tasks))
	}
	prog, diags := compile.StateMachine(sm, opts...)
	if len(diags) > 0 {
		return nil, fmt.Errorf("invalid definition:\n%s", diags.Error())
	}
	return prog, nil
}

// CheckOutput compares an execution's output with the expected value, if
// any. got is JSON text.
func (w *Workload) CheckOutput(got []byte) error {
	if w.Expect == nil {
		return nil
	}
	v, err := value.Parse(got)
	if err != nil {
		return fmt.Errorf("output is not JSON: %v", err)
	}
	if !value.Equal(v, *w.Expect) {
		return fmt.Errorf("wrong output:\n got  %s\n want %s", got, w.Expect.JSON())
	}
	return nil
}
