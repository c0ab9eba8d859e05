package main

import (
	"flag"
	"fmt"
	"io"
)

// cmdValidate checks every definition and reports every problem of every
// file, one per line (file:line:col: /pointer: message). Exit 0 when all
// are valid, 1 otherwise, 2 on usage errors.
func cmdValidate(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("validate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprintln(stderr, "usage: expressd validate DEFINITION...") }
	pos, err := parseInterspersed(fs, args)
	if err != nil {
		return 2
	}
	if len(pos) == 0 {
		fs.Usage()
		return 2
	}
	code := 0
	for _, file := range pos {
		_, diags, err := load(file, machineName(file))
		if err != nil {
			fmt.Fprintf(stdout, "%s: %v\n", file, err)
			code = 1
			continue
		}
		for _, d := range diags {
			fmt.Fprintln(stdout, d.String())
			code = 1
		}
	}
	return code
}
