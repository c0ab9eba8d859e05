package bench

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

func header(w io.Writer, title string, b Build) {
	fmt.Fprintf(w, "%s  (%s, GOMAXPROCS %d", title, b.GoVersion, b.GOMAXPROCS)
	if b.Commit != "" {
		c := b.Commit
		if len(c) > 12 {
			c = c[:12]
		}
		fmt.Fprintf(w, ", commit %s", c)
	}
	fmt.Fprintln(w, ")")
}

// rows prints label, value, comment triples: labels left-aligned, values
// right-aligned.
func rows(w io.Writer, kv ...string) {
	lw, vw := 0, 0
	for i := 0; i+2 < len(kv); i += 3 {
		lw = max(lw, utf8.RuneCountInString(kv[i]))
		vw = max(vw, utf8.RuneCountInString(kv[i+1]))
	}
	for i := 0; i+2 < len(kv); i += 3 {
		line := fmt.Sprintf("  %-*s  %*s  %s", lw, kv[i], vw, kv[i+1], kv[i+2])
		fmt.Fprintln(w, strings.TrimRight(line, " "))
	}
}

func num(f float64) string { return Group(int64(f + 0.5)) }

// WriteText prints the human report.
func (r *VMResult) WriteText(w io.Writer) {
	header(w, fmt.Sprintf("bench vm %s: %d worker(s), %.2f s", r.Workload, r.Workers, r.DurationSec), r.Build)
	rows(w,
		"executions/s", num(r.ExecutionsPerSec), fmt.Sprintf("%s executions", Group(r.Executions)),
		"transitions/s", num(r.TransitionsPerSec), fmt.Sprintf("%.0f per execution", r.TransitionsPerExec),
		"ns/exec", num(r.NsPerExec), fmt.Sprintf("per worker (CPU %s ns/exec, %.2f s CPU)", num(r.CPUNsPerExec), r.CPUSec),
		"allocs/exec", fmt.Sprintf("%.1f", r.AllocsPerExec), fmt.Sprintf("%s bytes/exec", num(r.BytesPerExec)),
		"JSON in/out", fmt.Sprintf("%d/%d", r.InputBytes, r.OutputBytes), "bytes",
	)
}

// WriteText prints the human report.
func (r *E2EResult) WriteText(w io.Writer) {
	rate := "unlimited"
	if r.Rate > 0 {
		rate = num(r.Rate) + "/s"
	}
	header(w, fmt.Sprintf("bench e2e %s: %s events, rate %s, concurrency %d, %d worker(s), %s",
		r.Workload, Group(int64(r.Events)), rate, r.Concurrency, r.Workers, r.Server), r.Build)
	rows(w,
		"executions/s", num(r.ExecutionsPerSec), fmt.Sprintf("%.2f s first publish → last result, %.2f s CPU", r.DurationSec, r.CPUSec),
		"transitions/s", num(r.TransitionsPerSec), fmt.Sprintf("%.0f per execution", r.TransitionsPerExec),
		"latency p50", fmt.Sprintf("%.2f ms", r.P50Ms), "event published → result published",
		"p90", fmt.Sprintf("%.2f ms", r.P90Ms), "",
		"p99", fmt.Sprintf("%.2f ms", r.P99Ms), "",
		"p99.9", fmt.Sprintf("%.2f ms", r.P999Ms), "",
		"max", fmt.Sprintf("%.2f ms", r.MaxMs), "",
		"lost", Group(r.Lost), fmt.Sprintf("%s of %s results stored", Group(r.Stored), Group(int64(r.Events))),
		"duplicates", Group(r.Duplicates), "result publishes beyond one per event",
		"failed", Group(r.Failed), fmt.Sprintf("%s wrong output, %s publish errors", Group(r.WrongOutput), Group(r.PublishErrors)),
	)
	if r.StoreDir != "" {
		fmt.Fprintf(w, "  storage kept in %s\n", r.StoreDir)
	}
}

// WriteText prints the human report.
func (r *ParkedResult) WriteText(w io.Writer) {
	header(w, fmt.Sprintf("bench parked %s: %s executions parked in Wait", r.Workload, Group(int64(r.Parked))), r.Build)
	rows(w,
		"bytes/exec", num(r.BytesPerExec), "live heap per parked execution",
		"payload", Group(int64(r.PayloadBytes)), fmt.Sprintf("bytes of input JSON (parsed: %s bytes of heap)", num(r.InputValueBytes)),
		"beyond payload", num(r.BeyondPayload), "bytes/exec − the parsed payload (the engine's own cost; target ≤ 1 KiB)",
		"heap", fmt.Sprintf("%.1f MiB", float64(r.HeapAfter-min(r.HeapAfter, r.HeapBefore))/(1<<20)), fmt.Sprintf("for all %s", Group(int64(r.Parked))),
		"parked/s", num(r.ParkedPerSec), fmt.Sprintf("%.2f s to start and park all", r.ParkSec),
	)
}
