package intrinsic

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/expressd/expressd/pkg/internal/corpus"
	"github.com/expressd/expressd/pkg/value"
)

type corpusCase struct {
	file       string
	definition map[string]any
	input      value.Value
	status     string
	output     value.Value
	loose      []string
}

func loadCorpus(t testing.TB) []corpusCase {
	dir := filepath.Join(corpus.Conformance(t), "intrinsics")
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	var cases []corpusCase
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var raw struct {
			Definition map[string]any  `json:"definition"`
			Input      json.RawMessage `json:"input"`
			Expect     struct {
				Status string          `json:"status"`
				Output json.RawMessage `json:"output"`
			} `json:"expect"`
			Loose []string `json:"expect_loose"`
		}
		if err := json.Unmarshal(data, &raw); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		c := corpusCase{file: filepath.Base(f), definition: raw.Definition, status: raw.Expect.Status, loose: raw.Loose}
		if c.input, err = value.Parse(raw.Input); err != nil {
			t.Fatalf("%s: input: %v", f, err)
		}
		if len(raw.Expect.Output) > 0 {
			if c.output, err = value.Parse(raw.Expect.Output); err != nil {
				t.Fatalf("%s: output: %v", f, err)
			}
		}
		cases = append(cases, c)
	}
	return cases
}

// calls returns every "key.$" value of the definition that IsCall.
func (c *corpusCase) calls() []string {
	var out []string
	var walk func(any)
	walk = func(x any) {
		switch x := x.(type) {
		case map[string]any:
			keys := make([]string, 0, len(x))
			for k := range x {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				if s, ok := x[k].(string); ok && strings.HasSuffix(k, ".$") && IsCall(s) {
					out = append(out, s)
				}
				walk(x[k])
			}
		case []any:
			for _, v := range x {
				walk(v)
			}
		}
	}
	walk(c.definition)
	return out
}

// singlePass returns the only state when the definition is one JSONPath Pass
// state with Parameters.
func (c *corpusCase) singlePass() map[string]any {
	if ql, _ := c.definition["QueryLanguage"].(string); ql == "JSONata" {
		return nil
	}
	states, _ := c.definition["States"].(map[string]any)
	if len(states) != 1 {
		return nil
	}
	for _, s := range states {
		st, _ := s.(map[string]any)
		if st["Type"] != "Pass" || st["QueryLanguage"] != nil || st["Parameters"] == nil {
			return nil
		}
		return st
	}
	return nil
}

// TestCorpus evaluates the intrinsic calls of the AWS-recorded cases that are
// a single Pass state with Parameters, and compares with the recorded output.
func TestCorpus(t *testing.T) {
	cases := loadCorpus(t)
	var pass, run, skipped int
	for _, c := range cases {
		st := c.singlePass()
		if st == nil || c.status != "SUCCEEDED" {
			skipped++
			continue
		}
		run++
		t.Run(strings.TrimSuffix(c.file, ".json"), func(t *testing.T) {
			got, err := runPass(st, c.input)
			if err != nil {
				t.Fatalf("%s: %v", c.file, err)
			}
			want := c.output
			for _, ptr := range c.loose {
				// Values normalised by the recording: check presence only.
				key := strings.TrimPrefix(ptr, "/")
				if _, ok := got.Get(key); !ok {
					t.Fatalf("%s: %s missing in %s", c.file, ptr, got)
				}
				got = got.With(key, value.NullValue)
				want = want.With(key, value.NullValue)
			}
			if !value.Equal(got, want) {
				t.Fatalf("%s: got %s, want %s", c.file, got, want)
			}
			pass++
		})
	}
	t.Logf("intrinsic corpus: %d/%d evaluated cases pass (%d cases skipped: JSONata or not a single Pass state)", pass, run, skipped)
}

// runPass applies Parameters, then a one-level ResultPath and an OutputPath.
func runPass(st map[string]any, input value.Value) (value.Value, error) {
	ctx := value.MustParse(`{"Execution":{"Input":` + input.JSON() + `,"Name":"exec-1"},"StateMachine":{"Id":"arn:sm","Name":"my-state-machine"}}`)
	params := st["Parameters"].(map[string]any)
	keys := make([]string, 0, len(params))
	vals := make([]value.Value, 0, len(params))
	for k, v := range params {
		s, _ := v.(string)
		if !strings.HasSuffix(k, ".$") || !IsCall(s) {
			data, _ := json.Marshal(v)
			keys, vals = append(keys, k), append(vals, value.MustParse(string(data)))
			continue
		}
		call, err := Parse(s)
		if err != nil {
			return value.Value{}, err
		}
		res, err := call.Eval(&testResolver{paths: call.Paths(), input: input, context: ctx})
		if err != nil {
			return value.Value{}, err
		}
		keys, vals = append(keys, strings.TrimSuffix(k, ".$")), append(vals, res)
	}
	out := value.FromObject(keys, vals)
	if rp, ok := st["ResultPath"].(string); ok {
		out = input.With(strings.TrimPrefix(rp, "$."), out)
	}
	if op, ok := st["OutputPath"].(string); ok {
		return lookupPath(op, out, ctx, nil)
	}
	return out, nil
}

// TestCorpusParses checks that every intrinsic call in the corpus parses and
// prints back to an equivalent call.
func TestCorpusParses(t *testing.T) {
	n := 0
	for _, c := range loadCorpus(t) {
		for _, s := range c.calls() {
			n++
			call, err := Parse(s)
			if err != nil {
				t.Errorf("%s: Parse(%q): %v", c.file, s, err)
				continue
			}
			again, err := Parse(call.String())
			if err != nil || again.String() != call.String() {
				t.Errorf("%s: String() %q does not round-trip: %v", c.file, call.String(), err)
			}
		}
	}
	t.Logf("%d intrinsic calls parsed", n)
}
