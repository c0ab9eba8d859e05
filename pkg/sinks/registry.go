package sinks

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Registry maps sink type names to plugins. Build it once at startup
// ([Builtin] plus Register calls); afterwards it is read-only and safe for
// concurrent use. There is no global registry.
type Registry struct {
	plugins map[string]Plugin
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{plugins: map[string]Plugin{}} }

// Builtin returns a new registry holding the plugins of this package:
// stdout, file and discard.
func Builtin() *Registry {
	r := NewRegistry()
	for _, p := range []Plugin{StdoutPlugin(), FilePlugin(), DiscardPlugin()} {
		if err := r.Register(p); err != nil {
			panic(err) // unreachable: the names above are distinct and valid
		}
	}
	return r
}

// Register adds p. An empty name, a nil New or a name already registered
// is an error.
func (r *Registry) Register(p Plugin) error {
	switch {
	case p.Name == "":
		return errors.New("sinks: register: plugin without a name")
	case p.New == nil:
		return fmt.Errorf("sinks: register %q: New is nil", p.Name)
	}
	if _, dup := r.plugins[p.Name]; dup {
		return fmt.Errorf("sinks: register %q: duplicate plugin name", p.Name)
	}
	r.plugins[p.Name] = p
	return nil
}

// Plugins returns the registered plugins sorted by name (for docs and
// validation messages).
func (r *Registry) Plugins() []Plugin {
	ps := make([]Plugin, 0, len(r.plugins))
	for _, p := range r.plugins {
		ps = append(ps, p)
	}
	slices.SortFunc(ps, func(a, b Plugin) int { return strings.Compare(a.Name, b.Name) })
	return ps
}

// New builds the sink o.Type describes and returns it ready for
// [NewDispatcher], named after its type.
func (r *Registry) New(o Options) (Named, error) {
	p, ok := r.plugins[o.Type]
	if !ok {
		names := make([]string, 0, len(r.plugins))
		for _, p := range r.Plugins() {
			names = append(names, p.Name)
		}
		return Named{}, fmt.Errorf("sinks: unknown sink type %q (known: %s)", o.Type, strings.Join(names, ", "))
	}
	s, inFlight, err := p.New(o)
	if err != nil {
		return Named{}, err
	}
	return Named{Name: o.Type, Sink: s, Buffer: o.Buffer, MaxInFlight: inFlight}, nil
}
