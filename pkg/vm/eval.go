package vm

import (
	"errors"
	"strconv"
	"time"

	"github.com/expressd/expressd/pkg/asl"
	"github.com/expressd/expressd/pkg/intrinsic"
	"github.com/expressd/expressd/pkg/jsonpath"
	"github.com/expressd/expressd/pkg/states"
	"github.com/expressd/expressd/pkg/value"
)

// timeLayout is the context object's timestamp format: ISO-8601 UTC with
// exactly three fractional digits, as AWS reports it.
const timeLayout = "2006-01-02T15:04:05.000Z"

// undefinedVar is returned by getPath for a variable that was never assigned.
type undefinedVar struct{ name string }

func (u *undefinedVar) Error() string { return "The variable '" + u.name + "' is not defined" }

// failureError carries a Failure through an error-returning interface
// (intrinsic.Resolver).
type failureError struct{ f Failure }

func (fe *failureError) Error() string { return string(fe.f.Error) + ": " + fe.f.Cause }

// getPath applies Paths[idx] to doc (for $ paths), the context object ($$)
// or a variable ($name).
func (m *Machine) getPath(idx uint32, doc value.Value) (value.Value, error) {
	p := &m.e.prog.Paths[idx]
	switch p.Root() {
	case jsonpath.RootContext:
		return p.Get(m.context())
	case jsonpath.RootVariable:
		e := m.e
		if p.Slot < 0 || !e.varSet[p.Slot] {
			return value.Value{}, &undefinedVar{name: p.Var()}
		}
		return p.Get(e.vars[p.Slot])
	}
	return p.Get(doc)
}

// pathFailure is the States.Runtime failure of an InputPath, OutputPath or
// ItemsPath that matched nothing.
func (m *Machine) pathFailure(idx uint32, err error) Failure {
	p := &m.e.prog.Paths[idx]
	return Fail(states.Runtime, "Invalid path '"+p.String()+"' : "+err.Error())
}

// evalNode evaluates a payload template node with $ = doc.
func (m *Machine) evalNode(n *TNode, doc value.Value) (value.Value, Failure, bool) {
	switch n.Kind {
	case TConst:
		return n.Const, Failure{}, true
	case TPath:
		v, err := m.getPath(n.Index, doc)
		if err != nil {
			return value.Value{}, m.templatePathFailure(n, doc, err), false
		}
		return v, Failure{}, true
	case TIntrinsic:
		return m.evalIntrinsic(n.Index, doc)
	case TObject:
		vals := make([]value.Value, len(n.Items))
		for i := range n.Items {
			v, f, ok := m.evalNode(&n.Items[i], doc)
			if !ok {
				return value.Value{}, f, false
			}
			vals[i] = v
		}
		return value.FromObject(n.Keys, vals), Failure{}, true
	case TArray:
		vals := make([]value.Value, len(n.Items))
		for i := range n.Items {
			v, f, ok := m.evalNode(&n.Items[i], doc)
			if !ok {
				return value.Value{}, f, false
			}
			vals[i] = v
		}
		return value.FromArray(vals), Failure{}, true
	}
	panic("vm: invalid template node kind")
}

func (m *Machine) templatePathFailure(n *TNode, doc value.Value, err error) Failure {
	p := &m.e.prog.Paths[n.Index]
	var uv *undefinedVar
	if errors.As(err, &uv) {
		return Fail(states.Runtime, "The JSONPath '"+p.String()+"' specified for the field '"+n.Field+"' could not be found in the input: "+uv.Error())
	}
	src := doc
	if p.Root() == jsonpath.RootContext {
		src = m.context()
	}
	return Fail(states.Runtime, "The JSONPath '"+p.String()+"' specified for the field '"+n.Field+"' could not be found in the input '"+src.JSON()+"'")
}

func (m *Machine) evalIntrinsic(idx uint32, doc value.Value) (value.Value, Failure, bool) {
	saveI, saveD := m.intr, m.idoc
	m.intr = &m.e.prog.Intrinsics[idx]
	m.idoc = doc
	v, err := m.intr.Call.Eval(m)
	m.intr, m.idoc = saveI, saveD
	if err != nil {
		var fe *failureError
		var ie *intrinsic.Error
		switch {
		case errors.As(err, &fe):
			return value.Value{}, fe.f, false
		case errors.As(err, &ie):
			return value.Value{}, Fail(ie.Name, ie.Cause), false
		default:
			return value.Value{}, Fail(states.Runtime, err.Error()), false
		}
	}
	if value.Size(v) > PayloadLimit {
		return value.Value{}, Fail(states.Runtime, "The result of "+m.e.prog.Intrinsics[idx].Call.Func.String()+" exceeds the maximum payload size of 262144 bytes."), false
	}
	return v, Failure{}, true
}

// ResolvePath implements intrinsic.Resolver for the call being evaluated.
func (m *Machine) ResolvePath(i int) (value.Value, error) {
	pidx := m.intr.PathIdx[i]
	v, err := m.getPath(pidx, m.idoc)
	if err != nil {
		p := &m.e.prog.Paths[pidx]
		src := m.idoc
		if p.Root() == jsonpath.RootContext {
			src = m.context()
		}
		return value.Value{}, &failureError{f: Fail(states.Runtime, "The JSONPath '"+p.String()+"' could not be found in the input '"+src.JSON()+"'")}
	}
	return v, nil
}

// assign evaluates an Assign block against the variables as they were at
// state entry and queues the values until the state is left.
func (m *Machine) assign(a *Assign, doc value.Value) (Failure, bool) {
	v, f, ok := m.evalNode(&a.Tmpl, doc)
	if !ok {
		return f, false
	}
	e := m.e
	for i, slot := range a.Slots {
		a := e.x()
		a.pending = append(a.pending, pendingVar{slot: slot, v: v.Index(i)})
	}
	return Failure{}, true
}

// context returns the context object ($$) of the current state, built at
// most once per state.
func (m *Machine) context() value.Value {
	e := m.e
	a := e.x()
	if a.ctxValid {
		return a.ctxCache
	}
	c := e.ctx
	if c == nil {
		c = &Context{}
	}
	execObj, smObj := c.objects()
	stateKeys := []string{"EnteredTime", "Name"}
	var name string
	typ := ""
	if e.state >= 0 {
		name = e.prog.States[e.state].Name
		typ = e.prog.States[e.state].Type
	}
	stateVals := []value.Value{value.FromString(time.Unix(0, e.enteredAt).UTC().Format(timeLayout)), value.FromString(name)}
	if typ == "Task" || typ == "Parallel" || typ == "Map" {
		stateKeys = append(stateKeys, "RetryCount")
		stateVals = append(stateVals, value.FromInt(e.retryCount))
	}
	keys := []string{"Execution", "StateMachine", "State"}
	vals := []value.Value{execObj, smObj, value.FromObject(stateKeys, stateVals)}
	if a.hasItem {
		item := value.FromObject([]string{"Index", "Value"}, []value.Value{value.FromInt(int64(a.itemIndex)), a.itemValue})
		keys = append(keys, "Map")
		vals = append(vals, value.FromObject([]string{"Item"}, []value.Value{item}))
	}
	a.ctxCache = value.FromObject(keys, vals)
	a.ctxValid = true
	return a.ctxCache
}

// waitUntil computes a Wait state's deadline.
func (m *Machine) waitUntil(w *Wait, doc value.Value) (time.Time, Failure, bool) {
	switch w.Kind {
	case WaitSeconds:
		return m.now().Add(time.Duration(w.Seconds) * time.Second), Failure{}, true
	case WaitTimestamp:
		return w.Time, Failure{}, true
	case WaitSecondsPath:
		p := &m.e.prog.Paths[w.Path]
		v, err := m.getPath(w.Path, doc)
		if err != nil {
			return time.Time{}, Fail(states.Runtime, "The SecondsPath parameter does not reference an input value: "+p.String()), false
		}
		if !v.IsInteger() {
			return time.Time{}, Fail(states.Runtime, "The SecondsPath parameter cannot be parsed as a long value: "+p.String()+" == "+displayValue(v)), false
		}
		n, _ := v.Int()
		if n < 0 {
			return time.Time{}, Fail(states.Runtime, "The SecondsPath parameter references a negative value: "+p.String()+" == "+displayValue(v)), false
		}
		if n > MaxWaitSeconds {
			return time.Time{}, Fail(states.Runtime, "Wait state delay is too long."), false
		}
		return m.now().Add(time.Duration(n) * time.Second), Failure{}, true
	case WaitTimestampPath:
		p := &m.e.prog.Paths[w.Path]
		v, err := m.getPath(w.Path, doc)
		if err != nil {
			return time.Time{}, Fail(states.Runtime, "The TimestampPath parameter does not reference an input value: "+p.String()), false
		}
		t, ok := asl.ParseTimestamp(v.Str())
		if v.Kind() != value.String || !ok {
			return time.Time{}, Fail(states.Runtime, "The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: "+p.String()+" == "+displayValue(v)), false
		}
		if t.Sub(m.now()) > MaxWaitSeconds*time.Second {
			return time.Time{}, Fail(states.Runtime, "Wait state delay is too long."), false
		}
		return t, Failure{}, true
	}
	panic("vm: invalid wait kind")
}

// displayValue renders a value in an error message as AWS does: strings
// raw, everything else as JSON.
func displayValue(v value.Value) string {
	if v.Kind() == value.String {
		return v.Str()
	}
	return v.JSON()
}

// mapFork selects the items of a Map state and builds each iteration's input.
func (m *Machine) mapFork(mp *Map, doc value.Value) (ForkSpec, Failure, bool) {
	p := m.e.prog
	items := doc
	itemsPath := "$"
	if mp.ItemsPath >= 0 {
		itemsPath = p.Paths[mp.ItemsPath].String()
		v, err := m.getPath(uint32(mp.ItemsPath), doc)
		if err != nil {
			return ForkSpec{}, m.pathFailure(uint32(mp.ItemsPath), err), false
		}
		items = v
	}
	if items.Kind() != value.Array {
		return ForkSpec{}, Fail(states.Runtime, "Reference path \""+itemsPath+"\" must point to array."), false
	}
	maxc := mp.MaxConcurrency
	if mp.MaxConcurrencyPath >= 0 {
		mpath := &p.Paths[mp.MaxConcurrencyPath]
		v, err := m.getPath(uint32(mp.MaxConcurrencyPath), doc)
		if err != nil {
			return ForkSpec{}, m.pathFailure(uint32(mp.MaxConcurrencyPath), err), false
		}
		n, ok := v.Int()
		if v.Kind() == value.String {
			// AWS parses a string holding an integer ("1" from a variable).
			n, ok = parseInt32(v.Str())
		} else {
			ok = ok && v.IsInteger()
		}
		if !ok || n < 0 || n > 1<<31-1 {
			return ForkSpec{}, Fail(states.Runtime, "The MaxConcurrencyPath field refers to value \""+displayValue(v)+"\" which is not a valid integer: "+mpath.String()), false
		}
		maxc = n
	}
	n := items.Len()
	spec := ForkSpec{
		Entries:        make([]uint32, n),
		Inputs:         make([]value.Value, n),
		Items:          items.Items(),
		Map:            true,
		MaxConcurrency: int(maxc),
		State:          p.States[mp.State].Name,
	}
	e := m.e
	a := e.x()
	saveHas, saveIdx, saveVal := a.hasItem, a.itemIndex, a.itemValue
	defer func() {
		a.hasItem, a.itemIndex, a.itemValue = saveHas, saveIdx, saveVal
		a.ctxValid = false
	}()
	for i := 0; i < n; i++ {
		spec.Entries[i] = mp.Processor
		item := items.Index(i)
		if mp.Selector < 0 {
			spec.Inputs[i] = item
			continue
		}
		a.hasItem, a.itemIndex, a.itemValue = true, i, item
		a.ctxValid = false
		v, f, ok := m.evalNode(&p.Templates[mp.Selector].Root, doc)
		if !ok {
			return ForkSpec{}, f, false
		}
		if value.Size(v) > PayloadLimit { // an iteration's input is a payload too
			return ForkSpec{}, Fail(states.DataLimitExceeded, "The state/task '"+spec.State+"' returned a result with a size exceeding the maximum number of bytes service limit."), false
		}
		spec.Inputs[i] = v
	}
	return spec, Failure{}, true
}

// failState computes a Fail state's error and cause.
func (m *Machine) failState(fs *FailSpec) Failure {
	e := m.e
	f := Failure{Error: states.Name(fs.Error), Cause: fs.Cause, HasError: fs.HasError, HasCause: fs.HasCause}
	errText := string(f.Error)
	doc := e.regs[RegIn]
	for _, x := range []struct {
		n   *TNode
		dst *string
		has *bool
	}{{fs.ErrorNode, &errText, &f.HasError}, {fs.CauseNode, &f.Cause, &f.HasCause}} {
		if x.n == nil {
			continue
		}
		v, vf, ok := m.evalNode(x.n, doc)
		if !ok {
			vf.State = e.prog.States[e.state].Name
			vf.Cause = "An error occurred while executing the state '" + vf.State + "' (entered at the event id #" + strconv.FormatInt(e.stateEvent, 10) + "). " + vf.Cause
			return vf
		}
		*x.dst = displayValue(v)
		*x.has = true
	}
	f.Error = states.Name(errText)
	return f
}

// parseInt32 parses a decimal integer as Java's Integer.parseInt does.
func parseInt32(s string) (int64, bool) {
	n, err := strconv.ParseInt(s, 10, 32)
	return n, err == nil
}

// timeoutSeconds resolves a Task's TimeoutSecondsPath against the state
// input: it must be a positive integer.
func (m *Machine) timeoutSeconds(idx uint32, doc value.Value) (int64, Failure, bool) {
	p := &m.e.prog.Paths[idx]
	v, err := m.getPath(idx, doc)
	if err != nil {
		return 0, m.pathFailure(idx, err), false
	}
	n, ok := v.Int()
	if !ok || !v.IsInteger() || n <= 0 {
		return 0, Fail(states.Runtime, "The TimeoutSecondsPath field refers to value \""+displayValue(v)+"\" which is not a valid positive integer: "+p.String()), false
	}
	return n, Failure{}, true
}

// objects returns $$.Execution and $$.StateMachine, built once per
// execution: they never change while it runs, whereas $$.State and
// $$.Map change with every state and iteration.
func (c *Context) objects() (execObj, smObj value.Value) {
	if c.built {
		return c.execObj, c.smObj
	}
	execKeys := []string{"Id", "Input", "StartTime", "Name", "RoleArn"}
	execVals := []value.Value{
		value.FromString(c.ExecutionID), c.Input, value.FromString(c.StartTime.UTC().Format(timeLayout)),
		value.FromString(c.ExecutionName), value.FromString(c.machine().RoleArn),
	}
	if c.HasRedrive {
		execKeys = append(execKeys, "RedriveCount")
		execVals = append(execVals, value.FromInt(0))
	}
	c.execObj = value.FromObject(execKeys, execVals)
	c.smObj = value.FromObject([]string{"Id", "Name"}, []value.Value{value.FromString(c.machine().ID), value.FromString(c.machine().Name)})
	c.built = true
	return c.execObj, c.smObj
}
