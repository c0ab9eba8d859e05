package sinks

import (
	"context"
	"sync/atomic"
)

// DiscardPlugin returns the "discard" plugin: records are counted and
// thrown away (benchmarks, or logging switched off for a machine while the
// global sinks stay). With a filter, the filter runs and its output lines
// are counted, which measures the filter's cost.
func DiscardPlugin() Plugin {
	return Plugin{
		Name: "discard",
		Spec: CommonSpec(),
		New: func(o Options) (Sink, int, error) {
			s := &discardSink{}
			if o.Filter != "" {
				enc, err := NewEncoder(o.Filter)
				if err != nil {
					return nil, 0, err
				}
				s.enc = enc
			}
			return s, 1, nil
		},
	}
}

type discardSink struct {
	enc   *Encoder // nil without a filter; used by one Write at a time (maxInFlight 1)
	lines atomic.Int64
}

func (s *discardSink) Write(ctx context.Context, batch []Record) error {
	n := len(batch)
	if s.enc != nil {
		n = s.enc.Encode(ctx, batch).Len()
	}
	s.lines.Add(int64(n))
	return nil
}

func (s *discardSink) Close(context.Context) error { return nil }

// TakeFiltered implements FilterCounter.
func (s *discardSink) TakeFiltered() int64 {
	if s.enc == nil {
		return 0
	}
	return s.enc.TakeFiltered()
}
