package sinks

import (
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
