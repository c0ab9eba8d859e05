// Command expressd runs AWS Step Functions Express workflows outside AWS.
//
//	expressd run [flags] DEFINITION        run one execution and print its result
//	expressd validate [--config F] DEF…    check definitions (and a config), report every problem
//	expressd inspect DEFINITION            print the compiled bytecode
//
// main only wires flags to the packages that do the work.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
)

const usage = `expressd runs AWS Step Functions Express workflows (Amazon States Language) outside AWS.

Usage:
  expressd run [--input JSON | --input-file F] [--mock-config F --test-case NAME] [--name NAME] [--timeout D] DEFINITION
  expressd validate [--config FILE] [DEFINITION...]
  expressd inspect DEFINITION
  expressd serve [--config FILE]
  expressd publish [--server URL] [--count N] [--rate R] [--msg-id ID] SUBJECT DATA
  expressd results [--server URL] [--follow] [--last N] MACHINE
  expressd bench vm|e2e|parked --definition F [--input F] [--expect F] [flags]   (load tests; see bench/README.md)
  expressd version

Definitions are JSON (.asl.json, .json) or YAML (.asl.yaml, .yaml, .yml).
Run 'expressd <command> -h' for the flags of a command.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run dispatches a command line and returns the process exit code.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "run":
		return cmdRun(args[1:], stdin, stdout, stderr)
	case "validate":
		return cmdValidate(args[1:], stdout, stderr)
	case "inspect":
		return cmdInspect(args[1:], stdout, stderr)
	case "serve":
		return cmdServe(args[1:], stdout, stderr)
	case "publish":
		return cmdPublish(args[1:], stdout, stderr)
	case "results":
		return cmdResults(args[1:], stdout, stderr)
	case "bench":
		return cmdBench(args[1:], stdout, stderr)
	case "version", "--version":
		return cmdVersion(stdout)
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "expressd: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
}

// flagExit is the exit status after a flag parsing error: 0 when -h or
// --help asked for the usage (printed already), 2 for a usage error.
func flagExit(err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	return 2
}

// parseInterspersed parses flags that may come before or after the
// positional arguments ("run def.json --input {}"), as users expect.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return positional, nil
		}
		if rest[0] == "--" {
			return append(positional, rest[1:]...), nil
		}
		positional = append(positional, rest[0])
		args = rest[1:]
	}
}
