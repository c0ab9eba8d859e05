package sinks

import (
	"context"
	"sync/atomic"
	"time"
)

// filterTimeout bounds the time a filter may spend on one batch (at most
// maxBatch records). jq programs can loop forever; the sink must not.
// Records not finished in time count as filter errors.
const filterTimeout = 5 * time.Second

// Lines is a batch rendered as JSON lines: one contiguous buffer in which
// every line ends with '\n'. Sinks write bytes, not Records, so filtered and
// unfiltered batches look the same to them.
type Lines struct {
	buf  []byte
	ends []int   // ends[i] is the offset just past line i's '\n'
	recs []int32 // recs[i] is the batch index of the record line i came from
}

// Len returns the number of lines.
func (l *Lines) Len() int { return len(l.ends) }

// Bytes returns all lines, each terminated by '\n'. The slice is valid until
// the next Encode.
func (l *Lines) Bytes() []byte { return l.buf }

// Line returns line i without its '\n'.
func (l *Lines) Line(i int) []byte { return l.buf[l.start(i) : l.ends[i]-1] }

// Record returns the index in the encoded batch of the record line i came
// from (a filter may turn one record into zero or several lines).
func (l *Lines) Record(i int) int { return int(l.recs[i]) }

func (l *Lines) start(i int) int {
	if i == 0 {
		return 0
	}
	return l.ends[i-1]
}

func (l *Lines) reset() {
	l.buf, l.ends, l.recs = l.buf[:0], l.ends[:0], l.recs[:0]
}

// end terminates the line being appended to buf.
func (l *Lines) end(idx int) {
	l.buf = append(l.buf, '\n')
	l.ends = append(l.ends, len(l.buf))
	l.recs = append(l.recs, int32(idx))
}

// truncate drops the lines from n on.
func (l *Lines) truncate(n int) {
	l.buf = l.buf[:l.start(n)]
	l.ends, l.recs = l.ends[:n], l.recs[:n]
}

// Encoder renders batches of records as [Lines], through a [Filter] when
// the sink has one. Without a filter it appends each record's JSON into a
// reused buffer and does not allocate once warm. An Encoder is not safe for
// concurrent use: a sink keeps one per concurrent Write.
type Encoder struct {
	filter   *Filter
	lines    Lines
	filtered atomic.Int64 // records the filter turned into no line, since TakeFiltered
}

// TakeFiltered returns how many records the filter turned into no line
// since the last call, and starts counting again. It implements
// [FilterCounter] for the sinks that embed an Encoder.
func (e *Encoder) TakeFiltered() int64 { return e.filtered.Swap(0) }

// NewEncoder returns an encoder applying the jq expression filter, or
// writing records unchanged when filter is "". A filter that does not
// compile is an error naming it.
func NewEncoder(filter string) (*Encoder, error) {
	e := &Encoder{}
	if filter != "" {
		f, err := CompileFilter(filter)
		if err != nil {
			return nil, err
		}
		e.filter = f
	}
	return e, nil
}

// Filter returns the encoder's filter, nil when it has none.
func (e *Encoder) Filter() *Filter { return e.filter }

// Encode renders batch. The result is owned by e and valid until the next
// call. ctx bounds the filter's run time (together with filterTimeout).
func (e *Encoder) Encode(ctx context.Context, batch []Record) *Lines {
	l := &e.lines
	l.reset()
	if e.filter == nil {
		for i := range batch {
			l.buf = batch[i].AppendJSON(l.buf)
			l.end(i)
		}
		return l
	}
	ctx, cancel := context.WithTimeout(ctx, filterTimeout)
	defer cancel()
	for i := range batch {
		e.filter.appendRecord(ctx, l, &batch[i], i)
	}
	kept, last := 0, -1
	for _, r := range l.recs {
		if int(r) != last {
			kept, last = kept+1, int(r)
		}
	}
	if n := len(batch) - kept; n > 0 {
		e.filtered.Add(int64(n))
	}
	return l
}
