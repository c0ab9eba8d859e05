package compile_test

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/expressd/expressd/pkg/asl"
	"github.com/expressd/expressd/pkg/compile"
	"github.com/expressd/expressd/pkg/vm"
)

var update = flag.Bool("update", false, "rewrite the testdata/*.golden files")

// resolverFunc adapts a function to compile.TaskResolver.
type resolverFunc func(string) (int, error)

func (f resolverFunc) Resolve(r string) (int, error) { return f(r) }

// acceptAll resolves every resource to handler 0.
var acceptAll = resolverFunc(func(string) (int, error) { return 0, nil })

// rejectAll resolves no resource.
var rejectAll = resolverFunc(func(string) (int, error) { return -1, errors.New("no integration serves this resource") })

// checkGolden compares got with testdata/<name>.golden, or rewrites it
// with -update.
func checkGolden(t *testing.T, golden string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", golden, diff)
	}
}

// TestGoldenDisassembly compiles testdata/*.asl.json and compares the
// disassembly with testdata/*.golden.
func TestGoldenDisassembly(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.asl.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no testdata/*.asl.json")
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".asl.json")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			sm, diags := asl.Load(filepath.Base(file), data)
			if len(diags) > 0 {
				t.Fatalf("load:\n%v", diags)
			}
			p, diags := compile.StateMachine(sm, compile.WithName(name), compile.WithFile(filepath.Base(file)), compile.WithTasks(acceptAll))
			if len(diags) > 0 {
				t.Fatalf("compile:\n%v", diags)
			}
			if err := vm.Verify(p); err != nil {
				t.Fatalf("Verify: %v", err)
			}
			var buf bytes.Buffer
			if err := p.Disassemble(&buf); err != nil {
				t.Fatal(err)
			}
			checkGolden(t, strings.TrimSuffix(file, ".asl.json")+".golden", buf.Bytes())
		})
	}
}

// TestGoldenDiagnostics renders the diagnostics of testdata/errors/*.asl.json:
// those of asl.Load (validation), and those of compile.StateMachine run on
// the merely decoded machine with a resolver that rejects every resource,
// so the compiler's own checks show even where validation already
// catches the problem.
func TestGoldenDiagnostics(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "errors", "*.asl.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no testdata/errors/*.asl.json")
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".asl.json")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			base := filepath.Base(file)
			var buf bytes.Buffer
			_, diags := asl.Load(base, data)
			buf.WriteString("# asl.Load\n")
			writeDiags(&buf, diags)

			sm, ddiags := asl.Decode(base, data)
			if sm == nil {
				t.Fatalf("decode:\n%v", ddiags)
			}
			p, cdiags := compile.StateMachine(sm, compile.WithFile(base), compile.WithTasks(rejectAll))
			buf.WriteString("# compile.StateMachine\n")
			writeDiags(&buf, cdiags)
			if len(cdiags) == 0 {
				if p == nil {
					t.Fatal("nil program without diagnostics")
				}
				if err := vm.Verify(p); err != nil {
					t.Fatalf("Verify: %v", err)
				}
			} else if p != nil {
				t.Error("a program was returned together with diagnostics")
			}
			if len(diags)+len(cdiags) == 0 {
				t.Error("no diagnostics at all for an error case")
			}
			checkGolden(t, strings.TrimSuffix(file, ".asl.json")+".golden", buf.Bytes())
		})
	}
}

func writeDiags(buf *bytes.Buffer, ds asl.Diagnostics) {
	if len(ds) == 0 {
		buf.WriteString("(none)\n")
		return
	}
	for _, d := range ds {
		buf.WriteString(string(d.Code) + " " + d.String() + "\n")
	}
}
