package asl

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/expressd/expressd/pkg/internal/corpus"
)

type corpusCase struct {
	Name       string          `json:"name"`
	Definition json.RawMessage `json:"definition"`
	Expect     struct {
		Valid *bool `json:"valid"`
	} `json:"expect"`
}

// definitionText returns the definition as sent to AWS: an object is
// encoded back to JSON text; a string is the raw text itself.
func (c corpusCase) definitionText(t testing.TB) []byte {
	var s string
	if err := json.Unmarshal(c.Definition, &s); err == nil {
		return []byte(s)
	}
	return c.Definition
}

func readCases(t testing.TB, dir string) []corpusCase {
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	var out []corpusCase
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var c corpusCase
		if err := jsonUnmarshal(data, &c); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if c.Name == "" {
			c.Name = strings.TrimSuffix(filepath.Base(f), ".json")
		}
		out = append(out, c)
	}
	return out
}

// syntaxOnly lists the validation cases whose rejection depends on path,
// intrinsic or JSONata syntax, which pkg/compile checks, not this package.
var syntaxOnly = map[string]string{
	"base_scenarios__illegal_escapes_ESCAPE_SEQUENCES_ILLEGAL_INTRINSIC_FUNCTION":   `intrinsic string literal with \" escape (compile parses intrinsics)`,
	"base_scenarios__illegal_escapes_ESCAPE_SEQUENCES_ILLEGAL_INTRINSIC_FUNCTION_2": `intrinsic string literal with \" escape (compile parses intrinsics)`,
}

func TestConformanceValidation(t *testing.T) {
	dir := corpus.Conformance(t)
	cases := readCases(t, filepath.Join(dir, "validation"))
	if len(cases) == 0 {
		t.Skip("no validation cases in " + dir)
	}
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			if c.Expect.Valid == nil {
				t.Fatal("case has no expect.valid")
			}
			_, diags := Load(c.Name+".json", c.definitionText(t))
			got := len(diags) == 0
			if reason, ok := syntaxOnly[c.Name]; ok {
				if got == *c.Expect.Valid {
					t.Fatalf("listed as syntax-only (%s) but asl now agrees with AWS: remove it from syntaxOnly", reason)
				}
				t.Skipf("rejected by the compiler, not asl: %s", reason)
			}
			if got != *c.Expect.Valid {
				t.Errorf("%s: valid = %v, want %v\n%v", c.Name, got, *c.Expect.Valid, diags)
			}
		})
	}
}

// unsupported lists execution cases that AWS ran but expressd rejects on
// purpose, with the reason.
var unsupported = map[string]string{
	"map/base_scenarios__map_state_legacy_config_distributed":               "ProcessorConfig.Mode DISTRIBUTED: expressd runs inline Map only",
	"map/base_scenarios__map_state_legacy_config_distributed_item_selector": "ProcessorConfig.Mode DISTRIBUTED: expressd runs inline Map only",
	"map/base_scenarios__map_state_legacy_config_distributed_parameters":    "ProcessorConfig.Mode DISTRIBUTED: expressd runs inline Map only",
}

// TestConformanceExecutionsValid loads the definition of every recorded
// execution case: they all ran on AWS, so each must be valid. This catches
// over-strict rules.
func TestConformanceExecutionsValid(t *testing.T) {
	dir := corpus.Conformance(t)
	areas, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range areas {
		if !a.IsDir() || a.Name() == "validation" {
			continue
		}
		for _, c := range readCases(t, filepath.Join(dir, a.Name())) {
			id := a.Name() + "/" + c.Name
			_, diags := Load(id+".json", c.definitionText(t))
			if reason, ok := unsupported[id]; ok {
				if len(diags) == 0 {
					t.Errorf("%s: listed as unsupported (%s) but is accepted: remove it from the list", id, reason)
				}
				for _, d := range diags {
					if d.Code != CodeUnsupported {
						t.Errorf("%v (code %s, want only %s)", d, d.Code, CodeUnsupported)
					}
				}
				continue
			}
			for _, d := range diags {
				t.Errorf("%v", d)
			}
		}
	}
}

func jsonUnmarshal(data []byte, v any) error { return json.Unmarshal(data, v) }
