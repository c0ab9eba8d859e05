package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Validate reports every problem in c, one per line, sorted by position,
// as an [ErrorList]: the per-key rules of the spec table (required keys,
// enumerations, patterns, ranges, subjects, addresses, input files that must
// exist) and the rules that relate keys (embedded vs url, one
// authentication method, unique machine names and consumers, subjects that
// overlap the daemon's own or another stream's). Messages never contain a
// secret. Validate does not modify c.
func (c *Config) Validate() error {
	k := &checker{c: c}
	k.object(spec, c, "")
	k.nats()
	k.machines()
	k.lambda()
	return k.errs.err()
}

type checker struct {
	c    *Config
	errs ErrorList
}

// errorf records a problem at path, positioned at the closest written key
// at or above it.
func (k *checker) errorf(path, format string, args ...any) {
	e := &Error{File: k.c.File, Path: path, Msg: fmt.Sprintf(format, args...)}
	for p := path; p != ""; p = parentPath(p) {
		if pos, ok := k.c.pos[p]; ok {
			e.Line, e.Col = pos.line, pos.col
			break
		}
	}
	k.errs = append(k.errs, e)
}

// parentPath strips the last ".key" or "[i]" of path.
func parentPath(p string) string {
	i := strings.LastIndexAny(p, ".[")
	if i < 0 {
		return ""
	}
	return p[:i]
}

func itoa(i int) string { return strconv.Itoa(i) }

// object checks the per-key rules of o on v and below.
func (k *checker) object(o *object, v any, path string) {
	for _, f := range o.fields {
		p := join(path, f.key)
		if ok, why := o.appliesTo(v, f); !ok {
			if why != "" && !f.zero(v) {
				k.errorf(p, "%s", why)
			}
			continue
		}
		switch f.kind {
		case kindObject:
			if ch := f.child(v, false); ch != nil {
				k.object(f.elem, ch, p)
			}
		case kindList, kindMap:
			n := 0
			f.each(v, func(suffix string, ch any) {
				n++
				k.object(f.elem, ch, p+suffix)
			})
			if f.required && n == 0 {
				k.errorf(p, "at least one is required")
			}
		default:
			k.scalar(f, f.ptr(v), p)
		}
	}
}

func (k *checker) scalar(f *field, v any, path string) {
	switch v := v.(type) {
	case *string:
		k.str(f, *v, path)
	case *Secret:
		k.str(f, string(*v), path)
	case *Level:
		k.str(f, string(*v), path)
	case *[]string:
		if f.required && len(*v) == 0 {
			k.errorf(path, "at least one is required")
		}
		for i, s := range *v {
			p := path + "[" + itoa(i) + "]"
			if s == "" {
				k.errorf(p, "must not be empty")
				continue
			}
			k.str(f, s, p)
		}
	case *int:
		k.intRange(f, int64(*v), path)
	case *Size:
		k.intRange(f, int64(*v), path)
	case *time.Duration:
		d := *v
		switch {
		case f.positive && d <= 0:
			k.errorf(path, "must be greater than 0")
		case f.durMin != 0 && d < f.durMin:
			k.errorf(path, "must be at least %s", formatDuration(f.durMin))
		case f.durMax != 0 && d > f.durMax:
			k.errorf(path, "must be at most %s", formatDuration(f.durMax))
		}
	}
}

func (k *checker) intRange(f *field, n int64, path string) {
	switch {
	case f.intMax != 0 && (n < f.intMin || n > f.intMax):
		k.errorf(path, "must be between %d and %d", f.intMin, f.intMax)
	case n < f.intMin:
		k.errorf(path, "must be at least %d", f.intMin)
	}
}

// str checks a string value. Secret and noEcho values are never quoted.
func (k *checker) str(f *field, s, path string) {
	if s == "" {
		switch {
		case f.required:
			k.errorf(path, "is required")
		case f.notEmpty && k.c.has(path):
			k.errorf(path, "must not be empty")
		}
		return
	}
	got := ""
	if !f.secret && !f.noEcho {
		got = fmt.Sprintf("; got %q", s)
	}
	if f.enum != nil && !slices.Contains(f.enum, s) {
		k.errorf(path, "must be one of %s%s", strings.Join(f.enum, ", "), got)
		return
	}
	if f.pattern != nil && !f.pattern.MatchString(s) {
		k.errorf(path, "must be %s%s", f.patternDoc, got)
		return
	}
	if f.check != nil {
		if msg := f.check(s); msg != "" {
			k.errorf(path, "%s", msg)
			return
		}
	}
	if f.file {
		k.file(f, s, path)
	}
}

func (k *checker) file(f *field, s, path string) {
	if f.noEcho && looksLikeSeed(s) {
		k.errorf(path, "looks like an nkey seed; give the path of a file holding it")
		return
	}
	name := k.c.resolve(s)
	what := fmt.Sprintf("file %q", name)
	if f.noEcho {
		what = "the file"
	}
	st, err := os.Stat(name)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		k.errorf(path, "%s does not exist", what)
	case err != nil:
		k.errorf(path, "cannot access %s", what)
	case st.IsDir():
		k.errorf(path, "%s is a directory", what)
	}
}

func (k *checker) nats() {
	n := &k.c.NATS
	at := func(key string) string { return fieldNATS + "." + key }
	if n.Embedded != nil && n.URL != "" {
		k.errorf(at(fieldURL), "cannot be combined with nats.embedded; set one of them")
	}
	type opt struct {
		key string
		set bool
	}
	external := []opt{
		{fieldUser, n.User != ""}, {fieldPassword, n.Password != ""}, {fieldToken, n.Token != ""},
		{fieldCreds, n.Creds != ""}, {fieldNKey, n.NKey != ""}, {fieldTLS, n.TLS != nil},
	}
	if n.URL == "" {
		for _, o := range external {
			if o.set {
				k.errorf(at(o.key), "only applies to an external server (nats.url)")
			}
		}
		return
	}
	switch {
	case n.User != "" && n.Password == "":
		k.errorf(at(fieldUser), "needs nats.password")
	case n.User == "" && n.Password != "":
		k.errorf(at(fieldPassword), "needs nats.user")
	}
	var first string
	for _, o := range []opt{{fieldUser, n.User != ""}, {fieldToken, n.Token != ""}, {fieldCreds, n.Creds != ""}, {fieldNKey, n.NKey != ""}} {
		switch {
		case !o.set:
		case first == "":
			first = o.key
		default:
			k.errorf(at(o.key), "cannot be combined with nats.%s; use one authentication method", first)
		}
	}
	if t := n.TLS; t != nil {
		switch {
		case t.Cert != "" && t.Key == "":
			k.errorf(at(fieldTLS+"."+fieldCert), "needs nats.tls.key")
		case t.Cert == "" && t.Key != "":
			k.errorf(at(fieldTLS+"."+fieldKey), "needs nats.tls.cert")
		}
	}
}

func (k *checker) machines() {
	c := k.c
	if e := c.NATS.Embedded; e != nil && c.HTTP.Enabled() && e.Listen != "" && e.Listen == c.HTTP.Listen {
		k.errorf(fieldHTTP+"."+fieldListen, "same address as nats.embedded.listen")
	}
	names := map[string]int{}
	consumers := map[[2]string]int{}
	published := k.publishedSubjects()
	for i := range c.Machines {
		m := &c.Machines[i]
		mp := fieldMachines + "[" + itoa(i) + "]"
		if m.Name != "" {
			if j, dup := names[m.Name]; dup {
				k.errorf(join(mp, fieldName), "duplicate machine name %q (also machines[%d])", m.Name, j)
			} else {
				names[m.Name] = i
			}
		}
		t := m.Trigger
		if t == nil {
			continue
		}
		tp := join(mp, fieldTrigger)
		if t.Stream == ResultsStream || t.Stream == DLQStream {
			k.errorf(join(tp, fieldStream), "%s is the daemon's own stream", t.Stream)
		}
		seen := map[string]bool{}
		for j, s := range t.Subjects {
			sp := join(tp, fieldSubjects) + "[" + itoa(j) + "]"
			switch {
			case subjectProblem(s, true) != "":
				// reported by the spec rules
			case seen[s]:
				k.errorf(sp, "duplicate subject %q", s)
			default:
				k.ownTraffic(sp, s, published)
			}
			seen[s] = true
		}
		if t.Stream != "" && t.Consumer != "" {
			key := [2]string{t.Stream, t.Consumer}
			if j, dup := consumers[key]; dup {
				k.errorf(join(tp, fieldConsumer), "consumer %q of stream %s is already used by machines[%d]", t.Consumer, t.Stream, j)
			} else {
				consumers[key] = i
			}
		}
		// JetStream refuses two streams with overlapping subjects.
		for j := range i {
			o := c.Machines[j].Trigger
			if o == nil || o.Stream == t.Stream {
				continue
			}
			for x, s := range t.Subjects {
				for _, os := range o.Subjects {
					if subjectProblem(s, true) == "" && subjectProblem(os, true) == "" && overlaps(s, os) {
						k.errorf(join(tp, fieldSubjects)+"["+itoa(x)+"]", "subject %q overlaps %q of stream %s (machines[%d]); streams cannot share subjects", s, os, o.Stream, j)
					}
				}
			}
		}
	}
}

// publishedSubject is a subject the daemon publishes on because of the
// config, and the key that configures it.
type publishedSubject struct{ path, subject string }

// publishedSubjects lists the subjects the config makes the daemon publish
// on, besides its own: Lambda targets (NATS requests) and nats log sinks.
func (k *checker) publishedSubjects() []publishedSubject {
	var out []publishedSubject
	add := func(path, subject string) {
		if subject != "" && subjectProblem(subject, true) == "" {
			out = append(out, publishedSubject{path, subject})
		}
	}
	l := k.c.Integrations.Lambda
	lp := fieldIntegrations + "." + fieldLambda
	names := make([]string, 0, len(l.Functions))
	for name := range l.Functions {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		add(join(join(lp, fieldFunctions), name)+"."+fieldSubject, l.Functions[name].Subject)
	}
	if l.SubjectPrefix != "" && checkSubjectPrefix(l.SubjectPrefix) == "" {
		add(join(lp, fieldSubjectPrefix), l.SubjectPrefix+">")
	}
	sinks := func(path string, list []Sink) {
		for i, s := range list {
			if s.Type == SinkNATS {
				add(path+"["+itoa(i)+"]."+fieldSubject, s.Subject)
			}
		}
	}
	sinks(fieldLogging+"."+fieldSinks, k.c.Logging.Sinks)
	for i, m := range k.c.Machines {
		if m.Logging != nil {
			sinks(fieldMachines+"["+itoa(i)+"]."+fieldLogging+"."+fieldSinks, m.Logging.Sinks)
		}
	}
	return out
}

// ownTraffic reports a trigger subject s (at path sp) that captures
// subjects NATS or the daemon itself publish on: a stream would store that
// traffic as events, and each would run an execution that publishes again.
func (k *checker) ownTraffic(sp, s string, published []publishedSubject) {
	for _, r := range reservedSubjects {
		if overlaps(s, r.subject) {
			k.errorf(sp, "subject %q overlaps %s, %s; a trigger there would feed on that traffic", s, r.subject, r.why)
			return
		}
	}
	for _, p := range published {
		if overlaps(s, p.subject) {
			k.errorf(sp, "subject %q overlaps %q, which the daemon publishes on (%s); a trigger there would feed on that traffic", s, p.subject, p.path)
			return
		}
	}
}

func (k *checker) lambda() {
	fp := fieldIntegrations + "." + fieldLambda + "." + fieldFunctions
	fns := k.c.Integrations.Lambda.Functions
	names := make([]string, 0, len(fns))
	for name := range fns {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		t, p := fns[name], join(fp, name)
		if !functionPattern.MatchString(name) {
			k.errorf(p, "function name must be 1-64 characters of A-Z a-z 0-9 _ -")
		}
		switch {
		case t.Subject == "" && t.URL == "":
			k.errorf(p, "needs subject or url")
		case t.Subject != "" && t.URL != "":
			k.errorf(p, "set only one of subject and url")
		}
	}
}
