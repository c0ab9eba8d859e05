package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/expressd/expressd/pkg/asl"
	"github.com/expressd/expressd/pkg/compile"
	"github.com/expressd/expressd/pkg/config"
	"github.com/expressd/expressd/pkg/task"
	"github.com/expressd/expressd/pkg/task/httptask"
	"github.com/expressd/expressd/pkg/task/lambda"
	"github.com/expressd/expressd/pkg/task/natstask"
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

// loadMachines compiles every machine of cfg with the task registry reg.
// It reports the problems of every invalid machine at once, not only the
// first one's.
func loadMachines(cfg *config.Config, reg *task.Registry) ([]*vm.Program, error) {
	progs := make([]*vm.Program, len(cfg.Machines))
	var report strings.Builder
	bad := 0
	for i, mc := range cfg.Machines {
		prog, diags, err := load(mc.Definition, mc.Name, compile.WithTasks(reg))
		switch {
		case err != nil:
			fmt.Fprintf(&report, "\nmachine %s: %v", mc.Name, err)
		case len(diags) > 0:
			fmt.Fprintf(&report, "\nmachine %s: invalid definition:", mc.Name)
			for _, d := range diags {
				report.WriteString("\n  " + d.String())
			}
		default:
			progs[i] = prog
			continue
		}
		bad++
	}
	if bad > 0 {
		return nil, fmt.Errorf("%d of %d machines cannot run:%s", bad, len(cfg.Machines), report.String())
	}
	return progs, nil
}

// builtinResources is a task registry that knows the resources the daemon
// serves (nats:request, nats:publish, http:invoke, Lambda) without a
// config: `expressd validate` without --config reports a resource no
// integration serves, as serve would, but cannot know Lambda mappings.
func builtinResources() *task.Registry {
	reg := &task.Registry{}
	for _, r := range []struct {
		name  string
		match task.Match
	}{
		{"nats:request", natstask.MatchRequest},
		{"nats:publish", natstask.MatchPublish},
		{"http:invoke", httptask.Match},
		{"lambda", lambda.Match},
	} {
		_ = reg.Register(r.name, r.match, offline{r.name})
	}
	return reg
}
