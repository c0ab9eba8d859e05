package config

import (
	"bytes"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/expressd/expressd/pkg/internal/redact"
	"go.yaml.in/yaml/v3"
)

// Redacted returns a deep copy of c with secrets replaced by [Redacted]:
// nats.password, nats.token and passwords in URLs (nats.url, lambda target
// URLs). Use it to log or print a config.
func (c *Config) Redacted() *Config {
	r := c.clone()
	if r.NATS.Password != "" {
		r.NATS.Password = Redacted
	}
	if r.NATS.Token != "" {
		r.NATS.Token = Redacted
	}
	r.NATS.URL = redact.URL(r.NATS.URL)
	for name, t := range r.Integrations.Lambda.Functions {
		t.URL = redact.URL(t.URL)
		r.Integrations.Lambda.Functions[name] = t
	}
	return r
}

func (c *Config) clone() *Config {
	r := *c
	if e := c.NATS.Embedded; e != nil {
		e := *e
		r.NATS.Embedded = &e
	}
	if t := c.NATS.TLS; t != nil {
		t := *t
		r.NATS.TLS = &t
	}
	r.Machines = slices.Clone(c.Machines)
	for i := range r.Machines {
		m := &r.Machines[i]
		if t := m.Trigger; t != nil {
			t := *t
			t.Subjects = slices.Clone(t.Subjects)
			m.Trigger = &t
		}
		if l := m.Logging; l != nil {
			l := *l
			l.Sinks = slices.Clone(l.Sinks)
			m.Logging = &l
		}
	}
	r.Integrations.Lambda.Functions = maps.Clone(c.Integrations.Lambda.Functions)
	r.Logging.Sinks = slices.Clone(c.Logging.Sinks)
	return &r
}

// String renders the config as YAML with its secrets redacted (see
// [Config.Redacted]). Keys with zero values are left out.
func (c Config) String() string {
	return render(spec, c.Redacted())
}

// GoString is like String, for %#v, so secrets never reach a log.
func (c Config) GoString() string { return "config.Config{\n" + c.String() + "}" }

// String renders n as YAML with its secrets redacted.
func (n NATS) String() string {
	c := Config{NATS: n}
	return render(natsSpec, &c.Redacted().NATS)
}

// GoString is like String, for %#v.
func (n NATS) GoString() string { return "config.NATS{\n" + n.String() + "}" }

func render(o *object, v any) string {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(encode(o, v)); err != nil {
		return fmt.Sprintf("config: %v", err) // cannot happen: the node tree is built here
	}
	enc.Close()
	return b.String()
}

// encode builds the YAML tree of v (a pointer to o's struct).
func encode(o *object, v any) *yaml.Node {
	m := &yaml.Node{Kind: yaml.MappingNode}
	for _, f := range o.fields {
		var val *yaml.Node
		switch f.kind {
		case kindObject:
			ch := f.child(v, false)
			if ch == nil {
				continue
			}
			val = encode(f.elem, ch)
			if len(val.Content) == 0 && !f.opt {
				continue
			}
		case kindList:
			if f.zero(v) {
				continue
			}
			val = &yaml.Node{Kind: yaml.SequenceNode}
			f.each(v, func(_ string, ch any) { val.Content = append(val.Content, encode(f.elem, ch)) })
		case kindMap:
			if f.zero(v) {
				continue
			}
			val = &yaml.Node{Kind: yaml.MappingNode}
			f.each(v, func(suffix string, ch any) {
				val.Content = append(val.Content, str(strings.TrimPrefix(suffix, ".")), encode(f.elem, ch))
			})
		default:
			if f.zero(v) {
				continue
			}
			val = encodeScalar(f.ptr(v))
		}
		m.Content = append(m.Content, str(f.key), val)
	}
	return m
}

func str(s string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s} }

func encodeScalar(p any) *yaml.Node {
	switch v := p.(type) {
	case *string:
		return str(*v)
	case *Secret:
		return str(v.String())
	case *Level:
		return str(string(*v))
	case *bool:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(*v)}
	case *int:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: strconv.Itoa(*v)}
	case *time.Duration:
		return str(formatDuration(*v))
	case *Size:
		if s := v.String(); !strings.HasSuffix(s, "B") {
			return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: s}
		}
		return str(v.String())
	case *[]string:
		n := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
		for _, s := range *v {
			n.Content = append(n.Content, str(s))
		}
		return n
	}
	panic(fmt.Sprintf("config: encodeScalar: unsupported type %T", p))
}
