package sinks

import (
	"reflect"
	"strings"
	"testing"
)

func TestRegistry(t *testing.T) {
	r := Builtin()
	var names []string
	for _, p := range r.Plugins() {
		names = append(names, p.Name)
		if len(p.Spec) == 0 || p.Spec[0].Name != FieldType {
			t.Errorf("%s: spec does not start with the common fields", p.Name)
		}
	}
	if got := strings.Join(names, ","); got != "discard,file,stdout" {
		t.Errorf("got plugins %s, want discard,file,stdout", got)
	}
	if err := r.Register(DiscardPlugin()); err == nil {
		t.Error("duplicate Register: got nil error")
	}
	if err := r.Register(Plugin{Name: "x"}); err == nil {
		t.Error("Register without New: got nil error")
	}
	if _, err := r.New(Options{Type: "nats"}); err == nil || !strings.Contains(err.Error(), "known: discard, file, stdout") {
		t.Errorf("New(nats): got %v", err)
	}
	n, err := r.New(Options{Type: "discard", Buffer: 7})
	if err != nil || n.Name != "discard" || n.Buffer != 7 || n.MaxInFlight != 1 {
		t.Errorf("New(discard): got %+v, %v", n, err)
	}
	// Isolated registries do not share state.
	if len(NewRegistry().Plugins()) != 0 {
		t.Error("NewRegistry: got a plugin")
	}
}

// TestBuiltinSpecs: the Specs pkg/config builds its sink keys from are the
// plugins' own (one source for parsing, validation and docs).
func TestBuiltinSpecs(t *testing.T) {
	specs := BuiltinSpecs()
	for _, p := range Builtin().Plugins() {
		want, ok := specs[p.Name]
		if !ok {
			t.Errorf("plugin %s is not in BuiltinSpecs", p.Name)
			continue
		}
		if !reflect.DeepEqual(p.Spec, want) {
			t.Errorf("plugin %s: Spec differs from BuiltinSpecs()[%q]", p.Name, p.Name)
		}
	}
}
