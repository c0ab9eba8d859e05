package compile

import (
	"strconv"
	"strings"

	"github.com/expressd/expressd/pkg/asl"
	"github.com/expressd/expressd/pkg/intrinsic"
	"github.com/expressd/expressd/pkg/jsonpath"
	"github.com/expressd/expressd/pkg/value"
	"github.com/expressd/expressd/pkg/vm"
)

// CodeUnknownResource is the diagnostic code of a Task Resource that no
// integration serves.
const CodeUnknownResource asl.Code = "UNKNOWN_RESOURCE"

// TaskResolver resolves a Task Resource to the integration that serves it.
// The returned id is stored in vm.Task.Handler; an error becomes a compile
// error at /States/<name>/Resource.
type TaskResolver interface {
	Resolve(resource string) (id int, err error)
}

// TaskChecker is an optional extension of a TaskResolver: it checks a
// Task's resource and static arguments (the Parameters or Arguments as
// written; undefined when absent) against the integration that serves it,
// e.g. that a Lambda function has a mapping. An error becomes a compile
// error at the arguments (or the Resource).
type TaskChecker interface {
	CheckTask(id int, resource string, args value.Value) error
}

type options struct {
	name     string
	file     string
	resolver TaskResolver
}

// Option configures StateMachine.
type Option func(*options) error

// WithName sets the state machine name recorded in the Program.
func WithName(name string) Option {
	return func(o *options) error { o.name = name; return nil }
}

// WithFile sets the file name used in error positions.
func WithFile(file string) Option {
	return func(o *options) error { o.file = file; return nil }
}

// WithTasks resolves every Task Resource through r at compile time, so an
// unknown resource is a compile error and runtime dispatch is an index.
func WithTasks(r TaskResolver) Option {
	return func(o *options) error { o.resolver = r; return nil }
}

type label int

type patch struct {
	pc    int
	field byte // 'A' or 'B'
	lbl   label
}

type compiler struct {
	opts    options
	prog    *vm.Program
	diags   asl.Diagnostics
	labels  []int // label → pc, -1 until bound
	patches []patch
	paths   map[string]uint32
	slots   map[string]uint32
	consts  map[string]uint32
	late    []func() // patches that need every label bound
	// scopes holds the variables assigned in each enclosing (sub-)machine,
	// outermost first: an inner scope may read outer variables but not
	// assign (shadow) them.
	scopes []map[string]bool
}

// StateMachine compiles a decoded and validated definition into a Program.
// It reports every problem it finds (bad paths and intrinsics, unknown task
// resources, unsupported features) at once, sorted by position.
func StateMachine(sm *asl.StateMachine, opts ...Option) (*vm.Program, asl.Diagnostics) {
	c := &compiler{
		prog:   &vm.Program{},
		paths:  map[string]uint32{},
		slots:  map[string]uint32{},
		consts: map[string]uint32{},
	}
	for _, o := range opts {
		if err := o(&c.opts); err != nil {
			return nil, asl.Diagnostics{{File: c.opts.file, Code: asl.CodeSchema, Msg: err.Error()}}
		}
	}
	c.prog.Name = c.opts.name
	if sm.TimeoutSeconds != nil {
		c.prog.TimeoutSeconds = *sm.TimeoutSeconds
	}
	if sm.QueryLanguage == asl.JSONata {
		c.errorf(sm.Node, asl.CodeUnsupported, "QueryLanguage JSONata is not supported yet: expressd runs JSONPath state machines")
	}
	c.machine(sm)
	for _, p := range c.patches {
		pc := c.labels[p.lbl]
		if pc < 0 {
			c.errorf(sm.Node, asl.CodeInternal, "internal error: a jump to an unbound label (please report this definition)")
			pc = 0
		}
		if p.field == 'A' {
			c.prog.Code[p.pc].A = uint32(pc)
		} else {
			c.prog.Code[p.pc].B = uint32(pc)
		}
	}
	for _, f := range c.late {
		f()
	}
	if len(c.diags) > 0 {
		return nil, c.diags.Sorted()
	}
	// The invariant (fuzzed by FuzzCompileRun and FuzzDefinition): every
	// definition either has diagnostics or compiles to a program that
	// passes Verify. A violation is reported, not a crash of validate, run
	// or serve.
	if err := vm.Verify(c.prog); err != nil {
		return nil, asl.Diagnostics{{File: c.opts.file, Pos: sm.Node.Pos, Pointer: sm.Node.Pointer, Code: asl.CodeInternal,
			Msg: "internal error: the compiled program is invalid (please report this definition): " + err.Error()}}
	}
	return c.prog, nil
}

func (c *compiler) errorf(n *asl.Node, code asl.Code, msg string) {
	d := asl.Diagnostic{File: c.opts.file, Code: code, Msg: msg}
	if n != nil {
		d.Pos = n.Pos
		d.Pointer = n.Pointer
	}
	c.diags = append(c.diags, d)
}

func (c *compiler) newLabel() label {
	c.labels = append(c.labels, -1)
	return label(len(c.labels) - 1)
}

func (c *compiler) bind(l label) { c.labels[l] = len(c.prog.Code) }

func (c *compiler) emit(op vm.Opcode, a, b uint32) int {
	c.prog.Code = append(c.prog.Code, vm.Inst{Op: op, A: a, B: b})
	return len(c.prog.Code) - 1
}

// emitTo emits an instruction whose A (or B) operand is the pc of label l.
func (c *compiler) emitTo(op vm.Opcode, field byte, l label, other uint32) {
	var pc int
	if field == 'A' {
		pc = c.emit(op, 0, other)
	} else {
		pc = c.emit(op, other, 0)
	}
	c.patches = append(c.patches, patch{pc: pc, field: field, lbl: l})
}

// machine compiles a (sub-)machine and returns the label of its start state.
func (c *compiler) machine(sm *asl.StateMachine) label {
	c.scopes = append(c.scopes, map[string]bool{})
	defer func() { c.scopes = c.scopes[:len(c.scopes)-1] }()
	labels := make(map[string]label, len(sm.States))
	for _, st := range sm.States {
		labels[st.Name] = c.newLabel()
	}
	start, ok := labels[sm.StartAt]
	if !ok {
		c.errorf(sm.Node.Get("StartAt"), asl.CodeMissingTarget, "StartAt \""+sm.StartAt+"\" is not a state of this machine")
		start = c.newLabel()
		c.bind(start)
		c.emit(vm.OpSucceed, 0, 0)
	}
	target := func(n *asl.Node, name string) label {
		if l, ok := labels[name]; ok {
			return l
		}
		c.errorf(n, asl.CodeMissingTarget, "Missing 'Next' target: "+name)
		l := c.newLabel()
		c.labels[l] = 0
		return l
	}
	// Sub-machines are compiled after this machine's states so that each
	// machine's code is contiguous.
	var subs []func()
	for _, st := range sm.States {
		c.bind(labels[st.Name])
		subs = append(subs, c.state(sm, st, target)...)
	}
	for _, f := range subs {
		f()
	}
	return start
}

func typeName(t asl.StateType) string {
	switch t {
	case asl.TypePass:
		return "Pass"
	case asl.TypeTask:
		return "Task"
	case asl.TypeChoice:
		return "Choice"
	case asl.TypeWait:
		return "Wait"
	case asl.TypeSucceed:
		return "Succeed"
	case asl.TypeFail:
		return "Fail"
	case asl.TypeParallel:
		return "Parallel"
	case asl.TypeMap:
		return "Map"
	}
	return "Unknown"
}

// state compiles one state. It returns closures that compile the state's
// sub-machines (Parallel branches, Map processor) once the caller's states
// are laid out.
func (c *compiler) state(sm *asl.StateMachine, st *asl.State, target func(*asl.Node, string) label) []func() {
	p := c.prog
	idx := uint32(len(p.States))
	info := vm.StateInfo{Name: st.Name, Type: typeName(st.Type), Entry: uint32(len(p.Code)), Handler: -1}
	if st.Node != nil {
		info.Pointer, info.Line, info.Col = st.Node.Pointer, st.Node.Pos.Line, st.Node.Pos.Col
		p.Pos = append(p.Pos, vm.PosEntry{PC: info.Entry, Pointer: st.Node.Pointer, Line: st.Node.Pos.Line, Col: st.Node.Pos.Col})
	}
	p.States = append(p.States, info)
	if st.QueryLanguage == asl.JSONata || (st.QueryLanguage == "" && sm.QueryLanguage == asl.JSONata) {
		if st.QueryLanguage == asl.JSONata {
			c.errorf(st.Node.Get("QueryLanguage"), asl.CodeUnsupported, "QueryLanguage JSONata is not supported yet: expressd runs JSONPath states")
		}
		c.emit(vm.OpEnter, idx, 0)
		c.emit(vm.OpSucceed, 0, 0)
		return nil
	}
	c.emit(vm.OpEnter, idx, 0)
	bodyStart := uint32(len(p.Code))
	var subs []func()

	// transition emits the end of the state: OpGoto Next, or OpSucceed.
	transition := func() {
		if st.End || st.Type == asl.TypeSucceed {
			c.emit(vm.OpSucceed, 0, 0)
			return
		}
		c.emitTo(vm.OpGoto, 'A', target(st.Node.Get("Next"), st.Next), 0)
	}

	switch st.Type {
	case asl.TypePass:
		c.inputPath(st)
		switch {
		case st.Result != nil:
			c.emit(vm.OpConst, c.constant(st.Result.Value()), uint32(vm.RegRes))
		case st.Parameters != nil:
			c.template(st.Parameters, "Parameters", vm.RegEff, vm.RegRes)
		default:
			c.emit(vm.OpMove, 0, vm.Regs(vm.RegEff, vm.RegRes))
		}
		c.assign(st.Assign, vm.RegRes)
		c.resultPath(st)
		c.outputPath(st)
		c.emit(vm.OpCheckSize, 0, uint32(vm.RegOut))
		transition()
	case asl.TypeTask:
		c.inputPath(st)
		if st.Parameters != nil {
			c.template(st.Parameters, "Parameters", vm.RegEff, vm.RegEff)
			c.emit(vm.OpCheckSize, 0, uint32(vm.RegEff)) // the task input is a payload too
		}
		c.emit(vm.OpTask, c.task(idx, st), 0)
		c.emit(vm.OpCheckSize, 0, uint32(vm.RegRes))
		c.afterResult(st)
		transition()
	case asl.TypeParallel:
		c.inputPath(st)
		if st.Parameters != nil {
			c.template(st.Parameters, "Parameters", vm.RegEff, vm.RegEff)
			c.emit(vm.OpCheckSize, 0, uint32(vm.RegEff))
		}
		pi := uint32(len(p.Parallels))
		p.Parallels = append(p.Parallels, vm.Parallel{State: idx, Branches: make([]uint32, len(st.Branches))})
		c.emit(vm.OpParallel, pi, 0)
		c.afterResult(st)
		transition()
		for i, br := range st.Branches {
			i, br := i, br
			subs = append(subs, func() {
				l := c.machine(br)
				c.prog.Parallels[pi].Branches[i] = uint32(c.labels[l])
			})
		}
	case asl.TypeMap:
		c.inputPath(st)
		mi := uint32(len(p.Maps))
		mp := vm.Map{State: idx, ItemsPath: -1, Selector: -1, MaxConcurrencyPath: -1}
		if st.ItemsPath.Set && !st.ItemsPath.Null && st.ItemsPath.Text != "$" {
			mp.ItemsPath = int32(c.singlePath(st.ItemsPath.Node, st.ItemsPath.Text))
		}
		if st.ItemSelector != nil {
			field := "ItemSelector"
			if st.LegacyParameters {
				field = "Parameters"
			}
			ti := uint32(len(p.Templates))
			p.Templates = append(p.Templates, vm.Template{Root: c.tnode(st.ItemSelector), Field: field})
			mp.Selector = int32(ti)
		}
		if st.MaxConcurrency != nil {
			if n, ok := st.MaxConcurrency.Value().Int(); ok {
				mp.MaxConcurrency = n
			}
		}
		if st.MaxConcurrencyPath.Set && !st.MaxConcurrencyPath.Null {
			mp.MaxConcurrencyPath = int32(c.singlePath(st.MaxConcurrencyPath.Node, st.MaxConcurrencyPath.Text))
		}
		// Failure tolerance is a Distributed Map feature: an inline Map
		// fails on its first failed iteration, as AWS documents it. The
		// paths are still checked like every Reference Path.
		for _, f := range []asl.PathField{st.ToleratedFailureCountPath, st.ToleratedFailurePctPath} {
			if f.Set && !f.Null {
				c.checkSinglePath(f.Node, f.Text)
			}
		}
		p.Maps = append(p.Maps, mp)
		c.emit(vm.OpMap, mi, 0)
		c.afterResult(st)
		transition()
		if st.ItemProcessor != nil {
			proc := st.ItemProcessor
			subs = append(subs, func() {
				l := c.machine(proc)
				c.prog.Maps[mi].Processor = uint32(c.labels[l])
			})
		}
	case asl.TypeChoice:
		c.inputPath(st)
		for _, r := range st.Choices {
			next := c.newLabel()
			c.rule(r, next)
			c.assign(r.Assign, vm.RegEff)
			c.emit(vm.OpMove, 0, vm.Regs(vm.RegEff, vm.RegOut))
			c.outputPath(st)
			c.emitTo(vm.OpGoto, 'A', target(r.Node.Get("Next"), r.Next), 0)
			c.bind(next)
		}
		if st.Default != "" {
			c.assign(st.Assign, vm.RegEff)
			c.emit(vm.OpMove, 0, vm.Regs(vm.RegEff, vm.RegOut))
			c.outputPath(st)
			c.emitTo(vm.OpGoto, 'A', target(st.Node.Get("Default"), st.Default), 0)
		} else {
			c.emit(vm.OpNoChoice, idx, 0)
		}
	case asl.TypeWait:
		c.inputPath(st)
		c.emit(vm.OpWait, c.wait(idx, st), 0)
		c.assign(st.Assign, vm.RegEff)
		c.emit(vm.OpMove, 0, vm.Regs(vm.RegEff, vm.RegOut))
		c.outputPath(st)
		transition()
	case asl.TypeSucceed:
		c.inputPath(st)
		c.emit(vm.OpMove, 0, vm.Regs(vm.RegEff, vm.RegOut))
		c.outputPath(st)
		c.emit(vm.OpCheckSize, 0, uint32(vm.RegOut))
		c.emit(vm.OpSucceed, 0, 0)
	case asl.TypeFail:
		c.emit(vm.OpFail, c.fail(idx, st), 0)
	default:
		// No valid Type (Decode reported it; the diagnostic here has the
		// same pointer, so callers merging both show it once). The code
		// stays a valid program.
		n := st.Node
		if n != nil && n.Get("Type") != nil {
			n = n.Get("Type")
		}
		c.errorf(n, asl.CodeSchema, "State "+strconv.Quote(st.Name)+" has no valid Type: must be one of Pass, Task, Choice, Wait, Succeed, Fail, Parallel, Map")
		c.emit(vm.OpSucceed, 0, 0)
	}

	if len(st.Retry) > 0 || len(st.Catch) > 0 {
		h := vm.Handler{Start: bodyStart, End: uint32(len(p.Code)), State: idx, Retry: bodyStart}
		for _, r := range st.Retry {
			h.Retriers = append(h.Retriers, vm.Retrier{
				ErrorEquals:     r.ErrorEquals,
				IntervalSeconds: r.IntervalSeconds,
				MaxAttempts:     r.MaxAttempts,
				BackoffRate:     r.BackoffRate,
				MaxDelaySeconds: r.MaxDelaySeconds,
				FullJitter:      r.JitterStrategy == "FULL",
			})
		}
		hi := len(p.Handlers)
		for i, ct := range st.Catch {
			vc := vm.Catcher{ErrorEquals: ct.ErrorEquals, ResultPath: vm.ResultPathRoot, Assign: -1}
			switch {
			case !ct.ResultPath.Set || ct.ResultPath.Text == "$":
			case ct.ResultPath.Null:
				vc.ResultPath = vm.ResultPathNull
			default:
				vc.ResultPath = int32(c.refPath(ct.ResultPath.Node, ct.ResultPath.Text))
			}
			if ct.Assign != nil {
				vc.Assign = int32(c.assignIndex(ct.Assign))
			}
			h.Catchers = append(h.Catchers, vc)
			l := target(ct.Node.Get("Next"), ct.Next)
			i := i
			c.patchLater(func() { c.prog.Handlers[hi].Catchers[i].Next = uint32(c.labels[l]) })
		}
		p.Handlers = append(p.Handlers, h)
		p.States[idx].Handler = int32(hi)
	}
	return subs
}

// patchLater runs f once all labels are bound (through a label-free patch).
func (c *compiler) patchLater(f func()) { c.late = append(c.late, f) }

// afterResult emits the result processing shared by Task, Parallel and
// Map: ResultSelector, Assign, ResultPath, OutputPath, size check.
func (c *compiler) afterResult(st *asl.State) {
	if st.ResultSelector != nil {
		c.template(st.ResultSelector, "ResultSelector", vm.RegRes, vm.RegRes)
	}
	c.assign(st.Assign, vm.RegRes)
	c.resultPath(st)
	c.outputPath(st)
	c.emit(vm.OpCheckSize, 0, uint32(vm.RegOut))
}

func (c *compiler) inputPath(st *asl.State) { c.selectPath(st.InputPath, vm.RegIn, vm.RegEff) }

func (c *compiler) outputPath(st *asl.State) { c.selectPath(st.OutputPath, vm.RegOut, vm.RegOut) }

// selectPath compiles InputPath or OutputPath: absent or "$" emits
// nothing (dst already holds src: OpEnter sets eff = in), null gives {}, a
// path selects from src into dst.
func (c *compiler) selectPath(f asl.PathField, src, dst vm.Reg) {
	switch {
	case !f.Set || f.Text == "$":
	case f.Null:
		c.emit(vm.OpEmpty, 0, uint32(dst))
	default:
		c.emit(vm.OpPath, c.path(f.Node, f.Text), vm.Regs(src, dst))
	}
}

func (c *compiler) resultPath(st *asl.State) {
	f := st.ResultPath
	switch {
	case !f.Set || f.Text == "$":
		c.emit(vm.OpMove, 0, vm.Regs(vm.RegRes, vm.RegOut))
	case f.Null:
		c.emit(vm.OpMove, 0, vm.Regs(vm.RegIn, vm.RegOut))
	default:
		c.emit(vm.OpResultPath, c.refPath(f.Node, f.Text), 0)
	}
}

// path compiles an ASL Path (InputPath, OutputPath, ItemsPath, Variable, …).
func (c *compiler) path(n *asl.Node, text string) uint32 {
	if i, ok := c.paths[text]; ok {
		return i
	}
	p, err := jsonpath.Parse(text)
	if err != nil {
		c.errorf(n, asl.CodeSchema, "The value for the field '"+fieldName(n)+"' must be a valid JSONPath: "+err.Error())
		return c.addPath(jsonpathRoot())
	}
	i := c.addPath(p)
	c.paths[text] = i
	return i
}

// singlePath compiles a field that ASL types as a Reference Path but that
// may start at the context object or a variable: ItemsPath, SecondsPath,
// TimestampPath, TimeoutSecondsPath, HeartbeatSecondsPath,
// MaxConcurrencyPath, ToleratedFailure*Path, ErrorPath, CausePath, a Choice
// rule's Variable and the "…Path" comparison operands. Filters, slices,
// wildcards, unions, deep scan, negative indexes and function calls are
// errors (AWS guide, Reference Paths: "the operators @ , : ? are not
// supported"; statelint types these fields referencePath).
func (c *compiler) singlePath(n *asl.Node, text string) uint32 {
	i := c.path(n, text)
	if p := c.prog.Paths[i].Path; p != nil && !p.SingleNode() {
		c.errorf(n, asl.CodeSchema, "The value for the field '"+fieldName(n)+"' must be a valid ReferencePath: only member names and non-negative indexes are allowed (no filters, slices, wildcards, unions, '..' or functions): "+text)
	}
	return i
}

// checkSinglePath reports a path that singlePath would refuse, without
// adding it to the program (for fields the engine does not evaluate).
func (c *compiler) checkSinglePath(n *asl.Node, text string) {
	p, err := jsonpath.Parse(text)
	switch {
	case err != nil:
		c.errorf(n, asl.CodeSchema, "The value for the field '"+fieldName(n)+"' must be a valid JSONPath: "+err.Error())
	case !p.SingleNode():
		c.errorf(n, asl.CodeSchema, "The value for the field '"+fieldName(n)+"' must be a valid ReferencePath: only member names and non-negative indexes are allowed (no filters, slices, wildcards, unions, '..' or functions): "+text)
	}
}

// refPath compiles a Reference Path (ResultPath).
func (c *compiler) refPath(n *asl.Node, text string) uint32 {
	key := "ref:" + text
	if i, ok := c.paths[key]; ok {
		return i
	}
	p, err := jsonpath.ParseReference(text)
	if err != nil {
		c.errorf(n, asl.CodeSchema, "The value for the field '"+fieldName(n)+"' must be a valid ReferencePath: "+err.Error())
		return c.addPath(jsonpathRoot())
	}
	i := c.addPath(p)
	c.paths[key] = i
	return i
}

func jsonpathRoot() *jsonpath.Path {
	p, err := jsonpath.Parse("$")
	if err != nil {
		panic(err)
	}
	return p
}

func (c *compiler) addPath(p *jsonpath.Path) uint32 {
	vp := vm.Path{Path: p, Slot: -1}
	switch p.Root() {
	case jsonpath.RootContext:
		c.prog.UsesContext = true
	case jsonpath.RootVariable:
		vp.Slot = int32(c.slot(p.Var()))
	}
	c.prog.Paths = append(c.prog.Paths, vp)
	return uint32(len(c.prog.Paths) - 1)
}

func (c *compiler) slot(name string) uint32 {
	if s, ok := c.slots[name]; ok {
		return s
	}
	s := uint32(len(c.prog.VarNames))
	c.prog.VarNames = append(c.prog.VarNames, name)
	c.slots[name] = s
	return s
}

func fieldName(n *asl.Node) string {
	if n == nil {
		return ""
	}
	i := strings.LastIndexByte(n.Pointer, '/')
	return strings.ReplaceAll(strings.ReplaceAll(n.Pointer[i+1:], "~1", "/"), "~0", "~")
}

func (c *compiler) constant(v value.Value) uint32 {
	key := v.JSON()
	if i, ok := c.consts[key]; ok {
		return i
	}
	c.prog.Consts = append(c.prog.Consts, v)
	c.prog.ConstSizes = append(c.prog.ConstSizes, value.Size(v))
	i := uint32(len(c.prog.Consts) - 1)
	c.consts[key] = i
	return i
}

// template compiles a payload template and emits its evaluation src → dst.
func (c *compiler) template(n *asl.Node, field string, src, dst vm.Reg) {
	root := c.tnode(n)
	if root.Kind == vm.TConst {
		c.emit(vm.OpConst, c.constant(root.Const), uint32(dst))
		return
	}
	ti := uint32(len(c.prog.Templates))
	c.prog.Templates = append(c.prog.Templates, vm.Template{Root: root, Field: field})
	c.emit(vm.OpTemplate, ti, vm.Regs(src, dst))
}

// tnode compiles a payload template node. Members whose name ends in ".$"
// take a path or intrinsic; everything else is literal. Subtrees without
// dynamic parts fold into constants.
func (c *compiler) tnode(n *asl.Node) vm.TNode {
	switch n.Kind {
	case value.Object:
		t := vm.TNode{Kind: vm.TObject, Keys: make([]string, len(n.Keys)), Items: make([]vm.TNode, len(n.Items))}
		dynamic := false
		for i, k := range n.Keys {
			child := n.Items[i]
			if strings.HasSuffix(k, ".$") && len(k) > 2 {
				t.Keys[i] = k[:len(k)-2]
				t.Items[i] = c.dynamic(child, k)
				dynamic = true
				continue
			}
			t.Keys[i] = k
			t.Items[i] = c.tnode(child)
			dynamic = dynamic || t.Items[i].Kind != vm.TConst
		}
		if !dynamic {
			return vm.TNode{Kind: vm.TConst, Const: n.Value()}
		}
		return t
	case value.Array:
		t := vm.TNode{Kind: vm.TArray, Items: make([]vm.TNode, len(n.Items))}
		dynamic := false
		for i, it := range n.Items {
			t.Items[i] = c.tnode(it)
			dynamic = dynamic || t.Items[i].Kind != vm.TConst
		}
		if !dynamic {
			return vm.TNode{Kind: vm.TConst, Const: n.Value()}
		}
		return t
	}
	return vm.TNode{Kind: vm.TConst, Const: n.Value()}
}

// dynamic compiles the value of a "k.$" member: a path or an intrinsic call.
func (c *compiler) dynamic(n *asl.Node, key string) vm.TNode {
	bad := func(detail string) vm.TNode {
		msg := "The value for the field '" + key + "' must be a valid JSONPath or a valid intrinsic function call"
		if detail != "" {
			msg += " (" + detail + ")"
		}
		c.errorf(n, asl.CodeSchema, msg)
		return vm.TNode{Kind: vm.TConst}
	}
	if n.Kind != value.String {
		return bad("")
	}
	s := n.Str
	if intrinsic.IsCall(s) {
		call, err := intrinsic.Parse(s)
		if err != nil {
			return bad(err.Error())
		}
		in := vm.Intrinsic{Call: call}
		for _, ps := range call.Paths() {
			p, err := jsonpath.Parse(ps)
			if err != nil {
				return bad(err.Error())
			}
			in.PathIdx = append(in.PathIdx, c.addPath(p))
		}
		c.prog.Intrinsics = append(c.prog.Intrinsics, in)
		return vm.TNode{Kind: vm.TIntrinsic, Index: uint32(len(c.prog.Intrinsics) - 1), Field: key}
	}
	if !strings.HasPrefix(s, "$") {
		return bad("")
	}
	p, err := jsonpath.Parse(s)
	if err != nil {
		return bad(err.Error())
	}
	return vm.TNode{Kind: vm.TPath, Index: c.addPath(p), Field: key}
}

// failPath compiles ErrorPath or CausePath: a Reference Path (over the
// input, the context object or a variable) or an intrinsic function call.
func (c *compiler) failPath(n *asl.Node, key string) vm.TNode {
	t := c.dynamic(n, key)
	if t.Kind == vm.TPath {
		if p := c.prog.Paths[t.Index].Path; !p.SingleNode() {
			c.errorf(n, asl.CodeSchema, "The value for the field '"+key+"' must be a valid ReferencePath or a valid intrinsic function call: only member names and non-negative indexes are allowed in the path: "+n.Str)
		}
	}
	return t
}

// assign compiles an Assign block evaluated with $ = src.
func (c *compiler) assign(n *asl.Node, src vm.Reg) {
	if n == nil {
		return
	}
	c.emit(vm.OpAssign, c.assignIndex(n), uint32(src))
}

func (c *compiler) assignIndex(n *asl.Node) uint32 {
	a := vm.Assign{Tmpl: c.tnode(n)}
	names := n.Keys
	if a.Tmpl.Kind == vm.TConst {
		// All literal: rebuild as an object node so Slots line up with Index(i).
		a.Tmpl = vm.TNode{Kind: vm.TConst, Const: n.Value()}
	}
	for i, k := range names {
		k = strings.TrimSuffix(k, ".$")
		a.Slots = append(a.Slots, c.slot(k))
		inner := len(c.scopes) - 1
		for _, outer := range c.scopes[:inner] {
			if outer[k] {
				c.errorf(n.Items[i], asl.CodeSchema, "The variable '"+k+"' is assigned in an outer scope: a Parallel branch or Map iteration may read it but not assign it")
				break
			}
		}
		c.scopes[inner][k] = true
	}
	c.prog.Assigns = append(c.prog.Assigns, a)
	return uint32(len(c.prog.Assigns) - 1)
}

func (c *compiler) task(state uint32, st *asl.State) uint32 {
	t := vm.Task{State: state, Resource: st.Resource, Handler: -1, TimeoutPath: -1, HeartbeatPath: -1}
	t.LegacyLambda = strings.HasPrefix(st.Resource, "arn:aws:lambda:")
	if st.TimeoutSeconds != nil {
		if n, ok := st.TimeoutSeconds.Value().Int(); ok {
			t.TimeoutSeconds = n
		}
	}
	if st.TimeoutSecondsPath.Set && !st.TimeoutSecondsPath.Null {
		t.TimeoutPath = int32(c.singlePath(st.TimeoutSecondsPath.Node, st.TimeoutSecondsPath.Text))
	}
	if st.HeartbeatSeconds != nil {
		if n, ok := st.HeartbeatSeconds.Value().Int(); ok {
			t.HeartbeatSeconds = n
		}
	}
	if st.HeartbeatSecondsPath.Set && !st.HeartbeatSecondsPath.Null {
		t.HeartbeatPath = int32(c.singlePath(st.HeartbeatSecondsPath.Node, st.HeartbeatSecondsPath.Text))
	}
	if c.opts.resolver != nil {
		id, err := c.opts.resolver.Resolve(st.Resource)
		if err != nil {
			c.errorf(st.Node.Get("Resource"), CodeUnknownResource, "state "+strconv.Quote(st.Name)+": resource "+strconv.Quote(st.Resource)+": "+err.Error())
		} else if ch, ok := c.opts.resolver.(TaskChecker); ok {
			args, at := value.Value{}, st.Node.Get("Resource")
			switch {
			case st.Parameters != nil:
				args, at = st.Parameters.Value(), st.Parameters
			case st.Arguments != nil:
				args, at = st.Arguments.Value(), st.Arguments
			}
			if err := ch.CheckTask(id, st.Resource, args); err != nil {
				c.errorf(at, CodeUnknownResource, "state "+strconv.Quote(st.Name)+": "+err.Error())
			}
		}
		t.Handler = int32(id)
	}
	c.prog.Tasks = append(c.prog.Tasks, t)
	return uint32(len(c.prog.Tasks) - 1)
}

func (c *compiler) wait(state uint32, st *asl.State) uint32 {
	w := vm.Wait{State: state}
	switch {
	case st.Seconds != nil:
		w.Kind = vm.WaitSeconds
		n, _ := st.Seconds.Value().Int()
		w.Seconds = n
	case st.SecondsPath.Set:
		w.Kind = vm.WaitSecondsPath
		w.Path = c.singlePath(st.SecondsPath.Node, st.SecondsPath.Text)
	case st.Timestamp != nil:
		w.Kind = vm.WaitTimestamp
		t, ok := asl.ParseTimestamp(st.Timestamp.Str)
		if !ok {
			c.errorf(st.Timestamp, asl.CodeSchema, "String does not match RFC3339 timestamp")
		}
		w.Time = t
	case st.TimestampPath.Set:
		w.Kind = vm.WaitTimestampPath
		w.Path = c.singlePath(st.TimestampPath.Node, st.TimestampPath.Text)
	}
	c.prog.Waits = append(c.prog.Waits, w)
	return uint32(len(c.prog.Waits) - 1)
}

func (c *compiler) fail(state uint32, st *asl.State) uint32 {
	f := vm.FailSpec{State: state}
	if st.Error != nil {
		f.Error, f.HasError = st.Error.Str, true
	}
	if st.Cause != nil {
		f.Cause, f.HasCause = st.Cause.Str, true
	}
	if st.ErrorPath.Set && !st.ErrorPath.Null {
		n := c.failPath(st.ErrorPath.Node, "ErrorPath")
		f.ErrorNode = &n
	}
	if st.CausePath.Set && !st.CausePath.Null {
		n := c.failPath(st.CausePath.Node, "CausePath")
		f.CauseNode = &n
	}
	c.prog.Fails = append(c.prog.Fails, f)
	return uint32(len(c.prog.Fails) - 1)
}
