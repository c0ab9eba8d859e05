package sinks

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/expressd/expressd/pkg/value"
)

// Record is one execution log event in the CloudWatch Logs format of
// Express executions (see ../shared/ASL-NOTES.md §2):
//
//	{"id":"3","type":"PassStateExited","details":{…},"previous_event_id":"2",
//	 "event_timestamp":"1713959670680","execution_arn":"…","redrive_count":"0"}
//
// Top-level scalars are strings; details keep AWS's camelCase keys, and
// details.input/output are JSON strings (present only with
// include_execution_data). A Record is immutable once emitted: sinks may
// keep it.
type Record struct {
	ID           int64
	PreviousID   int64
	Type         string // AWS history event type, e.g. "TaskStateEntered"
	Timestamp    time.Time
	ExecutionArn string
	RedriveCount int
	Machine      string      // the state machine name (routing only; not in the JSON)
	Details      value.Value // an object
}

// AppendJSON appends the record's JSON text (one line, no newline).
func (r *Record) AppendJSON(dst []byte) []byte {
	dst = append(dst, `{"id":"`...)
	dst = strconv.AppendInt(dst, r.ID, 10)
	dst = append(dst, `","type":`...)
	dst = value.AppendQuoted(dst, r.Type)
	dst = append(dst, `,"details":`...)
	if r.Details.Kind() == value.Object {
		dst = value.AppendJSON(dst, r.Details)
	} else {
		dst = append(dst, "{}"...)
	}
	dst = append(dst, `,"previous_event_id":"`...)
	dst = strconv.AppendInt(dst, r.PreviousID, 10)
	dst = append(dst, `","event_timestamp":"`...)
	dst = strconv.AppendInt(dst, r.Timestamp.UnixMilli(), 10)
	dst = append(dst, `","execution_arn":`...)
	dst = value.AppendQuoted(dst, r.ExecutionArn)
	dst = append(dst, `,"redrive_count":"`...)
	dst = strconv.AppendInt(dst, int64(r.RedriveCount), 10)
	return append(dst, `"}`...)
}

// Map returns the record as a generic JSON value, the same object
// AppendJSON writes: string scalars at the top level, details as nested
// maps and slices, numbers as json.Number keeping their source text. It
// allocates and is used only for sinks with a filter.
func (r *Record) Map() map[string]any {
	details := map[string]any{}
	if r.Details.Kind() == value.Object {
		details = valueAny(r.Details).(map[string]any)
	}
	return map[string]any{
		"id":                strconv.FormatInt(r.ID, 10),
		"type":              r.Type,
		"details":           details,
		"previous_event_id": strconv.FormatInt(r.PreviousID, 10),
		"event_timestamp":   strconv.FormatInt(r.Timestamp.UnixMilli(), 10),
		"execution_arn":     r.ExecutionArn,
		"redrive_count":     strconv.Itoa(r.RedriveCount),
	}
}

// valueAny converts v to the generic types gojq accepts.
func valueAny(v value.Value) any {
	switch v.Kind() {
	case value.Bool:
		return v.Bool()
	case value.Number:
		if t := v.NumberText(); t != "" {
			return json.Number(t)
		}
		if i, ok := v.Int(); ok && v.IsInteger() {
			return int(i)
		}
		return v.Float()
	case value.String:
		return v.Str()
	case value.Array:
		items := v.Items()
		a := make([]any, len(items))
		for i, x := range items {
			a[i] = valueAny(x)
		}
		return a
	case value.Object:
		keys, items := v.Keys(), v.Items()
		m := make(map[string]any, len(keys))
		for i, k := range keys {
			m[k] = valueAny(items[i])
		}
		return m
	}
	return nil
}
