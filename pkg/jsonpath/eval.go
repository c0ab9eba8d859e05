package jsonpath

import (
	"errors"

	"github.com/expressd/expressd/pkg/value"
)

// maxWork bounds the nodes one Get may visit. Deep scans and filters with
// nested paths multiply work (each ".." walks the whole document again), so a
// hostile path could otherwise take time polynomial in the payload with a
// large exponent. 1<<21 visits (about 80 MB of results at worst) is far above what any real path needs on a
// 256 KiB payload.
const maxWork = 1 << 21

// ErrTooComplex is returned by [Path.Get] when evaluating an indefinite path
// visits more than an internal budget of nodes.
var ErrTooComplex = errors.New("jsonpath: path evaluation exceeds the work limit")

// Get evaluates the path on root, the document chosen by [Path.Root] (the
// caller picks the input, the context object or the variable).
//
// For a definite path it returns the selected value, or a [*NotFoundError]
// when a step misses (absent member, index out of range, step applied to the
// wrong type). For an indefinite path it returns an array of all matches,
// possibly empty, and never a NotFoundError. Get on a path of member names
// and indexes does not allocate unless it fails.
func (p *Path) Get(root value.Value) (value.Value, error) {
	if p.definite {
		cur := root
		for i := range p.steps {
			s := &p.steps[i]
			switch s.kind {
			case stepName:
				v, ok := cur.Get(s.name)
				if !ok {
					return value.Value{}, p.notFound(i, cur)
				}
				cur = v
			case stepIndex:
				if cur.Kind() != value.Array {
					return value.Value{}, p.notFound(i, cur)
				}
				j := s.index
				if j < 0 {
					j += cur.Len()
				}
				if j < 0 || j >= cur.Len() {
					return value.Value{}, p.notFound(i, cur)
				}
				cur = cur.Index(j)
			case stepNames: // only as the last step of a definite path
				if cur.Kind() != value.Object {
					return value.Value{}, p.notFound(i, cur)
				}
				cur = merge(cur, s.names)
			}
		}
		return cur, nil
	}
	ev := evaluator{root: root}
	res := ev.all(p, root)
	if ev.work > maxWork {
		return value.Value{}, ErrTooComplex
	}
	return value.FromArray(res), nil
}

// merge builds the object of the members of obj named in names, in that
// order, skipping absent ones (Jayway's multi-property leaf).
func merge(obj value.Value, names []string) value.Value {
	keys := make([]string, 0, len(names))
	vals := make([]value.Value, 0, len(names))
	for _, n := range names {
		if v, ok := obj.Get(n); ok && !contains(keys, n) {
			keys = append(keys, n)
			vals = append(vals, v)
		}
	}
	return value.FromObject(keys, vals)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// evaluator collects the matches of an indefinite path. It also evaluates
// the paths inside filters, which share its work budget.
type evaluator struct {
	root  value.Value // the document "$" in filters refers to
	out   []value.Value
	work  int
	steps []step
}

// all returns every match of p on doc.
func (ev *evaluator) all(p *Path, doc value.Value) []value.Value {
	saveOut, saveSteps := ev.out, ev.steps
	ev.out, ev.steps = []value.Value{}, p.steps
	ev.eval(0, doc)
	res := ev.out
	ev.out, ev.steps = saveOut, saveSteps
	return res
}

// get evaluates a path nested in a filter: ok is false when a definite path
// misses (Jayway's UndefinedNode).
func (ev *evaluator) get(p *Path, doc value.Value) (value.Value, bool) {
	if p.definite {
		ev.work += len(p.steps)
		v, err := p.Get(doc)
		return v, err == nil
	}
	return value.FromArray(ev.all(p, doc)), true
}

// eval applies steps[i:] to cur, as Jayway's PathToken.evaluate.
func (ev *evaluator) eval(i int, cur value.Value) {
	ev.work++
	if ev.work > maxWork {
		return
	}
	if i == len(ev.steps) {
		ev.out = append(ev.out, cur)
		return
	}
	s := &ev.steps[i]
	switch s.kind {
	case stepName:
		if v, ok := cur.Get(s.name); ok {
			ev.eval(i+1, v)
		}
	case stepNames:
		if cur.Kind() != value.Object {
			return
		}
		if i == len(ev.steps)-1 {
			ev.out = append(ev.out, merge(cur, s.names))
			return
		}
		for _, n := range s.names {
			if v, ok := cur.Get(n); ok {
				ev.eval(i+1, v)
			}
		}
	case stepIndex:
		ev.index(i, cur, s.index)
	case stepIndexes:
		for _, j := range s.indexes {
			ev.index(i, cur, j)
		}
	case stepWildcard:
		if k := cur.Kind(); k == value.Object || k == value.Array {
			for _, v := range cur.Items() {
				ev.eval(i+1, v)
			}
		}
	case stepSlice:
		ev.slice(i, s, cur)
	case stepFilter:
		switch cur.Kind() {
		case value.Object:
			if ev.accept(s.filter, cur) {
				ev.eval(i+1, cur)
			}
		case value.Array:
			for _, v := range cur.Items() {
				if ev.accept(s.filter, v) {
					ev.eval(i+1, v)
				}
			}
		}
	case stepScan:
		ev.walk(i+1, cur)
	}
}

// index applies an index step (negative counts from the end) to cur.
func (ev *evaluator) index(i int, cur value.Value, j int) {
	if cur.Kind() != value.Array {
		return
	}
	if j < 0 {
		j += cur.Len()
	}
	if j >= 0 && j < cur.Len() {
		ev.eval(i+1, cur.Index(j))
	}
}

// slice applies a slice step with Jayway's bounds rules: [a:] and [:b]
// accept negative bounds counted from the end; [a:b] clamps only b.
func (ev *evaluator) slice(i int, s *step, cur value.Value) {
	if cur.Kind() != value.Array {
		return
	}
	n := cur.Len()
	from, to := 0, n
	switch s.slice {
	case sliceFrom:
		from = s.index
		if from < 0 {
			from += n
		}
		from = max(from, 0)
	case sliceTo:
		to = s.to
		if to < 0 {
			to += n
		}
		to = min(to, n)
	case sliceBetween:
		from, to = s.index, min(s.to, n)
	}
	for j := from; j < to; j++ {
		ev.index(i, cur, j)
	}
}

// walk is Jayway's ScanPathToken.walk: it applies steps[j:] at every node of
// the tree under cur (pre-order) whose shape suits steps[j].
func (ev *evaluator) walk(j int, cur value.Value) {
	ev.work++
	if ev.work > maxWork {
		return
	}
	switch cur.Kind() {
	case value.Object:
		if ev.scanMatch(j, cur) {
			ev.eval(j, cur)
		}
	case value.Array:
		if ev.scanMatch(j, cur) {
			if j == len(ev.steps)-1 {
				ev.eval(j, cur)
			} else {
				// Jayway applies the token after the matched one to every
				// element, skipping the matched token itself.
				for _, v := range cur.Items() {
					ev.eval(j+1, v)
				}
			}
		}
	default:
		return
	}
	for _, v := range cur.Items() {
		ev.walk(j, v)
	}
}

// scanMatch is Jayway's scan predicate for target token steps[j].
func (ev *evaluator) scanMatch(j int, cur value.Value) bool {
	s := &ev.steps[j]
	switch s.kind {
	case stepName:
		_, ok := cur.Get(s.name)
		return ok
	case stepNames:
		if cur.Kind() != value.Object {
			return false
		}
		if j != len(ev.steps)-1 {
			return true
		}
		for _, n := range s.names {
			if _, ok := cur.Get(n); !ok {
				return false
			}
		}
		return true
	case stepIndex, stepIndexes, stepSlice:
		return cur.Kind() == value.Array
	case stepWildcard:
		return true
	case stepFilter:
		return ev.accept(s.filter, cur)
	}
	return false
}
