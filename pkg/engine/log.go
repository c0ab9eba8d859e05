package engine

import (
	"fmt"
	"strings"

	"github.com/expressd/expressd/pkg/sinks"
	"github.com/expressd/expressd/pkg/value"
	"github.com/expressd/expressd/pkg/vm"
)

// Level is an AWS Express execution log level.
type Level uint8

// The log levels, from quietest: OFF logs nothing, FATAL only execution
// failures, ERROR every failure event, ALL every event.
const (
	LevelOff Level = iota
	LevelFatal
	LevelError
	LevelAll
)

// ParseLevel parses ALL, ERROR, FATAL or OFF (case-insensitive).
func ParseLevel(s string) (Level, error) {
	switch strings.ToUpper(s) {
	case "OFF", "":
		return LevelOff, nil
	case "FATAL":
		return LevelFatal, nil
	case "ERROR":
		return LevelError, nil
	case "ALL":
		return LevelAll, nil
	}
	return LevelOff, fmt.Errorf("engine: log level %q: want ALL, ERROR, FATAL or OFF", s)
}

func (l Level) String() string {
	return [...]string{"OFF", "FATAL", "ERROR", "ALL"}[l]
}

// Logging configures the execution log records of one execution.
type Logging struct {
	Level       Level
	IncludeData bool // details.input/output (JSON strings), TaskScheduled parameters, assigned variables
	// Emit receives each record on the engine goroutine; it must not block
	// (sinks.Dispatcher.Emit drops instead).
	Emit func(sinks.Record)
}

// evType is an execution history event type. The table below gives its
// AWS name and the lowest level that logs it.
type evType uint8

const (
	evExecutionStarted evType = iota
	evExecutionSucceeded
	evExecutionFailed
	evExecutionTimedOut
	evExecutionAborted
	evStateEntered // + state type
	evStateExited  // + state type
	evTaskScheduled
	evTaskStarted
	evTaskSucceeded
	evTaskFailed
	evTaskTimedOut
	evLambdaScheduled
	evLambdaStarted
	evLambdaSucceeded
	evLambdaFailed
	evLambdaTimedOut
	evMapStarted
	evMapSucceeded
	evMapFailed
	evMapAborted
	evMapIterationStarted
	evMapIterationSucceeded
	evMapIterationFailed
	evMapIterationAborted
	evParallelStarted
	evParallelSucceeded
	evParallelFailed
	evParallelAborted
	evTaskStateAborted
	evWaitStateAborted
)

var evNames = [...]string{
	evExecutionStarted:      "ExecutionStarted",
	evExecutionSucceeded:    "ExecutionSucceeded",
	evExecutionFailed:       "ExecutionFailed",
	evExecutionTimedOut:     "ExecutionTimedOut",
	evExecutionAborted:      "ExecutionAborted",
	evTaskScheduled:         "TaskScheduled",
	evTaskStarted:           "TaskStarted",
	evTaskSucceeded:         "TaskSucceeded",
	evTaskFailed:            "TaskFailed",
	evTaskTimedOut:          "TaskTimedOut",
	evLambdaScheduled:       "LambdaFunctionScheduled",
	evLambdaStarted:         "LambdaFunctionStarted",
	evLambdaSucceeded:       "LambdaFunctionSucceeded",
	evLambdaFailed:          "LambdaFunctionFailed",
	evLambdaTimedOut:        "LambdaFunctionTimedOut",
	evMapStarted:            "MapStateStarted",
	evMapSucceeded:          "MapStateSucceeded",
	evMapFailed:             "MapStateFailed",
	evMapAborted:            "MapStateAborted",
	evMapIterationStarted:   "MapIterationStarted",
	evMapIterationSucceeded: "MapIterationSucceeded",
	evMapIterationFailed:    "MapIterationFailed",
	evMapIterationAborted:   "MapIterationAborted",
	evParallelStarted:       "ParallelStateStarted",
	evParallelSucceeded:     "ParallelStateSucceeded",
	evParallelFailed:        "ParallelStateFailed",
	evParallelAborted:       "ParallelStateAborted",
	evTaskStateAborted:      "TaskStateAborted",
	evWaitStateAborted:      "WaitStateAborted",
}

// evLevel is the lowest level that logs each event type (AWS's filtering:
// ERROR keeps failures, FATAL keeps execution failures).
var evLevel = [...]Level{
	evExecutionStarted:      LevelAll,
	evExecutionSucceeded:    LevelAll,
	evExecutionFailed:       LevelFatal,
	evExecutionTimedOut:     LevelFatal,
	evExecutionAborted:      LevelFatal,
	evStateEntered:          LevelAll, // FailStateEntered: ERROR (see levelOf)
	evStateExited:           LevelAll,
	evTaskScheduled:         LevelAll,
	evTaskStarted:           LevelAll,
	evTaskSucceeded:         LevelAll,
	evTaskFailed:            LevelError,
	evTaskTimedOut:          LevelError,
	evLambdaScheduled:       LevelAll,
	evLambdaStarted:         LevelAll,
	evLambdaSucceeded:       LevelAll,
	evLambdaFailed:          LevelError,
	evLambdaTimedOut:        LevelError,
	evMapStarted:            LevelAll,
	evMapSucceeded:          LevelAll,
	evMapFailed:             LevelError,
	evMapAborted:            LevelError,
	evMapIterationStarted:   LevelAll,
	evMapIterationSucceeded: LevelAll,
	evMapIterationFailed:    LevelError,
	evMapIterationAborted:   LevelError,
	evParallelStarted:       LevelAll,
	evParallelSucceeded:     LevelAll,
	evParallelFailed:        LevelError,
	evParallelAborted:       LevelError,
	evTaskStateAborted:      LevelError,
	evWaitStateAborted:      LevelError,
}

// stateEventNames holds "<Type>StateEntered" / "<Type>StateExited" per
// state type, built once.
var stateEventNames = func() map[string][2]string {
	m := map[string][2]string{}
	for _, t := range []string{"Pass", "Task", "Choice", "Wait", "Succeed", "Fail", "Parallel", "Map"} {
		m[t] = [2]string{t + "StateEntered", t + "StateExited"}
	}
	return m
}()

// logger numbers and emits the events of one execution (all its runs).
type logger struct {
	cfg     *Logging
	arn     string
	machine string
	next    int64 // ids are 1-based
}

// event numbers one history event of run r (an event the engine produces:
// execution, task, Map, Parallel). details is called only when the event
// is logged at the configured level; the id is consumed either way (AWS
// does not renumber filtered events).
func (en *Engine) event(r *run, t evType, name string, details func() value.Value) int64 {
	lg := r.root.log
	if lg == nil {
		return 0
	}
	lg.next++
	id := lg.next
	prev, _ := r.e.LastEvent()
	r.e.SetLastEvent(id)
	en.emit(r, id, prev, t, name, details)
	return id
}

// wants reports whether r's execution logs events of type t; when it does
// not, callers number the event with skip instead of building its details.
func wants(r *run, t evType) bool {
	lg := r.root.log
	return lg != nil && lg.cfg.Level >= evLevel[t]
}

// skip numbers an event that is not logged.
func skip(r *run) {
	if lg := r.root.log; lg != nil {
		lg.next++
		r.e.SetLastEvent(lg.next)
	}
}

// emit logs event id if the configured level wants its type.
func (en *Engine) emit(r *run, id, prev int64, t evType, name string, details func() value.Value) {
	lg := r.root.log
	level := evLevel[t]
	if name == "FailStateEntered" {
		level = LevelError
	}
	if lg.cfg.Level < level {
		return
	}
	if name == "" {
		name = evNames[t]
	}
	rec := sinks.Record{
		ID: id, PreviousID: prev, Type: name, Timestamp: en.clock.Now(),
		ExecutionArn: lg.arn, Machine: lg.machine,
	}
	if details != nil {
		rec.Details = details()
	} else {
		rec.Details = value.EmptyObject()
	}
	lg.cfg.Emit(rec)
}

// obj builds a details object from alternating keys and values.
func obj(kv ...any) value.Value {
	keys := make([]string, 0, len(kv)/2)
	vals := make([]value.Value, 0, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		v, ok := kv[i+1].(value.Value)
		if !ok {
			continue // an omitted field
		}
		keys = append(keys, kv[i].(string))
		vals = append(vals, v)
	}
	return value.FromObject(keys, vals)
}

// details builds a record's details object without boxing its fields
// (the event types logged at ALL are most of the records).
type details struct {
	keys [6]string
	vals [6]value.Value
	n    int
}

func (d *details) add(k string, v value.Value) {
	d.keys[d.n], d.vals[d.n] = k, v
	d.n++
}

// data adds {key: JSON string, keyDetails: {truncated: false}} when the
// execution's data is logged.
func (d *details) data(lg *logger, key string, v value.Value) {
	if lg.cfg.IncludeData {
		d.add(key, jsonString(v))
		d.add(detailsKey(key), notTruncated)
	}
}

// detailsKey is "<key>Details" without building the string every time.
func detailsKey(key string) string {
	switch key {
	case "input":
		return "inputDetails"
	case "output":
		return "outputDetails"
	}
	return key + "Details"
}

func (d *details) value() value.Value {
	o, ks, vs := value.MakeObject(d.n)
	copy(ks, d.keys[:d.n])
	copy(vs, d.vals[:d.n])
	return o
}

// jsonString is the JSON text of v as a JSON string value (AWS logs
// input/output as strings).
func jsonString(v value.Value) value.Value { return value.FromString(string(value.AppendJSON(nil, v))) }

var notTruncated = value.FromObject([]string{"truncated"}, []value.Value{value.False})

// dataFields returns the optional {key: json, keyDetails: {truncated}} pair.
func (lg *logger) data(key string, v value.Value) []any {
	if !lg.cfg.IncludeData {
		return nil
	}
	return []any{key, jsonString(v), detailsKey(key), notTruncated}
}

// StateEntered implements vm.Tracer: <Type>StateEntered. The tracer is
// installed at level ALL only; the VM has already numbered the event.
func (en *Engine) StateEntered(e *vm.Execution, state int, input value.Value) {
	r := en.cur
	lg := r.root.log
	st := &e.Program().States[state]
	id, prev := e.LastEvent()
	if r.parent == nil && !r.entered {
		prev = 0 // AWS: the first state-entered event has previous 0
	}
	r.entered = true
	en.emit(r, id, prev, evStateEntered, stateEventNames[st.Type][0], func() value.Value {
		var d details
		d.add("name", value.FromString(st.Name))
		d.data(lg, "input", input)
		return d.value()
	})
}

// StateExited implements vm.Tracer: <Type>StateExited.
func (en *Engine) StateExited(e *vm.Execution, state int, output value.Value) {
	r := en.cur
	lg := r.root.log
	st := &e.Program().States[state]
	id, prev := e.LastEvent()
	en.emit(r, id, prev, evStateExited, stateEventNames[st.Type][1], func() value.Value {
		var d details
		d.add("name", value.FromString(st.Name))
		d.data(lg, "output", output)
		if lg.cfg.IncludeData {
			var ak []string
			var av []value.Value
			e.PendingAssignments(func(name string, v value.Value) {
				ak = append(ak, name)
				av = append(av, jsonString(v))
			})
			if len(ak) > 0 {
				d.add("assignedVariables", value.FromObject(ak, av))
				d.add("assignedVariablesDetails", notTruncated)
			}
		}
		return d.value()
	})
}

// logFailStateEntered logs the FailStateEntered event of a run that ended
// in a Fail state, below level ALL (where no tracer saw it): the VM
// numbered it when the state was entered.
func (en *Engine) logFailStateEntered(r *run) {
	lg := r.root.log
	if lg == nil || lg.cfg.Level == LevelAll || lg.cfg.Level < LevelError {
		return
	}
	si := r.e.State()
	if si < 0 {
		return
	}
	st := &r.e.Program().States[si]
	if st.Type != "Fail" {
		return
	}
	id, prev := r.e.LastEvent()
	en.emit(r, id, prev, evStateEntered, "FailStateEntered", func() value.Value {
		return obj(append([]any{"name", value.FromString(st.Name)}, lg.data("input", r.e.StateInput())...)...)
	})
}

// resourceParts splits an optimized integration ARN into AWS's
// resourceType and resource ("arn:aws:states:::lambda:invoke" → "lambda",
// "invoke").
func resourceParts(arn string) (string, string) {
	rest, ok := strings.CutPrefix(arn, "arn:aws:states:::")
	if !ok {
		return "", arn
	}
	typ, res, _ := strings.Cut(rest, ":")
	return typ, res
}

// logTaskScheduled logs TaskScheduled+TaskStarted, or the LambdaFunction
// pair for legacy Lambda ARNs.
func (en *Engine) logTaskScheduled(r *run, t *vm.Task, input value.Value, timeout int64) {
	lg := r.root.log
	if lg == nil {
		return
	}
	if !wants(r, evTaskScheduled) { // scheduled and started are ALL-only
		skip(r)
		skip(r)
		return
	}
	if t.LegacyLambda {
		en.event(r, evLambdaScheduled, "", func() value.Value {
			kv := append([]any{"resource", value.FromString(t.Resource)}, lg.data("input", input)...)
			if timeout > 0 {
				kv = append(kv, "timeoutInSeconds", value.FromInt(timeout))
			}
			return obj(kv...)
		})
		en.event(r, evLambdaStarted, "", nil)
		return
	}
	typ, res := resourceParts(t.Resource)
	en.event(r, evTaskScheduled, "", func() value.Value {
		kv := []any{"resourceType", value.FromString(typ), "resource", value.FromString(res), "region", value.FromString(en.opts.Region)}
		if lg.cfg.IncludeData {
			kv = append(kv, "parameters", jsonString(input))
		}
		if timeout > 0 {
			kv = append(kv, "timeoutInSeconds", value.FromInt(timeout))
		}
		return obj(kv...)
	})
	en.event(r, evTaskStarted, "", func() value.Value {
		return obj("resourceType", value.FromString(typ), "resource", value.FromString(res))
	})
}

// logTaskEnded logs the outcome of a task call.
func (en *Engine) logTaskEnded(r *run, t *vm.Task, out value.Value, fail *vm.Failure, timedOut bool) {
	lg := r.root.log
	if lg == nil {
		return
	}
	errFields := func() []any {
		var kv []any
		if fail.HasError {
			kv = append(kv, "error", value.FromString(string(fail.Error)))
		}
		if fail.HasCause {
			kv = append(kv, "cause", value.FromString(fail.Cause))
		}
		return kv
	}
	if fail == nil && !wants(r, evTaskSucceeded) {
		skip(r)
		return
	}
	if t.LegacyLambda {
		switch {
		case fail == nil:
			en.event(r, evLambdaSucceeded, "", func() value.Value { return obj(lg.data("output", out)...) })
		case timedOut:
			en.event(r, evLambdaTimedOut, "", func() value.Value { return obj(errFields()...) })
		default:
			en.event(r, evLambdaFailed, "", func() value.Value { return obj(errFields()...) })
		}
		return
	}
	typ, res := resourceParts(t.Resource)
	base := func() []any { return []any{"resourceType", value.FromString(typ), "resource", value.FromString(res)} }
	switch {
	case fail == nil:
		en.event(r, evTaskSucceeded, "", func() value.Value { return obj(append(base(), lg.data("output", out)...)...) })
	case timedOut:
		en.event(r, evTaskTimedOut, "", func() value.Value { return obj(append(base(), errFields()...)...) })
	default:
		en.event(r, evTaskFailed, "", func() value.Value { return obj(append(base(), errFields()...)...) })
	}
}

// logExecutionStarted logs ExecutionStarted (id 1, previous 0).
func (en *Engine) logExecutionStarted(r *run) {
	lg := r.root.log
	if !wants(r, evExecutionStarted) {
		skip(r)
		return
	}
	en.event(r, evExecutionStarted, "", func() value.Value {
		kv := lg.data("input", r.root.ctx.Input)
		kv = append(kv, "roleArn", value.FromString(r.root.ctx.Machine.RoleArn))
		return obj(kv...)
	})
}

// logExecutionEnded logs ExecutionSucceeded/Failed/TimedOut.
func (en *Engine) logExecutionEnded(rt *root, r *run, res *Result) {
	lg := rt.log
	if lg == nil {
		return
	}
	switch res.Status {
	case Succeeded:
		if !wants(r, evExecutionSucceeded) {
			skip(r)
			return
		}
		en.event(r, evExecutionSucceeded, "", func() value.Value { return obj(lg.data("output", res.Output)...) })
	default:
		t := evExecutionFailed
		if res.Status == TimedOut {
			t = evExecutionTimedOut
		}
		en.event(r, t, "", func() value.Value {
			var kv []any
			if res.HasError {
				kv = append(kv, "error", value.FromString(string(res.Error)))
			}
			if res.HasCause {
				kv = append(kv, "cause", value.FromString(res.Cause))
			}
			return obj(kv...)
		})
	}
}
