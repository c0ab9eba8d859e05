package config

import "go.yaml.in/yaml/v3"

// ApplyDefaults fills every key that was left out with its default (see
// [Reference]) and resolves relative input paths (definitions, creds, nkey
// and TLS files) against the directory of File. A key written with an empty
// or zero value keeps it: `listen: ""` disables the HTTP listener, and
// `concurrency: 0` is reported by Validate rather than replaced. For a
// Config built in Go (not by Parse) every zero value counts as left out.
// The keys of a machine's logging are not defaulted: they inherit the
// top-level ones (see [Machine.EffectiveLogging]). ApplyDefaults is
// idempotent.
func (c *Config) ApplyDefaults() {
	if c.NATS.Embedded == nil && c.NATS.URL == "" {
		c.NATS.Embedded = &Embedded{}
	}
	c.defaults(spec, c, "", false)
	for i := range c.Machines {
		m := &c.Machines[i]
		mp := fieldMachines + "[" + itoa(i) + "]"
		if !machineNamePattern.MatchString(m.Name) {
			continue // reported by Validate; no name to derive defaults from
		}
		if t := m.Trigger; t != nil && t.Consumer == "" && !c.has(join(mp, fieldTrigger+"."+fieldConsumer)) {
			t.Consumer = "expressd-" + m.Name
		}
		if m.Results.Subject == "" && !c.has(join(mp, fieldResults+"."+fieldSubject)) {
			m.Results.Subject = ResultsPrefix + m.Name
		}
		if m.Logging != nil && c.has(join(mp, fieldLogging+"."+fieldIncludeExecutionData)) {
			m.Logging.includeSet = true
		}
	}
	if !c.resolved {
		c.files(spec, c, func(p *string) { *p = c.resolve(*p) })
		c.resolved = true
	}
}

// has reports whether the key at path was written in the file.
func (c *Config) has(path string) bool {
	_, ok := c.pos[path]
	return ok
}

// defaults applies the spec defaults of o to v (a pointer to o's struct)
// and below. With inherit, v's own keys are left alone (its children's
// defaults still apply).
func (c *Config) defaults(o *object, v any, path string, inherit bool) {
	for _, f := range o.fields {
		p := join(path, f.key)
		ok, _ := o.appliesTo(v, f)
		if !ok {
			continue
		}
		if f.def != "" && !inherit && f.zero(v) && !c.has(p) {
			d := &decoder{}
			f.decode(d, v, defaultNode(f), p)
			if len(d.errs) > 0 {
				panic("config: bad default for " + p + ": " + d.errs.Error())
			}
		}
		switch f.kind {
		case kindObject:
			if ch := f.child(v, false); ch != nil {
				c.defaults(f.elem, ch, p, f.inherit)
			}
		case kindList, kindMap:
			f.each(v, func(suffix string, ch any) { c.defaults(f.elem, ch, p+suffix, false) })
		}
	}
}

// defaultNode parses a field's default, so defaults go through the same
// decoder as the file. A default that does not decode is a bug in the spec
// table, caught by TestSpecDefaults.
func defaultNode(f *field) *yaml.Node {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(f.def), &doc); err != nil || len(doc.Content) == 0 {
		panic("config: bad default for " + f.key + ": " + f.def)
	}
	return doc.Content[0]
}

// files calls fn for every non-empty input-file field under v.
func (c *Config) files(o *object, v any, fn func(*string)) {
	for _, f := range o.fields {
		switch f.kind {
		case kindString:
			if p, ok := f.ptr(v).(*string); ok && f.file && *p != "" {
				fn(p)
			}
		case kindObject:
			if ch := f.child(v, false); ch != nil {
				c.files(f.elem, ch, fn)
			}
		case kindList, kindMap:
			f.each(v, func(_ string, ch any) { c.files(f.elem, ch, fn) })
		}
	}
}
