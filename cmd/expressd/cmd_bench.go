package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/expressd/expressd/pkg/bench"
	"github.com/expressd/expressd/pkg/daemon"
)

const benchUsage = `usage: expressd bench vm     --definition F [--input F] [--expect F] [--duration D] [--workers N] [--json]
       expressd bench e2e    --definition F [--input F] [--expect F] [--events N] [--rate R] [--concurrency C]
                             [--workers W] [--url nats://…] [--keep] [--json]
       expressd bench parked --definition F [--input F] [--executions N] [--json]

--definition may also be a workload folder (bench/workloads/<name>): its definition.asl.json,
input.json and expected.json (when present) are used.
Run 'expressd bench <mode> -h' for the flags of a mode.
`

// cmdBench load-tests a workflow: on the VM alone, end to end through
// JetStream, or parked in Wait (memory). Exit 0 when the run completed and
// its checks held (outputs, nothing lost), 1 otherwise, 2 for usage errors.
func cmdBench(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, benchUsage)
		return 2
	}
	switch args[0] {
	case "vm", "e2e", "parked":
	case "-h", "--help", "help":
		fmt.Fprint(stdout, benchUsage)
		return 0
	default:
		fmt.Fprintf(stderr, "expressd bench: unknown mode %q\n\n%s", args[0], benchUsage)
		return 2
	}
	mode := args[0]
	fs := flag.NewFlagSet("bench "+mode, flag.ContinueOnError)
	fs.SetOutput(stderr)
	def := fs.String("definition", "", "definition file, or a workload folder (definition.asl.json, input.json, expected.json)")
	input := fs.String("input", "", "input JSON file (default: the workload folder's input.json, else {})")
	expect := fs.String("expect", "", "expected output JSON file, compared as a JSON value (default: the workload folder's expected.json)")
	asJSON := fs.Bool("json", false, "print one JSON object instead of the report")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the run to this file")
	memProfile := fs.String("memprofile", "", "write a heap profile to this file (parked: while all are parked; else at the end)")
	var (
		duration    *time.Duration
		workers     *int
		events      *int
		rate        *float64
		concurrency *int
		url         *string
		keep        *bool
		executions  *int
		line        string
	)
	switch mode {
	case "vm":
		duration = fs.Duration("duration", 5*time.Second, "measuring time")
		workers = fs.Int("workers", 1, "goroutines, each with its own VM")
		line = "usage: expressd bench vm --definition F [--input F] [--expect F] [--duration D] [--workers N] [--json]"
	case "e2e":
		events = fs.Int("events", 100_000, "events to publish")
		rate = fs.Float64("rate", 0, "events per second (0: unlimited)")
		concurrency = fs.Int("concurrency", 4096, "the consumer's MaxAckPending (executions in flight)")
		workers = fs.Int("workers", 0, "engine loops (0: GOMAXPROCS)")
		url = fs.String("url", "", "external NATS server (default: an embedded JetStream, file storage, random 127.0.0.1 port)")
		keep = fs.Bool("keep", false, "keep the embedded server's storage (or, with --url, the bench's streams and results)")
		line = "usage: expressd bench e2e --definition F [--input F] [--expect F] [--events N] [--rate R] [--concurrency C] [--workers W] [--url URL] [--keep] [--json]"
	case "parked":
		executions = fs.Int("executions", 100_000, "executions parked in Wait at once")
		line = "usage: expressd bench parked --definition F [--input F] [--executions N] [--json]"
	}
	fs.Usage = func() {
		fmt.Fprintln(stderr, line)
		fs.PrintDefaults()
	}
	pos, err := parseInterspersed(fs, args[1:])
	if err != nil {
		return flagExit(err)
	}
	if *def == "" && len(pos) == 1 {
		*def, pos = pos[0], nil
	}
	if *def == "" || len(pos) != 0 {
		fs.Usage()
		return 2
	}
	usageErr := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "expressd bench %s: "+format+"\n", append([]any{mode}, a...)...)
		return 2
	}
	switch {
	case workers != nil && *workers < 0, workers != nil && mode == "vm" && *workers == 0:
		return usageErr("--workers %d: must be at least 1", *workers)
	case duration != nil && *duration <= 0:
		return usageErr("--duration %s: must be positive", *duration)
	case events != nil && *events <= 0:
		return usageErr("--events %d: must be positive", *events)
	case rate != nil && *rate < 0:
		return usageErr("--rate %g: must be 0 (unlimited) or positive", *rate)
	case concurrency != nil && *concurrency <= 0:
		return usageErr("--concurrency %d: must be positive", *concurrency)
	case executions != nil && *executions <= 0:
		return usageErr("--executions %d: must be positive", *executions)
	}
	defFile, inFile, expFile := *def, *input, *expect
	if st, err := os.Stat(defFile); err == nil && st.IsDir() {
		dir := defFile
		defFile = filepath.Join(dir, "definition.asl.json")
		if inFile == "" {
			if _, err := os.Stat(filepath.Join(dir, "input.json")); err == nil {
				inFile = filepath.Join(dir, "input.json")
			}
		}
		if expFile == "" && mode != "parked" {
			if _, err := os.Stat(filepath.Join(dir, "expected.json")); err == nil {
				expFile = filepath.Join(dir, "expected.json")
			}
		}
	}
	w, err := bench.LoadWorkload(defFile, inFile, expFile)
	if err != nil {
		return usageErr("%v", err)
	}

	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return usageErr("%v", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return usageErr("--cpuprofile: %v", err)
		}
		defer pprof.StopCPUProfile()
	}
	var heapProfile *os.File
	if *memProfile != "" && mode == "parked" {
		f, err := os.Create(*memProfile)
		if err != nil {
			return usageErr("%v", err)
		}
		defer f.Close()
		heapProfile = f
	} else if *memProfile != "" {
		defer func() {
			f, err := os.Create(*memProfile)
			if err == nil {
				_ = pprof.WriteHeapProfile(f)
				f.Close()
			}
		}()
	}

	// Progress goes to stderr (stdout carries the report or the JSON).
	var progress io.Writer = stderr
	tty := false
	if f, ok := stderr.(*os.File); ok {
		tty = bench.IsTerminal(f)
	}
	type report interface{ WriteText(io.Writer) }
	var res report
	ok := true
	switch mode {
	case "vm":
		r, err := bench.RunVM(w, bench.VMOptions{Duration: *duration, Workers: *workers})
		if err != nil {
			fmt.Fprintf(stderr, "expressd bench vm: %v\n", err)
			return 1
		}
		res = r
	case "e2e":
		daemon.SetGC() // the daemon's setting: measure what serve runs with
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		r, err := bench.RunE2E(ctx, w, bench.E2EOptions{Events: *events, Rate: *rate, Concurrency: *concurrency,
			Workers: *workers, URL: *url, Keep: *keep, Progress: progress, TTY: tty})
		if err != nil {
			fmt.Fprintf(stderr, "expressd bench e2e: %v\n", err)
			return 1
		}
		res = r
		if r.Lost > 0 || r.Failed > 0 || r.WrongOutput > 0 {
			fmt.Fprintf(stderr, "expressd bench e2e: %d lost, %d failed, %d wrong outputs\n", r.Lost, r.Failed, r.WrongOutput)
			ok = false
		}
	case "parked":
		opts := bench.ParkedOptions{Executions: *executions, Progress: progress, TTY: tty}
		if heapProfile != nil {
			opts.HeapProfile = heapProfile
		}
		r, err := bench.RunParked(w, opts)
		if err != nil {
			fmt.Fprintf(stderr, "expressd bench parked: %v\n", err)
			return 1
		}
		res = r
	}
	if *asJSON {
		b, err := json.Marshal(res)
		if err != nil {
			fmt.Fprintf(stderr, "expressd bench %s: %v\n", mode, err)
			return 1
		}
		fmt.Fprintln(stdout, string(b))
	} else {
		res.WriteText(stdout)
	}
	if !ok {
		return 1
	}
	return 0
}
