package sinks

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestImports enforces the dependency rule of doc.go: NATS and config stay
// out of this package (they belong to sub-packages and cmd/expressd).
func TestImports(t *testing.T) {
	files, _ := filepath.Glob("*.go")
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(fset, f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range af.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if strings.Contains(p, "nats-io/") || strings.HasSuffix(p, "/pkg/config") || strings.HasSuffix(p, "/pkg/engine") || strings.HasSuffix(p, "/pkg/vm") {
				t.Errorf("%s imports %s", f, p)
			}
		}
	}
}
