package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/expressd/expressd/pkg/compile"
	"github.com/expressd/expressd/pkg/engine"
	"github.com/expressd/expressd/pkg/sinks"
	"github.com/expressd/expressd/pkg/states"
	"github.com/expressd/expressd/pkg/task"
	"github.com/expressd/expressd/pkg/task/mock"
	"github.com/expressd/expressd/pkg/value"
)

// cmdRun runs one execution and prints exactly one JSON object on stdout:
// {"status","output","error","cause"}. Exit 0 SUCCEEDED, 1 FAILED or
// TIMED_OUT, 2 usage errors and invalid definitions.
func cmdRun(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	input := fs.String("input", "", "execution input as JSON text (default {})")
	inputFile := fs.String("input-file", "", "read the execution input from a file (- for stdin)")
	mockConfig := fs.String("mock-config", "", "Step Functions Local MockConfigFile.json with canned Task responses")
	testCase := fs.String("test-case", "", "test case of the mock config to use")
	name := fs.String("name", "", "state machine name (default: the file name without .asl.json/.asl.yaml/.json/.yaml)")
	timeout := fs.Duration("timeout", engine.MaxDuration, "execution timeout, at most 5m (the Express limit)")
	logLevel := fs.String("log-level", "OFF", "print execution log records to stderr: ALL, ERROR, FATAL or OFF")
	logData := fs.Bool("log-data", false, "include execution data (input/output) in log records")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: expressd run [--input JSON | --input-file F] [--mock-config F --test-case NAME] [--name NAME] [--timeout D] [--log-level L [--log-data]] DEFINITION")
		fs.PrintDefaults()
	}
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return flagExit(err)
	}
	if len(pos) != 1 {
		fs.Usage()
		return 2
	}
	file := pos[0]
	usageErr := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "expressd run: "+format+"\n", a...)
		return 2
	}
	if *timeout <= 0 || *timeout > engine.MaxDuration {
		return usageErr("--timeout %s: must be more than 0 and at most %s (the Express execution limit)", *timeout, engine.MaxDuration)
	}
	level, err := engine.ParseLevel(*logLevel)
	if err != nil {
		return usageErr("--log-level %s: want ALL, ERROR, FATAL or OFF", *logLevel)
	}
	if *input != "" && *inputFile != "" {
		return usageErr("--input and --input-file are mutually exclusive")
	}
	if (*mockConfig == "") != (*testCase == "") {
		return usageErr("--mock-config and --test-case go together")
	}
	raw := []byte("{}")
	switch {
	case *input != "":
		raw = []byte(*input)
	case *inputFile == "-":
		b, err := io.ReadAll(stdin)
		if err != nil {
			return usageErr("reading stdin: %v", err)
		}
		raw = b
	case *inputFile != "":
		b, err := os.ReadFile(*inputFile)
		if err != nil {
			return usageErr("%v", err)
		}
		raw = b
	}
	in, err := value.Parse(raw)
	if err != nil {
		src := "--input"
		if *inputFile != "" {
			src = *inputFile
		}
		return usageErr("%s: %v", src, err)
	}
	machine := *name
	if machine == "" {
		machine = machineName(file)
	}

	reg := &task.Registry{}
	if *mockConfig != "" {
		cfg, err := mock.Load(*mockConfig)
		if err != nil {
			return usageErr("%v", err)
		}
		h, err := cfg.TestCase(machine, *testCase)
		if err != nil {
			return usageErr("%v", err)
		}
		_ = reg.Register("mock", func(string) bool { return true }, h)
	} else {
		_ = reg.Register("unmocked", func(string) bool { return true }, task.HandlerFunc(noMock))
	}

	prog, diags, err := load(file, machine, compile.WithTasks(reg))
	if err != nil {
		return usageErr("%v", err)
	}
	if len(diags) > 0 {
		for _, d := range diags {
			fmt.Fprintln(stderr, d.String())
		}
		return 2
	}

	en := engine.New(engine.Options{MaxDuration: *timeout})
	var res engine.Result
	var logging *engine.Logging
	if level != engine.LevelOff {
		var line []byte
		logging = &engine.Logging{Level: level, IncludeData: *logData, Emit: func(r sinks.Record) {
			line = append(r.AppendJSON(line[:0]), '\n')
			stderr.Write(line)
		}}
	}
	en.Start(engine.Start{Program: prog, Tasks: reg, Input: in, Logging: logging, Done: func(r engine.Result) { res = r }})
	if err := en.Drain(context.Background()); err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintf(stderr, "expressd run: %v\n", err)
		return 1
	}
	stdout.Write(append(resultJSON(res), '\n'))
	if res.Status == engine.Succeeded {
		return 0
	}
	return 1
}

// noMock fails a Task state that has no mocked response: `expressd run`
// calls no real services.
func noMock(_ context.Context, req *task.Request, done func(task.Result)) {
	done(task.Result{Err: &task.Error{Name: states.Runtime, Cause: fmt.Sprintf(
		"Task state %q (resource %s) has no mock: expressd run calls no services; pass --mock-config and --test-case", req.State, req.Resource)}})
}

// resultJSON renders the run contract: {"status","output","error","cause"},
// error and cause only when present.
func resultJSON(r engine.Result) []byte {
	keys := []string{"status", "output"}
	vals := []value.Value{value.FromString(string(r.Status)), r.Output}
	if r.Status != engine.Succeeded {
		vals[1] = value.NullValue
	}
	if r.HasError {
		keys = append(keys, "error")
		vals = append(vals, value.FromString(string(r.Error)))
	}
	if r.HasCause {
		keys = append(keys, "cause")
		vals = append(vals, value.FromString(r.Cause))
	}
	return value.AppendJSON(nil, value.FromObject(keys, vals))
}
