package main

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/expressd/expressd/pkg/compile"
	"github.com/expressd/expressd/pkg/config"
	"github.com/expressd/expressd/pkg/task"
	"github.com/expressd/expressd/pkg/task/httptask"
	"github.com/expressd/expressd/pkg/task/lambda"
	"github.com/expressd/expressd/pkg/task/natstask"
)

// resourcesOnly is a registry with the daemon's integrations' resource
// matching and no connections, for validating definitions offline.
func resourcesOnly() *task.Registry {
	reg := &task.Registry{}
	nop := task.HandlerFunc(func(context.Context, *task.Request, func(task.Result)) {})
	_ = reg.Register("nats:request", natstask.MatchRequest, nop)
	_ = reg.Register("nats:publish", natstask.MatchPublish, nop)
	_ = reg.Register("http:invoke", httptask.Match, nop)
	_ = reg.Register("lambda", lambda.Match, nop)
	return reg
}

// TestConfigsDirectory loads every example config and compiles every
// definition it names, with the daemon's task integrations: the examples
// must run as shipped.
func TestConfigsDirectory(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "configs", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no configs found: %v", err)
	}
	for _, f := range files {
		cfg, err := config.Load(f)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		for _, m := range cfg.Machines {
			_, diags, err := load(m.Definition, m.Name, compile.WithTasks(resourcesOnly()))
			if err != nil {
				t.Errorf("%s: machine %s: %v", f, m.Name, err)
			}
			for _, d := range diags {
				t.Errorf("%s: machine %s: %s", f, m.Name, d.String())
			}
		}
	}
	defs, _ := filepath.Glob(filepath.Join("..", "..", "configs", "machines", "*.asl.*"))
	for _, def := range defs {
		if _, diags, err := load(def, machineName(def), compile.WithTasks(resourcesOnly())); err != nil || len(diags) > 0 {
			t.Errorf("%s: %v %v", def, err, diags)
		}
	}
}
