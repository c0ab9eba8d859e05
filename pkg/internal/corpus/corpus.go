// Package corpus locates the shared test data that tests read in place
// and that is never copied into this repository: the AWS-recorded
// conformance corpus (../shared/conformance/cases) and the JSONata
// reference suite (../shared/jsonata-suite), beside the module's root.
// Tests only import it.
//
// Outside CI a missing folder skips the tests that need it (a fresh clone
// without ../shared still builds and tests); under CI=true it fails them,
// since CI runs with ../shared beside the clone and a missing corpus would
// otherwise pass silently.
package corpus

import (
	"os"
	"path/filepath"
	"testing"
)

// Environment variables that point at the folders instead.
const (
	ConformanceEnv = "EXPRESSD_CONFORMANCE_DIR" // the conformance "cases" folder
	JSONataEnv     = "EXPRESSD_JSONATA_SUITE_DIR"
	BenchEnv       = "EXPRESSD_SHARED_BENCH_DIR"
)

// Conformance returns the conformance corpus's cases folder, or skips tb
// (fails it under CI=true) when it is absent.
func Conformance(tb testing.TB) string {
	return require(tb, find(ConformanceEnv, "conformance", "cases"), "the conformance corpus", ConformanceEnv)
}

// ConformanceSeeds returns the cases folder for fuzz seeds: "" when absent
// outside CI (the target then seeds from testdata only), a failure under CI.
func ConformanceSeeds(tb testing.TB) string {
	dir := find(ConformanceEnv, "conformance", "cases")
	if dir == "" && inCI() {
		tb.Fatalf("CI=true: the conformance corpus is missing (../shared/conformance/cases or %s)", ConformanceEnv)
	}
	return dir
}

// Bench returns ../shared/bench (the reference workload's canonical
// copy), or skips tb (fails it under CI=true) when absent.
func Bench(tb testing.TB) string {
	return require(tb, find(BenchEnv, "bench"), "the shared bench workloads", BenchEnv)
}

// JSONataSuite returns the JSONata reference suite's folder (with groups/
// and datasets/), or skips tb (fails it under CI=true) when absent.
func JSONataSuite(tb testing.TB) string {
	return require(tb, find(JSONataEnv, "jsonata-suite"), "the JSONata reference suite", JSONataEnv)
}

func require(tb testing.TB, dir, what, env string) string {
	tb.Helper()
	if dir != "" {
		return dir
	}
	if inCI() {
		tb.Fatalf("CI=true: %s is missing (../shared beside the repository, or %s)", what, env)
	}
	tb.Skipf("%s not found (../shared beside the repository, or %s): skipped", what, env)
	return ""
}

func inCI() bool { return os.Getenv("CI") == "true" }

// find returns the folder from env, or shared/<elem…> beside the module
// root, or "" when it does not exist.
func find(env string, elem ...string) string {
	if d := os.Getenv(env); d != "" {
		if st, err := os.Stat(d); err == nil && st.IsDir() {
			return d
		}
		return ""
	}
	root := moduleRoot()
	if root == "" {
		return ""
	}
	d := filepath.Join(append([]string{filepath.Dir(root), "shared"}, elem...)...)
	if st, err := os.Stat(d); err == nil && st.IsDir() {
		return d
	}
	return ""
}

// moduleRoot is the folder holding go.mod, found upwards from the working
// directory (a package's folder when tests run).
func moduleRoot() string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}
