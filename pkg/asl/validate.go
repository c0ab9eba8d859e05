package asl

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/expressd/expressd/pkg/states"
	"github.com/expressd/expressd/pkg/value"
)

// Validate checks the structure and semantics of a decoded definition and
// reports every problem found: transitions and reachability, terminal
// states, unique state names, the fields each state type and query language
// allows, value ranges, Retry/Catch rules, Choice rules, payload template
// keys and the Express restrictions on Task resources. It does not parse
// paths, intrinsic functions or JSONata expressions; the compiler does.
func Validate(file string, m *StateMachine) Diagnostics {
	if m == nil {
		return nil
	}
	v := &validator{file: file, topQL: m.QueryLanguage, names: map[string]string{}}
	if v.topQL == "" {
		v.topQL = JSONPath
	}
	n := m.Node
	if ver := n.Get("Version"); ver != nil && ver.Kind == value.String && ver.Str != "1.0" {
		v.errAt(ver, CodeSchema, "Field 'Version' must be \"1.0\"")
	}
	if t := n.Get("TimeoutSeconds"); t != nil && t.Kind == value.Number {
		v.intRange(t, "TimeoutSeconds", 0, maxTimeoutSeconds)
	}
	v.machine(m)
	return v.diags.Sorted()
}

type validator struct {
	file  string
	diags Diagnostics
	topQL QueryLanguage
	names map[string]string // state name → pointer of its first definition
}

func (v *validator) errAt(n *Node, code Code, msg string) {
	var pos Pos
	var ptr string
	if n != nil {
		pos, ptr = n.Pos, n.Pointer
	}
	v.diags = append(v.diags, Diagnostic{File: v.file, Pos: pos, Pointer: ptr, Code: code, Msg: msg})
}

func (v *validator) errKey(obj *Node, key string, code Code, msg string) {
	v.diags = append(v.diags, Diagnostic{File: v.file, Pos: obj.memberPos(key), Pointer: obj.child(key), Code: code, Msg: msg})
}

func (v *validator) missingTarget(n *Node, field, target string) {
	v.errAt(n, CodeMissingTarget, "Missing '"+field+"' target: "+target)
}

// machine validates a top-level machine, a Parallel branch or a Map item
// processor.
func (v *validator) machine(m *StateMachine) {
	if m == nil || m.Node == nil || m.Node.Kind != value.Object {
		return
	}
	statesNode := m.Node.Get("States")
	if sa := m.Node.Get("StartAt"); sa != nil && sa.Kind == value.String && m.State(m.StartAt) == nil {
		v.missingTarget(sa, "StartAt", m.StartAt)
	}
	terminal := false
	for _, st := range m.States {
		v.name(st, statesNode)
		v.state(st, m)
		if st.End || st.Type == TypeSucceed || st.Type == TypeFail || st.Type == 0 || st.Node.Kind != value.Object {
			terminal = true
		}
	}
	if statesNode == nil || statesNode.Kind != value.Object {
		return
	}
	if !terminal {
		v.errAt(statesNode, CodeMissingEnd, "Workflow has no terminal state")
		return
	}
	start := m.State(m.StartAt)
	if start == nil {
		return
	}
	// Reachability: every state must be reached from StartAt through Next,
	// Default, Choices[*].Next or Catch[*].Next.
	seen := map[*State]bool{start: true}
	work := []*State{start}
	visit := func(name string) {
		if t := m.State(name); t != nil && !seen[t] {
			seen[t] = true
			work = append(work, t)
		}
	}
	for len(work) > 0 {
		st := work[len(work)-1]
		work = work[:len(work)-1]
		visit(st.Next)
		visit(st.Default)
		for _, r := range st.Choices {
			visit(r.Next)
		}
		for _, c := range st.Catch {
			visit(c.Next)
		}
	}
	for _, st := range m.States {
		if !seen[st] {
			v.diags = append(v.diags, Diagnostic{File: v.file, Pos: statesNode.memberPos(st.Name), Pointer: st.Node.Pointer,
				Code: CodeMissingTarget, Msg: "State " + strconv.Quote(st.Name) + " is not reachable."})
		}
	}
}

// name checks the length of a state name and that it is unique across the
// whole definition.
func (v *validator) name(st *State, statesNode *Node) {
	pos := statesNode.memberPos(st.Name)
	report := func(code Code, msg string) {
		v.diags = append(v.diags, Diagnostic{File: v.file, Pos: pos, Pointer: st.Node.Pointer, Code: code, Msg: msg})
	}
	if n := utf8.RuneCountInString(st.Name); n == 0 {
		report(CodeSchema, "State name must not be empty")
	} else if n > MaxStateNameLength {
		report(CodeSchema, "State name "+strconv.Quote(st.Name)+" is longer than "+strconv.Itoa(MaxStateNameLength)+" characters")
	}
	if first, dup := v.names[st.Name]; dup {
		report(CodeDuplicateState, "Duplicate state name "+strconv.Quote(st.Name)+": already defined at "+first)
	} else {
		v.names[st.Name] = st.Node.Pointer
	}
}

func (v *validator) state(st *State, m *StateMachine) {
	n := st.Node
	if n == nil || n.Kind != value.Object {
		return
	}
	ql := st.QueryLanguage
	if ql == "" {
		ql = v.topQL
	}
	if st.QueryLanguage == JSONPath && v.topQL == JSONata {
		v.errAt(n.Get("QueryLanguage"), CodeSchema, "'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine")
	}
	if st.Type == 0 {
		return // Decode reported the missing or unknown Type
	}
	lang := inPath
	if ql == JSONata {
		lang = inJSONat
	}
	for _, k := range n.Keys {
		spec, ok := stateFields[k]
		switch {
		case !ok: // reported by Decode
		case !spec.types.has(st.Type):
			v.errKey(n, k, CodeSchema, "Field '"+k+"' is not supported")
		case spec.langs&lang == 0:
			v.errKey(n, k, CodeSchema, "Field '"+k+"' is not supported when QueryLanguage is "+string(ql))
		}
	}

	if flowTypes.has(st.Type) {
		hasNext := n.Get("Next") != nil
		switch {
		case hasNext && st.End:
			v.errKey(n, "End", CodeSchema, "Fields 'Next' and 'End' are mutually exclusive")
		case !hasNext && n.Get("End") == nil:
			v.errAt(n, CodeSchema, "One of these fields is required: [Next, End]")
		case !hasNext && !st.End && n.Get("End").Kind == value.Bool:
			v.errKey(n, "End", CodeSchema, "Field 'End' must be true when there is no 'Next'")
		}
	}
	if nx := n.Get("Next"); nx != nil && nx.Kind == value.String && flowTypes.has(st.Type) && m.State(st.Next) == nil {
		v.missingTarget(nx, "Next", st.Next)
	}

	// Payload templates and variables.
	if ql == JSONPath {
		for _, f := range []string{"Parameters", "ResultSelector", "ItemSelector", "Credentials"} {
			if t := n.Get(f); t != nil && stateFields[f].types.has(st.Type) {
				if t.Kind != value.Object {
					v.typeErr(t, f, "object")
				} else {
					v.template(t)
				}
			}
		}
	} else {
		if a := st.Arguments; a != nil && a.Kind != value.Object && !a.isExpr() {
			v.errAt(a, CodeSchema, "Field 'Arguments' must be an object or a JSONata expression")
		}
		for _, f := range []string{"ItemSelector", "Credentials"} {
			if t := n.Get(f); t != nil && t.Kind != value.Object && !t.isExpr() && stateFields[f].types.has(st.Type) {
				v.errAt(t, CodeSchema, "Field '"+f+"' must be an object or a JSONata expression")
			}
		}
	}
	if st.Assign != nil && assignTypes.has(st.Type) {
		v.assign(st.Assign, ql)
	}

	if handlerTypes.has(st.Type) {
		v.retry(st)
		v.catch(st, m, ql)
	}

	switch st.Type {
	case TypeTask:
		v.task(st, ql)
	case TypeChoice:
		v.choice(st, m, ql)
	case TypeWait:
		v.wait(st, ql)
	case TypeFail:
		v.fail(st)
	case TypeParallel:
		v.parallel(st)
	case TypeMap:
		v.mapState(st, ql)
	}
}

func (v *validator) typeErr(n *Node, field, want string) {
	v.errAt(n, CodeSchema, "Field '"+field+"' must be of type "+want+", got "+n.Kind.String())
}

// atMostOne reports every field of fields after the first one present.
func (v *validator) atMostOne(n *Node, fields ...string) int {
	count := 0
	for _, f := range fields {
		if n.Get(f) == nil {
			continue
		}
		if count++; count > 1 {
			v.errKey(n, f, CodeSchema, "Only one of these fields may be set: ["+strings.Join(fields, ", ")+"]")
		}
	}
	return count
}

// intRange checks that n is an integer in [lo, hi].
func (v *validator) intRange(n *Node, field string, lo, hi float64) bool {
	if n.Kind != value.Number {
		v.typeErr(n, field, "integer")
		return false
	}
	if n.Float != math.Trunc(n.Float) || n.Float < lo || n.Float > hi {
		if hi >= 1<<53 { // no upper bound worth naming
			v.errAt(n, CodeSchema, "Field '"+field+"' must be an integer greater than or equal to "+strconv.FormatFloat(lo, 'f', -1, 64))
			return false
		}
		v.errAt(n, CodeSchema, "Field '"+field+"' must be an integer between "+strconv.FormatFloat(lo, 'f', -1, 64)+
			" and "+strconv.FormatFloat(hi, 'f', -1, 64))
		return false
	}
	return true
}

// intOrExpr checks a field that is an integer in [lo, hi], or in JSONata
// states also a JSONata expression. It reports whether n is a literal.
func (v *validator) intOrExpr(n *Node, field string, lo, hi float64, ql QueryLanguage) bool {
	if n == nil {
		return false
	}
	if ql == JSONata && n.isExpr() {
		return false
	}
	return v.intRange(n, field, lo, hi)
}

func (v *validator) pathString(p PathField, field string) {
	if p.Set && p.Null {
		v.typeErr(p.Node, field, "string")
	}
}

// template checks a JSONPath payload template: a "k.$" key needs a string
// value (a path or an intrinsic call, parsed by the compiler), and no two
// keys may be equal once ".$" is removed. Nested objects and arrays are
// templates too.
func (v *validator) template(n *Node) {
	switch n.Kind {
	case value.Array:
		for _, it := range n.Items {
			v.template(it)
		}
	case value.Object:
		var seen map[string]string
		if len(n.Keys) > 1 {
			seen = make(map[string]string, len(n.Keys))
		}
		for i, k := range n.Keys {
			it := n.Items[i]
			base, dyn := strings.CutSuffix(k, ".$")
			if seen != nil {
				if other, dup := seen[base]; dup {
					v.errKey(n, k, CodeSchema, "Fields '"+other+"' and '"+k+"' produce the same field '"+base+"'")
				} else {
					seen[base] = k
				}
			}
			if dyn {
				if it.Kind != value.String {
					v.errAt(it, CodeSchema, "The value for the field '"+k+"' must be a valid JSONPath or a valid intrinsic function call")
				}
				continue
			}
			v.template(it)
		}
	}
}

// assign checks an Assign object: its keys are variable names.
func (v *validator) assign(n *Node, ql QueryLanguage) {
	if n.Kind != value.Object {
		v.typeErr(n, "Assign", "object")
		return
	}
	for _, k := range n.Keys {
		name := k
		if ql == JSONPath {
			name = strings.TrimSuffix(k, ".$")
		}
		switch {
		case name == "":
			v.errKey(n, k, CodeSchema, "Variable name must not be empty")
		case utf8.RuneCountInString(name) > MaxStateNameLength:
			v.errKey(n, k, CodeSchema, "Variable name "+strconv.Quote(name)+" is longer than "+strconv.Itoa(MaxStateNameLength)+" characters")
		case strings.ContainsAny(name, ".[]"):
			v.errKey(n, k, CodeSchema, "Invalid variable name "+strconv.Quote(name)+": a variable name is not a path")
		}
	}
	if ql == JSONPath {
		v.template(n)
	}
}

// errorEquals checks one ErrorEquals array; last says whether its retrier or
// catcher is the last one.
func (v *validator) errorEquals(owner *Node, last bool, what string) {
	ee := owner.Get("ErrorEquals")
	if ee == nil || ee.Kind != value.Array {
		return
	}
	if len(ee.Items) == 0 {
		v.errAt(ee, CodeSchema, "Field 'ErrorEquals' must be a non-empty array")
		return
	}
	for i, it := range ee.Items {
		if it.Kind != value.String || it.Str != string(states.ALL) {
			continue
		}
		if len(ee.Items) > 1 {
			v.errAt(ee.Items[i], CodeSchema, "States.ALL must be the only element of ErrorEquals")
		}
		if !last {
			v.errAt(ee.Items[i], CodeSchema, "A "+what+" with States.ALL must be the last one")
		}
	}
}

func (v *validator) retry(st *State) {
	for i, r := range st.Retry {
		n := r.Node
		if n == nil || n.Kind != value.Object {
			continue
		}
		v.errorEquals(n, i == len(st.Retry)-1, "retrier")
		if f := n.Get("IntervalSeconds"); f != nil && f.Kind == value.Number {
			v.intRange(f, "IntervalSeconds", 1, maxTimeoutSeconds)
		}
		if f := n.Get("MaxAttempts"); f != nil && f.Kind == value.Number {
			v.intRange(f, "MaxAttempts", 0, maxTimeoutSeconds)
		}
		if f := n.Get("BackoffRate"); f != nil && f.Kind == value.Number && !(f.Float >= 1 && f.Float <= maxTimeoutSeconds) {
			v.errAt(f, CodeSchema, "Field 'BackoffRate' must be a number greater than or equal to 1.0")
		}
		if f := n.Get("MaxDelaySeconds"); f != nil && f.Kind == value.Number {
			v.intRange(f, "MaxDelaySeconds", 1, maxDelaySeconds)
		}
		if f := n.Get("JitterStrategy"); f != nil && f.Kind == value.String && f.Str != "FULL" && f.Str != "NONE" {
			v.errAt(f, CodeSchema, "Field 'JitterStrategy' must be \"FULL\" or \"NONE\"")
		}
	}
}

func (v *validator) catch(st *State, m *StateMachine, ql QueryLanguage) {
	for i, c := range st.Catch {
		n := c.Node
		if n == nil || n.Kind != value.Object {
			continue
		}
		v.errorEquals(n, i == len(st.Catch)-1, "catcher")
		if nx := n.Get("Next"); nx != nil && nx.Kind == value.String && m.State(c.Next) == nil {
			v.missingTarget(nx, "Next", c.Next)
		}
		if ql == JSONata && n.Get("ResultPath") != nil {
			v.errKey(n, "ResultPath", CodeSchema, "Field 'ResultPath' is not supported when QueryLanguage is JSONata")
		}
		if ql == JSONPath && n.Get("Output") != nil {
			v.errKey(n, "Output", CodeSchema, "Field 'Output' is not supported when QueryLanguage is JSONPath")
		}
		if c.Assign != nil {
			v.assign(c.Assign, ql)
		}
	}
}

var activityARN = regexp.MustCompile(`^arn:[^:]+:states:[^:]*:[^:]*:activity:`)

func (v *validator) task(st *State, ql QueryLanguage) {
	n := st.Node
	if res := n.Get("Resource"); res == nil {
		v.errAt(n, CodeSchema, "These fields are required: [Resource]")
	} else if res.Kind == value.String {
		switch r := res.Str; {
		case strings.HasSuffix(r, ".sync") || strings.HasSuffix(r, ".sync:2"):
			v.errAt(res, CodeSchema, "Express state machine does not support '.sync' service integration")
		case strings.HasSuffix(r, ".waitForTaskToken"):
			v.errAt(res, CodeSchema, "Express state machine does not support '.waitForTaskToken' service integration")
		case activityARN.MatchString(r):
			v.errAt(res, CodeSchema, "Express state machine does not support Activity ARN")
		}
	}
	v.atMostOne(n, "TimeoutSeconds", "TimeoutSecondsPath")
	v.atMostOne(n, "HeartbeatSeconds", "HeartbeatSecondsPath")
	timeout := v.intOrExpr(st.TimeoutSeconds, "TimeoutSeconds", 1, maxTimeoutSeconds, ql)
	heartbeat := v.intOrExpr(st.HeartbeatSeconds, "HeartbeatSeconds", 1, maxTimeoutSeconds, ql)
	if timeout && heartbeat && st.HeartbeatSeconds.Float >= st.TimeoutSeconds.Float {
		v.errAt(st.HeartbeatSeconds, CodeSchema, "Field 'HeartbeatSeconds' must be smaller than 'TimeoutSeconds'")
	}
	v.pathString(st.TimeoutSecondsPath, "TimeoutSecondsPath")
	v.pathString(st.HeartbeatSecondsPath, "HeartbeatSecondsPath")
}

func (v *validator) wait(st *State, ql QueryLanguage) {
	n := st.Node
	if v.atMostOne(n, "Seconds", "SecondsPath", "Timestamp", "TimestampPath") == 0 {
		v.errAt(n, CodeSchema, "One of these fields is required: [Seconds, SecondsPath, Timestamp, TimestampPath]")
	}
	v.intOrExpr(st.Seconds, "Seconds", 0, maxTimeoutSeconds, ql)
	if t := st.Timestamp; t != nil && !(ql == JSONata && t.isExpr()) {
		if t.Kind != value.String {
			v.typeErr(t, "Timestamp", "string")
		} else if !IsTimestamp(t.Str) {
			v.errAt(t, CodeSchema, "String does not match RFC3339 timestamp")
		}
	}
	v.pathString(st.SecondsPath, "SecondsPath")
	v.pathString(st.TimestampPath, "TimestampPath")
}

func (v *validator) fail(st *State) {
	n := st.Node
	v.atMostOne(n, "Error", "ErrorPath")
	v.atMostOne(n, "Cause", "CausePath")
	for _, f := range []string{"Error", "Cause"} {
		if x := n.Get(f); x != nil && x.Kind != value.String {
			v.typeErr(x, f, "string")
		}
	}
	v.pathString(st.ErrorPath, "ErrorPath")
	v.pathString(st.CausePath, "CausePath")
}

func (v *validator) parallel(st *State) {
	n := st.Node
	b := n.Get("Branches")
	switch {
	case b == nil:
		v.errAt(n, CodeSchema, "These fields are required: [Branches]")
	case b.Kind == value.Array && len(b.Items) == 0:
		v.errAt(b, CodeSchema, "Field 'Branches' must be a non-empty array")
	}
	for _, br := range st.Branches {
		v.machine(br)
	}
}

func (v *validator) mapState(st *State, ql QueryLanguage) {
	n := st.Node
	if st.ItemProcessor == nil && n.Get("ItemProcessor") == nil && n.Get("Iterator") == nil {
		v.errAt(n, CodeSchema, "These fields are required: [ItemProcessor]")
	}
	for _, f := range distributedFields {
		if n.Get(f) != nil {
			v.errKey(n, f, CodeUnsupported, "Field '"+f+"' belongs to a Distributed Map: expressd runs inline Map only (an Express engine has no S3 access and no child executions)")
		}
	}
	if p := st.ItemProcessor; p != nil {
		pc := p.ProcessorConfig
		if mode := pc.Node.Get("Mode"); mode != nil && mode.Kind == value.String {
			switch pc.Mode {
			case "INLINE":
			case "DISTRIBUTED":
				v.errAt(mode, CodeUnsupported, "Distributed Map is not supported: expressd runs inline Map only (an Express engine has no S3 access and no child executions)")
			default:
				v.errAt(mode, CodeSchema, "Field 'Mode' must be \"INLINE\" or \"DISTRIBUTED\"")
			}
		}
		if et := pc.Node.Get("ExecutionType"); et != nil && et.Kind == value.String && pc.Mode != "DISTRIBUTED" {
			v.errKey(pc.Node, "ExecutionType", CodeSchema, "Field 'ExecutionType' is only supported with Mode DISTRIBUTED")
		}
		v.machine(p)
	}
	// Each value and its Path form exclude each other (spec: "MUST NOT
	// include both"). MaxConcurrency has no upper bound (AWS schema).
	v.atMostOne(n, "MaxConcurrency", "MaxConcurrencyPath")
	v.atMostOne(n, "ToleratedFailureCount", "ToleratedFailureCountPath")
	v.atMostOne(n, "ToleratedFailurePercentage", "ToleratedFailurePercentagePath")
	v.intOrExpr(st.MaxConcurrency, "MaxConcurrency", 0, math.MaxInt64, ql)
	v.intOrExpr(st.ToleratedFailureCount, "ToleratedFailureCount", 0, math.MaxInt64, ql)
	if f := st.ToleratedFailurePercentage; f != nil && !(ql == JSONata && f.isExpr()) {
		switch {
		case f.Kind != value.Number:
			v.typeErr(f, "ToleratedFailurePercentage", "number")
		case f.Float < 0 || f.Float > 100:
			v.errAt(f, CodeSchema, "Field 'ToleratedFailurePercentage' must be a number between 0 and 100")
		}
	}
	v.pathString(st.MaxConcurrencyPath, "MaxConcurrencyPath")
	v.pathString(st.ToleratedFailureCountPath, "ToleratedFailureCountPath")
	v.pathString(st.ToleratedFailurePctPath, "ToleratedFailurePercentagePath")
	v.pathString(st.ItemsPath, "ItemsPath")
	if it := st.Items; it != nil && it.Kind != value.Array && !it.isExpr() {
		v.errAt(it, CodeSchema, "Field 'Items' must be an array or a JSONata expression")
	}
}

func (v *validator) choice(st *State, m *StateMachine, ql QueryLanguage) {
	n := st.Node
	c := n.Get("Choices")
	switch {
	case c == nil:
		v.errAt(n, CodeSchema, "These fields are required: [Choices]")
	case c.Kind == value.Array && len(c.Items) == 0:
		v.errAt(c, CodeSchema, "Field 'Choices' must be a non-empty array")
	}
	if d := n.Get("Default"); d != nil && d.Kind == value.String && m.State(st.Default) == nil {
		v.missingTarget(d, "Next", st.Default)
	}
	for _, r := range st.Choices {
		v.rule(r, m, ql, true)
	}
}

// rule checks a Choice rule. Top-level rules need Next (and may carry
// Assign and, in JSONata, Output); nested rules of And, Or and Not may not.
func (v *validator) rule(r *ChoiceRule, m *StateMachine, ql QueryLanguage, top bool) {
	n := r.Node
	if n == nil || n.Kind != value.Object {
		return
	}
	if top {
		if nx := n.Get("Next"); nx == nil {
			v.errAt(n, CodeSchema, "These fields are required: [Next]")
		} else if nx.Kind == value.String && m.State(r.Next) == nil {
			v.missingTarget(nx, "Next", r.Next)
		}
		if r.Assign != nil {
			v.assign(r.Assign, ql)
		}
	} else {
		for _, f := range []string{"Next", "Assign", "Output"} {
			if n.Get(f) != nil {
				v.errKey(n, f, CodeSchema, "Field '"+f+"' is only supported on top-level Choice rules")
			}
		}
	}
	if ql == JSONata {
		for _, k := range n.Keys {
			if k == "Variable" || k == "And" || k == "Or" || k == "Not" || operators[k] != 0 {
				v.errKey(n, k, CodeSchema, "Field '"+k+"' is not supported when QueryLanguage is JSONata")
			}
		}
		switch c := r.Condition; {
		case c == nil:
			v.errAt(n, CodeSchema, "These fields are required: [Condition]")
		case c.Kind != value.Bool && !c.isExpr():
			v.errAt(c, CodeSchema, "Field 'Condition' must be a boolean or a JSONata expression")
		}
		return
	}
	for _, f := range []string{"Condition", "Output"} {
		if n.Get(f) != nil {
			v.errKey(n, f, CodeSchema, "Field '"+f+"' is not supported when QueryLanguage is JSONPath")
		}
	}
	// Exactly one of: a comparison operator, And, Or, Not.
	kinds := 0
	for _, k := range n.Keys {
		if k == "And" || k == "Or" || k == "Not" || operators[k] != 0 {
			if kinds++; kinds > 1 {
				v.errKey(n, k, CodeSchema, "A Choice rule must have exactly one comparison operator or one of And, Or, Not")
			}
		}
	}
	if kinds == 0 {
		v.errAt(n, CodeSchema, "A Choice rule must have exactly one comparison operator or one of And, Or, Not")
	}
	if r.Operator != "" {
		if n.Get("Variable") == nil {
			v.errAt(n, CodeSchema, "These fields are required: [Variable]")
		}
		v.operand(r.Operator, r.Operand)
	} else if n.Get("Variable") != nil && kinds > 0 {
		v.errKey(n, "Variable", CodeSchema, "Field 'Variable' is not supported with And, Or or Not")
	}
	for _, f := range []string{"And", "Or"} {
		if a := n.Get(f); a != nil && a.Kind == value.Array && len(a.Items) == 0 {
			v.errAt(a, CodeSchema, "Field '"+f+"' must be a non-empty array")
		}
	}
	for _, sub := range r.And {
		v.rule(sub, m, ql, false)
	}
	for _, sub := range r.Or {
		v.rule(sub, m, ql, false)
	}
	if r.Not != nil {
		v.rule(r.Not, m, ql, false)
	}
}

func (v *validator) operand(op string, n *Node) {
	switch operators[op] {
	case opNumber:
		if n.Kind != value.Number {
			v.typeErr(n, op, "number")
		}
	case opString, opPath:
		if n.Kind != value.String {
			v.typeErr(n, op, "string")
		} else if op == "StringMatches" {
			if msg := openEscape(n.Str); msg != "" {
				v.errAt(n, CodeSchema, msg)
			}
		}
	case opBool, opIs:
		if n.Kind != value.Bool {
			v.typeErr(n, op, "boolean")
		}
	case opTimestamp:
		if n.Kind != value.String {
			v.typeErr(n, op, "string")
		} else if !IsTimestamp(n.Str) {
			v.errAt(n, CodeSchema, "String does not match RFC3339 timestamp")
		}
	}
}

// openEscape reports a StringMatches pattern with an open escape: in a
// pattern only a backslash before a star (a literal star) and two
// backslashes (a literal backslash) are escapes, and the spec makes any
// other backslash an error. It is reported with the definition: the
// pattern is a literal, so every execution would fail on it.
func openEscape(pattern string) string {
	for i := 0; i < len(pattern); i++ {
		if pattern[i] != '\\' {
			continue
		}
		if i+1 == len(pattern) {
			return "Field 'StringMatches' has an open escape: a backslash at the end of the pattern escapes nothing (use \\\\ for a literal backslash)"
		}
		if c := pattern[i+1]; c != '*' && c != '\\' {
			return "Field 'StringMatches' has an open escape at offset " + strconv.Itoa(i) + ": only \\* (a literal star) and \\\\ (a literal backslash) are escapes"
		}
		i++
	}
	return ""
}

// IsTimestamp reports whether s is a timestamp as ASL accepts it: RFC 3339
// with an uppercase T, a zone designator (Z or ±hh:mm) and up to nine
// fractional digits, and a valid date and time.
func IsTimestamp(s string) bool {
	_, ok := ParseTimestamp(s)
	return ok
}
