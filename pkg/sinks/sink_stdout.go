package sinks

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
)

// StdoutPlugin returns the "stdout" plugin: JSON lines on standard output.
func StdoutPlugin() Plugin {
	return Plugin{
		Name: "stdout",
		Spec: CommonSpec(),
		New: func(o Options) (Sink, int, error) {
			s, err := NewWriter(os.Stdout, o.Filter)
			return s, 1, err
		},
	}
}

// writerSink writes JSON lines to an io.Writer.
type writerSink struct {
	mu  sync.Mutex
	w   io.Writer
	enc *Encoder
}

// NewWriter returns a sink writing JSON lines to w, through the jq
// expression filter when it is not "". Each batch is rendered into one
// buffer and written with a single Write call, so lines of concurrent
// batches never interleave. Close does not close w.
func NewWriter(w io.Writer, filter string) (Sink, error) {
	enc, err := NewEncoder(filter)
	if err != nil {
		return nil, err
	}
	return &writerSink{w: w, enc: enc}, nil
}

func (s *writerSink) Write(ctx context.Context, batch []Record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	lines := s.enc.Encode(ctx, batch)
	if lines.Len() == 0 {
		return nil
	}
	if _, err := s.w.Write(lines.Bytes()); err != nil {
		return fmt.Errorf("sinks: stdout: %w", err)
	}
	return nil
}

func (s *writerSink) Close(context.Context) error { return nil }

// TakeFiltered implements FilterCounter.
func (s *writerSink) TakeFiltered() int64 { return s.enc.TakeFiltered() }
