package asl

import (
	"math"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/expressd/expressd/pkg/value"
)

// Decode parses a definition and builds its StateMachine. The text is JSON,
// or YAML when file ends in .yaml or .yml (or has another extension other
// than .json and is YAML but not JSON). Decode reports syntax errors, unknown
// fields, missing required fields and values of the wrong JSON type, and goes
// on as far as it can so that all problems are reported at once. It returns
// nil only when the text cannot be parsed at all.
func Decode(file string, data []byte) (*StateMachine, Diagnostics) {
	root, diags := DecodeNode(file, data)
	if root == nil {
		return nil, diags
	}
	d := &decoder{file: file, diags: diags}
	m := d.machine(root, machineTop)
	return m, d.diags.Sorted()
}

// DecodeNode parses a JSON or YAML document (chosen as in [Decode]) into a
// Node tree without interpreting it as a state machine. Duplicate member
// names are reported and dropped.
func DecodeNode(file string, data []byte) (*Node, Diagnostics) {
	if len(data) > MaxDefinitionBytes {
		return nil, Diagnostics{{File: file, Code: CodeLimit,
			Msg: "definition is " + strconv.Itoa(len(data)) + " bytes, more than the limit of " + strconv.Itoa(MaxDefinitionBytes)}}
	}
	var (
		n     *Node
		diags Diagnostics
	)
	switch ext := strings.ToLower(filepath.Ext(file)); {
	case ext == ".yaml" || ext == ".yml":
		n, diags = parseYAML(file, data)
	default:
		n, diags = parseJSON(file, data)
		if n == nil && ext != ".json" && !looksLikeJSON(data) {
			if y, ydiags := parseYAML(file, data); y != nil && y.Kind == value.Object {
				n, diags = y, ydiags
			}
		}
	}
	return n, diags.Sorted()
}

// looksLikeJSON reports whether the first non-blank byte opens a JSON
// object or array: such text is reported with JSON syntax errors, never
// reinterpreted as YAML (a trailing comma is valid YAML flow syntax).
func looksLikeJSON(data []byte) bool {
	for _, c := range data {
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		case '{', '[':
			return true
		}
		return false
	}
	return false
}

// Load decodes and validates a definition: [Decode] followed by [Validate].
// The StateMachine is nil only when the text cannot be parsed; it is unfit
// for compiling whenever the diagnostics are not empty.
func Load(file string, data []byte) (*StateMachine, Diagnostics) {
	m, diags := Decode(file, data)
	if m == nil {
		return nil, diags
	}
	diags = append(diags, Validate(file, m)...)
	return m, diags.Sorted()
}

type machineKind uint8

const (
	machineTop machineKind = iota
	machineBranch
	machineProcessor
	machineIterator
)

// decoder turns a Node tree into a StateMachine.
type decoder struct {
	file    string
	diags   Diagnostics
	nstates int
}

func (d *decoder) errAt(n *Node, code Code, msg string) {
	var pos Pos
	var ptr string
	if n != nil {
		pos, ptr = n.Pos, n.Pointer
	}
	d.diags = append(d.diags, Diagnostic{File: d.file, Pos: pos, Pointer: ptr, Code: code, Msg: msg})
}

// errKey reports a problem with member key of obj, at the member name.
func (d *decoder) errKey(obj *Node, key string, code Code, msg string) {
	d.diags = append(d.diags, Diagnostic{File: d.file, Pos: obj.memberPos(key), Pointer: obj.child(key), Code: code, Msg: msg})
}

func (d *decoder) unknown(obj *Node, key string) {
	d.errKey(obj, key, CodeSchema, "The field "+strconv.Quote(key)+" is not supported by Step Functions")
}

// required reports the fields of obj missing from names, AWS style.
func (d *decoder) required(obj *Node, names ...string) {
	var missing []string
	for _, k := range names {
		if obj.index(k) < 0 {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		d.errAt(obj, CodeSchema, "These fields are required: ["+strings.Join(missing, ", ")+"]")
	}
}

// typeErr reports that field n has the wrong JSON type.
func (d *decoder) typeErr(n *Node, field, want string) {
	d.errAt(n, CodeSchema, "Field '"+field+"' must be of type "+want+", got "+n.Kind.String())
}

func (d *decoder) str(n *Node, field string) (string, bool) {
	if n.Kind != value.String {
		d.typeErr(n, field, "string")
		return "", false
	}
	return n.Str, true
}

func (d *decoder) object(n *Node, field string) bool {
	if n.Kind != value.Object {
		d.typeErr(n, field, "object")
		return false
	}
	return true
}

func (d *decoder) array(n *Node, field string) bool {
	if n.Kind != value.Array {
		d.typeErr(n, field, "array")
		return false
	}
	return true
}

func (d *decoder) path(n *Node, field string) PathField {
	switch n.Kind {
	case value.Null:
		return PathField{Set: true, Null: true, Node: n}
	case value.String:
		return PathField{Set: true, Text: n.Str, Node: n}
	}
	d.typeErr(n, field, "string")
	return PathField{}
}

func (d *decoder) queryLanguage(n *Node) QueryLanguage {
	s, ok := d.str(n, "QueryLanguage")
	if !ok {
		return ""
	}
	switch ql := QueryLanguage(s); ql {
	case JSONPath, JSONata:
		return ql
	}
	d.errAt(n, CodeSchema, "Field 'QueryLanguage' must be \"JSONPath\" or \"JSONata\"")
	return ""
}

func (d *decoder) machine(n *Node, kind machineKind) *StateMachine {
	m := &StateMachine{Node: n, byName: map[string]*State{}}
	if n.Kind != value.Object {
		if kind == machineTop {
			d.errAt(n, CodeSchema, "Definition must be a valid JSON object")
		} else {
			d.typeErr(n, lastToken(n.Pointer), "object")
		}
		return m
	}
	for i, k := range n.Keys {
		v := n.Items[i]
		switch k {
		case "Comment":
			m.Comment, _ = d.str(v, k)
		case "StartAt":
			m.StartAt, _ = d.str(v, k)
		case "States":
			if d.object(v, k) {
				d.states(m, v)
			}
		case "TimeoutSeconds", "Version", "QueryLanguage":
			if kind != machineTop {
				d.unknown(n, k)
				continue
			}
			switch k {
			case "TimeoutSeconds":
				if v.Kind != value.Number {
					d.typeErr(v, k, "integer")
				} else if v.Float == math.Trunc(v.Float) && math.Abs(v.Float) < 1<<53 {
					t := int64(v.Float)
					m.TimeoutSeconds = &t
				}
			case "Version":
				m.Version, _ = d.str(v, k)
			default:
				m.QueryLanguage = d.queryLanguage(v)
			}
		case "ProcessorConfig":
			if kind != machineProcessor && kind != machineIterator {
				d.unknown(n, k)
				continue
			}
			d.processorConfig(m, v)
		default:
			d.unknown(n, k)
		}
	}
	d.required(n, "States", "StartAt")
	return m
}

func (d *decoder) processorConfig(m *StateMachine, n *Node) {
	m.ProcessorConfig.Node = n
	if !d.object(n, "ProcessorConfig") {
		return
	}
	for i, k := range n.Keys {
		v := n.Items[i]
		switch k {
		case "Mode":
			m.ProcessorConfig.Mode, _ = d.str(v, k)
		case "ExecutionType":
			m.ProcessorConfig.ExecutionType, _ = d.str(v, k)
		default:
			d.unknown(n, k)
		}
	}
}

func (d *decoder) states(m *StateMachine, n *Node) {
	for i, name := range n.Keys {
		d.nstates++
		if d.nstates == MaxStates+1 {
			d.errKey(n, name, CodeLimit, "definition has more than "+strconv.Itoa(MaxStates)+" states")
		}
		if d.nstates > MaxStates {
			return
		}
		st := d.state(name, n.Items[i])
		m.States = append(m.States, st)
		m.byName[name] = st
	}
}

var stateTypes = map[string]StateType{
	"Pass": TypePass, "Task": TypeTask, "Choice": TypeChoice, "Wait": TypeWait,
	"Succeed": TypeSucceed, "Fail": TypeFail, "Parallel": TypeParallel, "Map": TypeMap,
}

// String returns the ASL name of t ("Pass", "Task", …).
func (t StateType) String() string {
	for name, v := range stateTypes {
		if v == t {
			return name
		}
	}
	return "StateType(" + strconv.Itoa(int(t)) + ")"
}

func (d *decoder) state(name string, n *Node) *State {
	st := &State{Name: name, Node: n}
	if !d.object(n, name) {
		return st
	}
	if t := n.Get("Type"); t == nil {
		d.required(n, "Type")
	} else if s, ok := d.str(t, "Type"); ok {
		if st.Type = stateTypes[s]; st.Type == 0 {
			d.errAt(t, CodeSchema, "Invalid state type "+strconv.Quote(s)+": must be one of Pass, Task, Choice, Wait, Succeed, Fail, Parallel, Map")
		}
	}
	for i, k := range n.Keys {
		v := n.Items[i]
		if !stateField(k) {
			d.unknown(n, k)
			continue
		}
		switch k {
		case "Type":
		case "Comment":
			st.Comment, _ = d.str(v, k)
		case "QueryLanguage":
			st.QueryLanguage = d.queryLanguage(v)
		case "Next":
			st.Next, _ = d.str(v, k)
		case "End":
			if v.Kind != value.Bool {
				d.typeErr(v, k, "boolean")
			}
			st.End = v.Bool
		case "Resource":
			st.Resource, _ = d.str(v, k)
		case "Default":
			st.Default, _ = d.str(v, k)
		case "InputPath":
			st.InputPath = d.path(v, k)
		case "OutputPath":
			st.OutputPath = d.path(v, k)
		case "ResultPath":
			st.ResultPath = d.path(v, k)
		case "TimeoutSecondsPath":
			st.TimeoutSecondsPath = d.path(v, k)
		case "HeartbeatSecondsPath":
			st.HeartbeatSecondsPath = d.path(v, k)
		case "SecondsPath":
			st.SecondsPath = d.path(v, k)
		case "TimestampPath":
			st.TimestampPath = d.path(v, k)
		case "ErrorPath":
			st.ErrorPath = d.path(v, k)
		case "CausePath":
			st.CausePath = d.path(v, k)
		case "ItemsPath":
			st.ItemsPath = d.path(v, k)
		case "MaxConcurrencyPath":
			st.MaxConcurrencyPath = d.path(v, k)
		case "ToleratedFailureCountPath":
			st.ToleratedFailureCountPath = d.path(v, k)
		case "ToleratedFailurePercentagePath":
			st.ToleratedFailurePctPath = d.path(v, k)
		case "Parameters":
			if st.Type == TypeMap {
				if n.Get("ItemSelector") != nil {
					d.errKey(n, k, CodeSchema, "Fields 'Parameters' and 'ItemSelector' are mutually exclusive; use ItemSelector")
				} else {
					st.ItemSelector, st.LegacyParameters = v, true
				}
			} else {
				st.Parameters = v
			}
		case "ItemSelector":
			st.ItemSelector = v
		case "ResultSelector":
			st.ResultSelector = v
		case "Result":
			st.Result = v
		case "Assign":
			st.Assign = v
		case "Arguments":
			st.Arguments = v
		case "Output":
			st.Output = v
		case "Credentials":
			st.Credentials = v
		case "TimeoutSeconds":
			st.TimeoutSeconds = v
		case "HeartbeatSeconds":
			st.HeartbeatSeconds = v
		case "Seconds":
			st.Seconds = v
		case "Timestamp":
			st.Timestamp = v
		case "Error":
			st.Error = v
		case "Cause":
			st.Cause = v
		case "Items":
			st.Items = v
		case "MaxConcurrency":
			st.MaxConcurrency = v
		case "ToleratedFailureCount":
			st.ToleratedFailureCount = v
		case "ToleratedFailurePercentage":
			st.ToleratedFailurePercentage = v
		case "Retry":
			if d.array(v, k) {
				for _, it := range v.Items {
					st.Retry = append(st.Retry, d.retrier(it))
				}
			}
		case "Catch":
			if d.array(v, k) {
				for _, it := range v.Items {
					st.Catch = append(st.Catch, d.catcher(it))
				}
			}
		case "Choices":
			if d.array(v, k) {
				for _, it := range v.Items {
					st.Choices = append(st.Choices, d.rule(it))
				}
			}
		case "Branches":
			if d.array(v, k) {
				for _, it := range v.Items {
					st.Branches = append(st.Branches, d.machine(it, machineBranch))
				}
			}
		case "ItemProcessor":
			st.ItemProcessor = d.machine(v, machineProcessor)
		case "Iterator":
			if n.Get("ItemProcessor") != nil {
				d.errKey(n, k, CodeSchema, "Fields 'Iterator' and 'ItemProcessor' are mutually exclusive; use ItemProcessor")
			} else {
				st.ItemProcessor, st.LegacyIterator = d.machine(v, machineIterator), true
			}
		}
		// ItemReader, ItemBatcher, ResultWriter and Label (Distributed
		// Map) stay in the raw node; Validate reports them.
	}
	return st
}

func (d *decoder) errorEquals(n *Node) []string {
	if !d.array(n, "ErrorEquals") {
		return nil
	}
	out := make([]string, 0, len(n.Items))
	for _, it := range n.Items {
		if s, ok := d.str(it, "ErrorEquals"); ok {
			out = append(out, s)
		}
	}
	return out
}

func (d *decoder) number(n *Node, field string) (float64, bool) {
	if n.Kind != value.Number {
		d.typeErr(n, field, "number")
		return 0, false
	}
	return n.Float, true
}

func (d *decoder) retrier(n *Node) *Retrier {
	r := &Retrier{Node: n, IntervalSeconds: 1, MaxAttempts: 3, BackoffRate: 2.0, JitterStrategy: "NONE"}
	if !d.object(n, "Retry") {
		return r
	}
	for i, k := range n.Keys {
		v := n.Items[i]
		switch k {
		case "ErrorEquals":
			r.ErrorEquals = d.errorEquals(v)
		case "IntervalSeconds":
			if f, ok := d.number(v, k); ok {
				r.IntervalSeconds = f
			}
		case "MaxAttempts":
			if f, ok := d.number(v, k); ok && math.Abs(f) < 1<<53 {
				r.MaxAttempts = int64(f)
			}
		case "BackoffRate":
			if f, ok := d.number(v, k); ok {
				r.BackoffRate = f
			}
		case "MaxDelaySeconds":
			if f, ok := d.number(v, k); ok {
				r.MaxDelaySeconds = f
			}
		case "JitterStrategy":
			if s, ok := d.str(v, k); ok {
				r.JitterStrategy = s
			}
		case "Comment":
			d.str(v, k)
		default:
			d.unknown(n, k)
		}
	}
	d.required(n, "ErrorEquals")
	return r
}

func (d *decoder) catcher(n *Node) *Catcher {
	c := &Catcher{Node: n}
	if !d.object(n, "Catch") {
		return c
	}
	for i, k := range n.Keys {
		v := n.Items[i]
		switch k {
		case "ErrorEquals":
			c.ErrorEquals = d.errorEquals(v)
		case "Next":
			c.Next, _ = d.str(v, k)
		case "ResultPath":
			c.ResultPath = d.path(v, k)
		case "Assign":
			c.Assign = v
		case "Output":
			c.Output = v
		case "Comment":
			d.str(v, k)
		default:
			d.unknown(n, k)
		}
	}
	d.required(n, "ErrorEquals", "Next")
	return c
}

// rule decodes a Choice rule at any nesting level; Validate checks which
// fields a top-level or nested rule may have.
func (d *decoder) rule(n *Node) *ChoiceRule {
	r := &ChoiceRule{Node: n}
	if !d.object(n, "Choices") {
		return r
	}
	for i, k := range n.Keys {
		v := n.Items[i]
		switch k {
		case "Next":
			r.Next, _ = d.str(v, k)
		case "Assign":
			r.Assign = v
		case "Output":
			r.Output = v
		case "Condition":
			r.Condition = v
		case "Comment":
			d.str(v, k)
		case "Variable":
			r.Variable, _ = d.str(v, k)
		case "And", "Or":
			if !d.array(v, k) {
				continue
			}
			rules := make([]*ChoiceRule, 0, len(v.Items))
			for _, it := range v.Items {
				rules = append(rules, d.rule(it))
			}
			if k == "And" {
				r.And = rules
			} else {
				r.Or = rules
			}
		case "Not":
			if d.object(v, k) {
				r.Not = d.rule(v)
			}
		default:
			if operators[k] == 0 {
				d.unknown(n, k)
			} else if r.Operator == "" {
				r.Operator, r.Operand = k, v
			}
		}
	}
	return r
}

// lastToken returns the last reference token of a JSON Pointer, unescaped.
func lastToken(ptr string) string {
	i := strings.LastIndexByte(ptr, '/')
	return strings.NewReplacer("~1", "/", "~0", "~").Replace(ptr[i+1:])
}
