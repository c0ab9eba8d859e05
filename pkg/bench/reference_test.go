package bench

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/expressd/expressd/pkg/internal/corpus"
)

// TestReferenceWorkloadMatchesShared: bench/workloads/reference-10 is the
// repository's one copy of the reference workload (the VM and engine
// benchmarks read it too); it must be the one in ../shared/bench.
func TestReferenceWorkloadMatchesShared(t *testing.T) {
	shared := corpus.Bench(t)
	for ours, theirs := range map[string]string{
		"definition.asl.json": "reference-10.asl.json",
		"input.json":          "reference-10.input.json",
		"expected.json":       "reference-10.output.json",
	} {
		a, err := os.ReadFile(filepath.Join("..", "..", "bench", "workloads", "reference-10", ours))
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(shared, theirs))
		if err != nil {
			t.Fatal(err)
		}
		var va, vb any
		if json.Unmarshal(a, &va) != nil || json.Unmarshal(b, &vb) != nil {
			t.Fatalf("%s or %s is not JSON", ours, theirs)
		}
		ja, _ := json.Marshal(va)
		jb, _ := json.Marshal(vb)
		if !bytes.Equal(ja, jb) {
			t.Errorf("bench/workloads/reference-10/%s differs from ../shared/bench/%s", ours, theirs)
		}
	}
}
