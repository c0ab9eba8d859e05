package config

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
)

// position is a 1-based line and column in the config file.
type position struct{ line, col int }

// Error is one problem in a config, rendered
// "file:line:col: path: message", e.g.
// "configs/x.yaml:12:5: machines[0].trigger.ack_wait: must be at least 1s".
// Line and Col are 0 when unknown (a Config built in Go); Path is "" for the
// whole file. Msg never contains a secret.
type Error struct {
	File      string
	Line, Col int
	Path      string // e.g. machines[0].trigger.ack_wait
	Msg       string
}

// Error implements error.
func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		b.WriteByte(':')
	}
	if e.Line > 0 {
		b.WriteString(strconv.Itoa(e.Line))
		b.WriteByte(':')
		if e.Col > 0 {
			b.WriteString(strconv.Itoa(e.Col))
			b.WriteByte(':')
		}
	}
	if b.Len() > 0 {
		b.WriteByte(' ')
	}
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// ErrorList is every problem found in a config, sorted by position (problems
// without one keep their order, after the others). It implements error.
type ErrorList []*Error

// Error joins the problems, one per line.
func (l ErrorList) Error() string {
	lines := make([]string, len(l))
	for i, e := range l {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

func (l ErrorList) sort() {
	slices.SortStableFunc(l, func(a, b *Error) int {
		ka, kb := a.Line, b.Line
		if ka == 0 {
			ka = 1 << 30
		}
		if kb == 0 {
			kb = 1 << 30
		}
		return cmp.Or(cmp.Compare(ka, kb), cmp.Compare(a.Col, b.Col))
	})
}

// err returns l as an error, or nil when it is empty.
func (l ErrorList) err() error {
	if len(l) == 0 {
		return nil
	}
	l.sort()
	return l
}
