package sinks

import (
	"fmt"
	"time"

	"github.com/expressd/expressd/pkg/value"
)

var recordTypes = []string{"ExecutionStarted", "PassStateEntered", "PassStateExited", "TaskFailed", "ExecutionFailed"}

// testRecord returns record i of a synthetic stream: ids are unique, types
// cycle through recordTypes.
func testRecord(i int) Record {
	return Record{
		ID:           int64(i),
		PreviousID:   int64(i - 1),
		Type:         recordTypes[i%len(recordTypes)],
		Timestamp:    time.UnixMilli(1713959670680 + int64(i)),
		ExecutionArn: "arn:aws:states:us-east-1:123456789012:express:m:exec-" + fmt.Sprint(i/7),
		Machine:      "m",
		Details:      value.MustParse(fmt.Sprintf(`{"name":"S%d","input":"{\"n\":%d}","index":%d,"ratio":1.50}`, i, i, i)),
	}
}

func testBatch(from, n int) []Record {
	b := make([]Record, n)
	for i := range b {
		b[i] = testRecord(from + i)
	}
	return b
}

func recordLine(r Record) string { return string(r.AppendJSON(nil)) }
