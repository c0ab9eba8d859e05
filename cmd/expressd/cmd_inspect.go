package main

import (
	"flag"
	"fmt"
	"io"
)

// cmdInspect prints the compiled program of a definition.
func cmdInspect(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("inspect", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprintln(stderr, "usage: expressd inspect DEFINITION") }
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return flagExit(err)
	}
	if len(pos) != 1 {
		fs.Usage()
		return 2
	}
	file := pos[0]
	prog, diags, err := load(file, machineName(file))
	if err != nil {
		fmt.Fprintf(stderr, "expressd inspect: %v\n", err)
		return 2
	}
	if len(diags) > 0 {
		for _, d := range diags {
			fmt.Fprintln(stderr, d.String())
		}
		return 2
	}
	fmt.Fprintf(stdout, "; %s: %d states, %d instructions\n", prog.Name, len(prog.States), len(prog.Code))
	if err := prog.Disassemble(stdout); err != nil {
		fmt.Fprintf(stderr, "expressd inspect: %v\n", err)
		return 1
	}
	return 0
}
