package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependencyRule enforces the package DAG of the design: the pipeline
// packages import only what is below them, and only engine/natsjs and cmd
// may import NATS.
func TestDependencyRule(t *testing.T) {
	const mod = "github.com/expressd/expressd/"
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}} {{join .Imports \" \"}}", mod+"...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err) // the rule must hold, not be skipped
	}
	// allowed lists, per package, the module packages it may import; a
	// package not listed may import any module package except NATS.
	allowed := map[string][]string{
		"pkg/states":    {},
		"pkg/value":     {},
		"pkg/jsonpath":  {"pkg/value"},
		"pkg/intrinsic": {"pkg/value", "pkg/states", "pkg/internal/uuid"},
		"pkg/asl":       {"pkg/value", "pkg/states", "pkg/internal/yamlerr"},
		"pkg/vm":        {"pkg/value", "pkg/states", "pkg/jsonpath", "pkg/intrinsic", "pkg/asl"},
		"pkg/compile":   {"pkg/value", "pkg/states", "pkg/jsonpath", "pkg/intrinsic", "pkg/asl", "pkg/vm"},
		"pkg/task":      {"pkg/value", "pkg/states"},
		"pkg/task/mock": {"pkg/value", "pkg/states", "pkg/task"},
		"pkg/engine":    {"pkg/value", "pkg/states", "pkg/vm", "pkg/task", "pkg/sinks", "pkg/telemetry", "pkg/internal/uuid"},
		"pkg/sinks":     {"pkg/value", "pkg/telemetry"},
		"pkg/telemetry": {},
	}
	// pkg/daemon is `expressd serve` as a package (embedded server, NATS
	// connection, integrations); pkg/bench is the `expressd bench` harness:
	// it starts NATS servers, services and clients like the daemon does.
	natsOK := func(pkg string) bool {
		return strings.HasPrefix(pkg, "pkg/engine/natsjs") || strings.HasPrefix(pkg, "cmd/") || pkg == "pkg/bench" ||
			pkg == "pkg/daemon" || strings.HasPrefix(pkg, "pkg/task/nats") || pkg == "pkg/sinks/natssink"
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		pkg := strings.TrimPrefix(fields[0], mod)
		allow, restricted := allowed[pkg]
		for _, imp := range fields[1:] {
			if strings.HasPrefix(imp, "github.com/nats-io/") && !natsOK(pkg) {
				t.Errorf("%s imports %s: only engine/natsjs, the NATS task integrations, sinks/natssink, daemon, bench and cmd may import NATS", pkg, imp)
			}
			if !restricted || !strings.HasPrefix(imp, mod) {
				continue
			}
			dep := strings.TrimPrefix(imp, mod)
			ok := false
			for _, a := range allow {
				if dep == a {
					ok = true
				}
			}
			if !ok {
				t.Errorf("%s imports %s, which the dependency rule does not allow (allowed: %v)", pkg, dep, allow)
			}
		}
	}
}
