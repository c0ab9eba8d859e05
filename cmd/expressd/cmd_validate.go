package main

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/expressd/expressd/pkg/compile"
	"github.com/expressd/expressd/pkg/config"
	"github.com/expressd/expressd/pkg/daemon"
	"github.com/expressd/expressd/pkg/task"
	"github.com/expressd/expressd/pkg/telemetry"
)

// cmdValidate checks definitions, or a config with every machine in it, and
// reports every problem of every file, one per line (file:line:col:
// /pointer: message). Exit 0 when all are valid, 1 otherwise, 2 on usage
// errors.
//
// With --config FILE it refuses exactly what `serve --config FILE` would:
// the config (unknown keys, ranges, subjects), and each machine's definition
// compiled against the integrations the config sets up, Task resources and
// Lambda function mappings included. Without it, Task resources are checked
// against the integrations expressd has (Lambda mappings need the config).
func cmdValidate(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("validate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "also check this config and every machine in it, exactly as serve would")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: expressd validate [--config FILE] [DEFINITION...]")
		fs.PrintDefaults()
	}
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return flagExit(err)
	}
	if len(pos) == 0 && *cfgPath == "" {
		fs.Usage()
		return 2
	}
	code := 0
	reg := daemon.BuiltinResources()
	if *cfgPath != "" {
		cfg, err := config.Load(*cfgPath)
		if err != nil {
			var list config.ErrorList
			if errors.As(err, &list) {
				for _, e := range list {
					fmt.Fprintln(stdout, e.Error())
				}
			} else {
				fmt.Fprintf(stdout, "%s: %v\n", *cfgPath, err)
			}
			return 1
		}
		if reg, _, err = daemon.TaskRegistry(cfg, nil, telemetry.Nop{}); err != nil {
			fmt.Fprintf(stdout, "%s: integrations: %v\n", *cfgPath, err)
			return 1
		}
		for _, mc := range cfg.Machines {
			if !validateFile(stdout, mc.Definition, mc.Name, reg) {
				code = 1
			}
		}
	}
	for _, file := range pos {
		if !validateFile(stdout, file, machineName(file), reg) {
			code = 1
		}
	}
	return code
}

// validateFile prints the problems of one definition and reports whether
// it has none.
func validateFile(stdout io.Writer, file, name string, reg *task.Registry) bool {
	_, diags, err := load(file, name, compile.WithTasks(reg))
	if err != nil {
		fmt.Fprintf(stdout, "%s: %v\n", file, err)
		return false
	}
	for _, d := range diags {
		fmt.Fprintln(stdout, d.String())
	}
	return len(diags) == 0
}
