package sinks

import (
	"bytes"
	"context"
	"testing"
)

func TestWriter(t *testing.T) {
	var buf bytes.Buffer
	s, err := NewWriter(&buf, "")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := s.Write(ctx, testBatch(0, 2)); err != nil {
		t.Fatal(err)
	}
	if err := s.Write(ctx, testBatch(2, 1)); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	want := recordLine(testRecord(0)) + "\n" + recordLine(testRecord(1)) + "\n" + recordLine(testRecord(2)) + "\n"
	if got := buf.String(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	const line0 = `{"id":"0","type":"ExecutionStarted","details":{"name":"S0","input":"{\"n\":0}","index":0,"ratio":1.50},"previous_event_id":"-1","event_timestamp":"1713959670680","execution_arn":"arn:aws:states:us-east-1:123456789012:express:m:exec-0","redrive_count":"0"}`
	if got := recordLine(testRecord(0)); got != line0 {
		t.Errorf("got %s, want %s", got, line0)
	}
}

func TestStdoutPlugin(t *testing.T) {
	s, n, err := StdoutPlugin().New(Options{Type: "stdout"})
	if err != nil || n != 1 || s == nil {
		t.Fatalf("New: got %v, %d, %v", s, n, err)
	}
}
