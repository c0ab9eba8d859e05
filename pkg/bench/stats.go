package bench

import (
	"math"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"syscall"
	"time"
)

// Percentiles returns the nearest-rank percentiles ps (0 < p <= 100) of
// samples: the smallest sample such that at least p % of the samples are
// less than or equal to it. samples is sorted in place. With no samples
// every percentile is 0.
func Percentiles(samples []time.Duration, ps ...float64) []time.Duration {
	out := make([]time.Duration, len(ps))
	if len(samples) == 0 {
		return out
	}
	slices.Sort(samples)
	n := len(samples)
	for i, p := range ps {
		rank := int(math.Ceil(p*float64(n)/100 - 1e-9)) // 99.9 % of 1000 is rank 999, not 1000
		rank = max(1, min(n, rank))
		out[i] = samples[rank-1]
	}
	return out
}

// Millis converts d to fractional milliseconds (for reports).
func Millis(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// Build describes the binary that measured: Go version and VCS revision.
type Build struct {
	GoVersion  string `json:"go_version"`
	Commit     string `json:"commit,omitempty"`
	GOMAXPROCS int    `json:"gomaxprocs"`
}

// BuildInfo returns the Go version and, when the binary was built with VCS
// stamping, its commit (with "+dirty" when the tree was modified).
func BuildInfo() Build {
	b := Build{GoVersion: runtime.Version(), GOMAXPROCS: runtime.GOMAXPROCS(0)}
	if bi, ok := debug.ReadBuildInfo(); ok {
		dirty := false
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				b.Commit = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		if b.Commit != "" && dirty {
			b.Commit += "+dirty"
		}
	}
	return b
}

// Group formats n with thousands separators: 1234567 → "1,234,567".
func Group(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := false
	if n < 0 {
		neg, s = true, s[1:]
	}
	out := make([]byte, 0, len(s)+len(s)/3+1)
	if neg {
		out = append(out, '-')
	}
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}

// CPUTime returns the CPU time (user + system) the process used so far.
func CPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
