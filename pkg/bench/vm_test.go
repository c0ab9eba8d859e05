package bench

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func workload(t testing.TB, name string, expect bool) *Workload {
	t.Helper()
	dir := filepath.Join("..", "..", "bench", "workloads", name)
	exp := ""
	if expect {
		exp = filepath.Join(dir, "expected.json")
	}
	w, err := LoadWorkload(filepath.Join(dir, "definition.asl.json"), filepath.Join(dir, "input.json"), exp)
	if err != nil {
		t.Fatal(err)
	}
	if w.Name != name {
		t.Fatalf("workload name %q, want %q", w.Name, name)
	}
	return w
}

func TestRunVM(t *testing.T) {
	for _, c := range []struct {
		name        string
		transitions float64
	}{
		{"reference-10", 10},
		{"iot-enrichment", 26}, // 6 top-level states + 10 iterations × 2
	} {
		t.Run(c.name, func(t *testing.T) {
			w := workload(t, c.name, true)
			res, err := RunVM(w, VMOptions{Duration: 50 * time.Millisecond, Workers: 2})
			if err != nil {
				t.Fatal(err)
			}
			if res.Executions == 0 || res.TransitionsPerSec <= 0 || res.AllocsPerExec <= 0 {
				t.Fatalf("implausible result %+v", res)
			}
			if res.TransitionsPerExec != c.transitions || res.Transitions != res.Executions*int64(c.transitions) {
				t.Errorf("transitions per execution %v (total %d for %d), want %v", res.TransitionsPerExec, res.Transitions, res.Executions, c.transitions)
			}
		})
	}
}

func TestRunVMChecksOutput(t *testing.T) {
	w := workload(t, "reference-10", true)
	w.Input = []byte(`{"device":{"id":"x","kind":"sensor","active":true},"reading":{"temp":31.5,"hum":41,"ts":"t"}}`)
	if _, err := RunVM(w, VMOptions{Duration: time.Millisecond}); err == nil || !strings.Contains(err.Error(), "wrong output") {
		t.Fatalf("got %v, want a wrong output error", err)
	}
	w.Input = []byte(`{"device":{"kind":"sensor"},"reading":{"temp":1}}`) // C1 matches nothing
	if _, err := RunVM(w, VMOptions{Duration: time.Millisecond}); err == nil || !strings.Contains(err.Error(), "States.NoChoiceMatched") {
		t.Fatalf("got %v, want the execution's failure", err)
	}
}

func TestRunVMRejectsTaskAndWait(t *testing.T) {
	for name, state := range map[string]string{"fanout": `"Inventory" is a Task`, "wait-heavy": `"Hold" is a Wait`} {
		_, err := RunVM(workload(t, name, false), VMOptions{Duration: time.Millisecond})
		if err == nil || !strings.Contains(err.Error(), state) {
			t.Errorf("%s: got %v, want an error naming %s", name, err, state)
		}
	}
}

// TestVMRunnerAllocs keeps the harness honest: its per-execution overhead
// on top of the VM is nothing (the VM's own budget is in pkg/vm).
func TestVMRunnerAllocs(t *testing.T) {
	w := workload(t, "reference-10", true)
	prog, err := w.Compile(w.Name, nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := NewVMRunner(prog)
	if err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(200, func() {
		if _, _, err := r.Run(w.Input); err != nil {
			t.Fatal(err)
		}
	})
	t.Logf("%.0f allocs per execution", allocs)
	if allocs > 20 {
		t.Errorf("%.0f allocs per execution, want at most 20 (TestReference10Allocs's budget)", allocs)
	}
}
