package states_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/expressd/expressd/pkg/intrinsic"
	"github.com/expressd/expressd/pkg/states"
)

// errorNameLiteral matches the string literals that spell an error name.
var errorNameLiteral = regexp.MustCompile(`^(States|NATS|Lambda)\.[A-Z][A-Za-z0-9.]*$`)

// TestOneCatalogue: no error name is spelled as a string literal outside
// this package (tests excepted: they pin the names on the wire). The names
// were declared again in natstask, lambda, httptask, intrinsic and mock,
// and the engine used one ("States.Cancelled") that no catalogue had.
func TestOneCatalogue(t *testing.T) {
	functions := map[string]bool{}
	for f := intrinsic.Func(0); !strings.HasPrefix(f.String(), "Func("); f++ {
		functions[f.String()] = true
	}
	exact := map[string]bool{}
	for _, n := range []states.Name{states.InvalidExecutionInput, states.ExecutionLimitExceeded, states.ServiceUnavailable} {
		exact[string(n)] = true
	}
	root := filepath.Join("..", "..")
	fset := token.NewFileSet()
	found := 0
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case ".git", "testdata", "node_modules":
				return filepath.SkipDir
			}
			if filepath.Clean(path) == filepath.Join(root, "pkg", "states") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		file, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		found++
		ast.Inspect(file, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err != nil {
				return true
			}
			if (errorNameLiteral.MatchString(s) && !functions[s]) || exact[s] {
				t.Errorf("%s: error name %q spelled outside pkg/states: use the catalogue", fset.Position(lit.Pos()), s)
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if found < 50 {
		t.Fatalf("only %d Go files checked: the walk did not find the module", found)
	}
}
