package intrinsic

import (
	"errors"
	"testing"

	"github.com/expressd/expressd/pkg/internal/corpus"
	"github.com/expressd/expressd/pkg/value"
)

// fuzzValues are what every path resolves to in FuzzIntrinsic, cycling by
// path index: each kind, and arrays and strings that functions accept.
var fuzzValues = []value.Value{
	value.MustParse(`[1, "a", [2], {"k": null}, 1]`),
	value.FromString("a,b{}c"),
	value.FromInt(2),
	value.MustParse(`{"Arg1": 1.5, "Arg2": [true]}`),
	value.NullValue,
	value.True,
	value.FromString(`{"x": [1, -0]}`),
	value.FromFloat(-2.5),
}

type fuzzResolver struct{}

var errFuzzPath = errors.New("fuzz: path 9 fails")

func (fuzzResolver) ResolvePath(i int) (value.Value, error) {
	if i == 9 {
		return value.Value{}, errFuzzPath
	}
	return fuzzValues[i%len(fuzzValues)], nil
}

func FuzzIntrinsic(f *testing.F) {
	for _, s := range []string{
		"States.Array()",
		`States.Format('\{\} {} \\ \'', $.a, States.UUID())`,
		"States.ArrayRange($.a, 1000, -1)",
		"States.ArrayRange(-2147483648, 2147483647, 1)",
		"States.ArrayPartition($.a, 1e300)",
		"States.MathAdd(1e300, -1e300)",
		"States.MathRandom(-2147483648, 2147483647, -1)",
		"States.Array($['a,b'], $.c[?(@.d == ')')])",
		"States.Format($.b, $.c)",
		"States.Base64Decode('4pyT=x=')",
	} {
		f.Add(s)
	}
	if dir := corpus.ConformanceSeeds(f); dir != "" {
		for _, c := range loadCorpus(f) {
			for _, s := range c.calls() {
				f.Add(s)
			}
		}
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := Parse(s)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) || se.Offset < 0 || se.Offset > len(s) {
				t.Fatalf("Parse(%q): got %v, want *SyntaxError within the input", s, err)
			}
			return
		}
		again, err := Parse(c.String())
		if err != nil || again.String() != c.String() {
			t.Fatalf("Parse(%q).String() = %q does not round-trip: %v", s, c.String(), err)
		}
		v, err := c.Eval(fuzzResolver{})
		if err != nil {
			var e *Error
			if !errors.As(err, &e) && err != errFuzzPath {
				t.Fatalf("Eval(%q): got %v, want *Error or the resolver's error", s, err)
			}
			return
		}
		if _, err := value.Parse(value.AppendJSON(nil, v)); err != nil {
			t.Fatalf("Eval(%q) = %s is not valid JSON: %v", s, v, err)
		}
	})
}
