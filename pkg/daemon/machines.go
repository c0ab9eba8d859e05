package daemon

import (
	"fmt"
	"os"
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

// loadMachines compiles every machine of cfg with the task registry reg.
// It reports the problems of every invalid machine at once, not only the
// first one's.
func loadMachines(cfg *config.Config, reg *task.Registry) ([]*vm.Program, error) {
	progs := make([]*vm.Program, len(cfg.Machines))
	var report strings.Builder
	bad := 0
	for i, mc := range cfg.Machines {
		var prog *vm.Program
		var diags asl.Diagnostics
		data, err := os.ReadFile(mc.Definition)
		if err == nil {
			prog, diags = compile.Load(mc.Definition, data, compile.WithName(mc.Name), compile.WithTasks(reg))
		}
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

// BuiltinResources is a task registry that knows the resources the daemon
// serves (nats:request, nats:publish, http:invoke, Lambda) without a
// config: `expressd validate` without --config reports a resource no
// integration serves, as serve would, but cannot know Lambda mappings.
func BuiltinResources() *task.Registry {
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
