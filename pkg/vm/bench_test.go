package vm_test

import (
	"encoding/json"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/expressd/expressd/pkg/asl"
	"github.com/expressd/expressd/pkg/compile"
	"github.com/expressd/expressd/pkg/value"
	"github.com/expressd/expressd/pkg/vm"
)

// reference10 loads the reference workload (testdata copy of
// ../shared/bench/reference-10.*): 10 transitions, JSON in and out.
// reference10Dir is the reference workload: one copy, the bench harness's
// (bench/workloads; pkg/bench checks it against ../shared/bench).
const reference10Dir = "../../bench/workloads/reference-10/"

func reference10(tb testing.TB) (*vm.Program, []byte, value.Value) {
	tb.Helper()
	def, err := os.ReadFile(reference10Dir + "definition.asl.json")
	if err != nil {
		tb.Fatal(err)
	}
	in, err := os.ReadFile(reference10Dir + "input.json")
	if err != nil {
		tb.Fatal(err)
	}
	out, err := os.ReadFile(reference10Dir + "expected.json")
	if err != nil {
		tb.Fatal(err)
	}
	sm, diags := asl.Load("reference-10.asl.json", def)
	if len(diags) > 0 {
		tb.Fatal(diags)
	}
	prog, diags := compile.StateMachine(sm, compile.WithName("reference-10"))
	if len(diags) > 0 {
		tb.Fatal(diags)
	}
	want, err := value.Parse(out)
	if err != nil {
		tb.Fatal(err)
	}
	return prog, in, want
}

// runner is what a worker keeps between executions: one Machine, one
// Execution and one output buffer, reset and reused.
type runner struct {
	d   value.Decoder
	m   vm.Machine
	e   vm.Execution
	buf []byte
	ctx vm.Context
}

// run executes prog on JSON text and returns the output JSON text. The
// returned slice is reused by the next call.
func (r *runner) run(prog *vm.Program, in []byte) ([]byte, error) {
	v, err := r.d.ParseOwned(in) // the input text is never modified
	if err != nil {
		return nil, err
	}
	r.e.Reset(prog, 0, v, &r.ctx)
	r.e.SetInputSize(len(in))
	r.e.OwnInput()
	st := r.m.Run(&r.e, 0)
	if st.Kind != vm.Succeeded {
		return nil, errors.New(string(st.Failure.Error) + ": " + st.Failure.Cause)
	}
	r.buf = value.AppendJSON(r.buf[:0], st.Output)
	return r.buf, nil
}

// The hand-written Go version of the reference workload: the ten steps as
// plain Go on typed structs, with encoding/json in and out. It is the
// baseline the VM must beat.
type refDevice struct {
	ID     string `json:"id"`
	Kind   string `json:"kind"`
	Active bool   `json:"active"`
}

type refReading struct {
	Temp float64 `json:"temp"`
	Hum  float64 `json:"hum"`
	TS   string  `json:"ts"`
}

type refDoc struct {
	Device    refDevice  `json:"device"`
	Reading   refReading `json:"reading"`
	Class     *refClass  `json:"class,omitempty"`
	Meta      *refMeta   `json:"meta,omitempty"`
	Validated *bool      `json:"validated,omitempty"`
	Route     string     `json:"route,omitempty"`
	Status    string     `json:"status,omitempty"`
}

type refClass struct {
	Level string `json:"level"`
}

type refMeta struct {
	Site string `json:"site"`
}

var errNoMatch = errors.New("States.NoChoiceMatched")

func handwritten(in []byte) ([]byte, error) {
	var d refDoc
	if err := json.Unmarshal(in, &d); err != nil {
		return nil, err
	}
	if !(d.Reading.Temp > 30) { // C1
		return nil, errNoMatch
	}
	d.Class = &refClass{Level: "hot"} // P1
	if d.Device.Kind != "sensor" {    // C2
		return nil, errNoMatch
	}
	d.Meta = &refMeta{Site: "plant-7"}                    // P2
	if !(d.Reading.Hum < 80 && d.Device.Active == true) { // C3
		return nil, errNoMatch
	}
	t := true
	d.Validated = &t // P3
	switch {         // C4
	case d.Reading.Temp < 0:
		return nil, errors.New("Frozen")
	case d.Class.Level == "hot":
	default:
		return nil, errNoMatch
	}
	d.Route = "alerts"           // P4
	if !(*d.Validated == true) { // C5
		return nil, errNoMatch
	}
	d.Status = "done" // P5
	return json.Marshal(&d)
}

func checkOutput(tb testing.TB, got []byte, want value.Value) {
	tb.Helper()
	v, err := value.Parse(got)
	if err != nil {
		tb.Fatalf("output is not JSON: %v", err)
	}
	if !value.Equal(v, want) {
		tb.Fatalf("got output %s, want %s", got, want.JSON())
	}
}

// BenchmarkReference10 runs the reference workload (10 transitions, JSON
// text in and out) on the VM and on the hand-written Go baseline, and
// reports transitions/s for each. Outputs are checked before timing.
func BenchmarkReference10(b *testing.B) {
	prog, in, want := reference10(b)
	b.Run("impl=vm", func(b *testing.B) {
		var r runner
		out, err := r.run(prog, in)
		if err != nil {
			b.Fatal(err)
		}
		checkOutput(b, out, want)
		b.ReportAllocs()
		b.SetBytes(int64(len(in)))
		for b.Loop() {
			if _, err := r.run(prog, in); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(10*float64(b.N)/b.Elapsed().Seconds(), "transitions/s")
	})
	b.Run("impl=go", func(b *testing.B) {
		out, err := handwritten(in)
		if err != nil {
			b.Fatal(err)
		}
		checkOutput(b, out, want)
		b.ReportAllocs()
		b.SetBytes(int64(len(in)))
		for b.Loop() {
			if _, err := handwritten(in); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(10*float64(b.N)/b.Elapsed().Seconds(), "transitions/s")
	})
}

// BenchmarkReference10Ratio measures the VM and the baseline interleaved
// in the same benchmark (so machine noise hits both alike) and reports the
// speed-up of the VM over the hand-written Go version as "x-vs-go".
func BenchmarkReference10Ratio(b *testing.B) {
	prog, in, want := reference10(b)
	var r runner
	out, err := r.run(prog, in)
	if err != nil {
		b.Fatal(err)
	}
	checkOutput(b, out, want)
	if out, err = handwritten(in); err != nil {
		b.Fatal(err)
	}
	checkOutput(b, out, want)
	const batch = 64
	var vmTime, goTime time.Duration
	n := 0
	for b.Loop() {
		if n%batch == 0 {
			t0 := time.Now()
			for range batch {
				if _, err := r.run(prog, in); err != nil {
					b.Fatal(err)
				}
			}
			t1 := time.Now()
			for range batch {
				if _, err := handwritten(in); err != nil {
					b.Fatal(err)
				}
			}
			vmTime += t1.Sub(t0)
			goTime += time.Since(t1)
		}
		n++
	}
	if vmTime > 0 {
		b.ReportMetric(goTime.Seconds()/vmTime.Seconds(), "x-vs-go")
		execs := float64(batch * ((n + batch - 1) / batch))
		b.ReportMetric(10*execs/vmTime.Seconds(), "vm-transitions/s")
		b.ReportMetric(10*execs/goTime.Seconds(), "go-transitions/s")
	}
}

// TestReference10Allocs bounds the allocations of one execution of the
// reference workload, JSON in and out, on a reused Machine and Execution.
func TestReference10Allocs(t *testing.T) {
	prog, in, want := reference10(t)
	var r runner
	out, err := r.run(prog, in)
	if err != nil {
		t.Fatal(err)
	}
	checkOutput(t, out, want)
	allocs := testing.AllocsPerRun(200, func() {
		if _, err := r.run(prog, in); err != nil {
			t.Fatal(err)
		}
	})
	// Decoding the input allocates its 3 objects (one allocation each;
	// member names are interned, strings and numbers refer to the input
	// text). The execution owns its input (OwnInput), so the ResultPaths
	// update the top-level object in place, in the room the parser left in
	// it. Nothing else may allocate:
	// no per-state encoding, no size walks, no maps, no closures. The
	// budget is what README.md claims.
	const budget = 3
	if allocs > budget {
		t.Errorf("got %.0f allocs per execution, want at most %d", allocs, budget)
	}
	t.Logf("%.0f allocs per execution", allocs)
}
