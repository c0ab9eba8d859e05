package asl

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/expressd/expressd/pkg/internal/corpus"
)

func FuzzDecode(f *testing.F) {
	f.Add([]byte(equivJSON))
	f.Add([]byte(equivYAML))
	f.Add([]byte("StartAt: A\nStates:\n  A: {Type: Pass, End: true, Result: &r {a: [1, *r]}}\n"))
	f.Add([]byte("StartAt: A\nStates:\n  A:\n    <<: {Type: Succeed}\n    Comment: x\n"))
	f.Add([]byte(`{"StartAt":"A","States":{"A":{"Type":"Map","Parameters":{},"Iterator":{"StartAt":"B","States":{"B":{"Type":"Succeed"}}},"End":true}}}`))
	if dir := corpus.ConformanceSeeds(f); dir != "" {
		files, _ := filepath.Glob(filepath.Join(dir, "*", "*.json"))
		for i, file := range files {
			if i%4 != 0 && filepath.Base(filepath.Dir(file)) == "choice" {
				continue // 491 near-identical choice cases; a quarter is plenty
			}
			data, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			var c corpusCase
			if err := jsonUnmarshal(data, &c); err == nil {
				f.Add(c.definitionText(f))
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, name := range []string{"f.json", "f.yaml", "f"} {
			m, diags := Load(name, data)
			if m == nil && len(diags) == 0 {
				t.Fatalf("%s: nil machine without diagnostics", name)
			}
			for _, d := range diags {
				_ = d.String()
			}
			if m != nil {
				_ = m.Node.Value()
			}
		}
	})
}
