package bench

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// Snapshot is what a progress line shows.
type Snapshot struct {
	Label   string
	Done    int64 // units finished (results received, executions parked…)
	Total   int64 // units expected; 0 when unknown
	Elapsed time.Duration
	Rate    float64 // units per second since the previous snapshot
	Extra   string  // appended as is ("published 51,200 · acked 51,000")
}

// BarWidth is the width of the progress bar in characters.
const BarWidth = 24

// FormatBar formats a snapshot as a one-line progress bar for a terminal:
//
//	e2e [##########··············]  42.0%  42,000/100,000  51,234/s  0.8s  published 60,000
func FormatBar(s Snapshot) string {
	frac := 0.0
	if s.Total > 0 {
		frac = min(1, max(0, float64(s.Done)/float64(s.Total)))
	}
	fill := int(frac * BarWidth)
	var b strings.Builder
	b.WriteString(s.Label)
	b.WriteString(" [")
	b.WriteString(strings.Repeat("#", fill))
	b.WriteString(strings.Repeat("·", BarWidth-fill))
	fmt.Fprintf(&b, "] %5.1f%%  %s/%s  %s/s  %.1fs", 100*frac, Group(s.Done), Group(s.Total), Group(int64(s.Rate)), s.Elapsed.Seconds())
	if s.Extra != "" {
		b.WriteString("  ")
		b.WriteString(s.Extra)
	}
	return b.String()
}

// FormatLine formats a snapshot as a plain line (logs, pipes, CI):
//
//	e2e: 42,000/100,000 (42.0%) 51,234/s 0.8s published 60,000
func FormatLine(s Snapshot) string {
	pct := 0.0
	if s.Total > 0 {
		pct = 100 * float64(s.Done) / float64(s.Total)
	}
	line := fmt.Sprintf("%s: %s/%s (%.1f%%) %s/s %.1fs", s.Label, Group(s.Done), Group(s.Total), pct, Group(int64(s.Rate)), s.Elapsed.Seconds())
	if s.Extra != "" {
		line += " " + s.Extra
	}
	return line
}

// IsTerminal reports whether f is a character device (a terminal).
func IsTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// Progress prints progress while a run goes on: a bar redrawn in place
// every 200 ms on a terminal, else a plain line every 2 s. A nil *Progress
// prints nothing.
type Progress struct {
	w      io.Writer
	tty    bool
	label  string
	total  int64
	sample func() (done int64, extra string)
	every  time.Duration

	stop chan struct{}
	done sync.WaitGroup
	once sync.Once
}

// NewProgress returns a Progress writing to w (nil: none). tty selects the
// bar; sample is called from the progress goroutine.
func NewProgress(w io.Writer, tty bool, label string, total int64, sample func() (int64, string)) *Progress {
	if w == nil {
		return nil
	}
	p := &Progress{w: w, tty: tty, label: label, total: total, sample: sample, every: 2 * time.Second}
	if tty {
		p.every = 200 * time.Millisecond
	}
	return p
}

// Start starts printing.
func (p *Progress) Start() {
	if p == nil {
		return
	}
	p.stop = make(chan struct{})
	p.done.Add(1)
	go func() {
		defer p.done.Done()
		start := time.Now()
		last, lastT := int64(0), start
		t := time.NewTicker(p.every)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				if p.tty {
					p.print(start, &last, &lastT, true)
					fmt.Fprintln(p.w)
				}
				return
			case <-t.C:
				p.print(start, &last, &lastT, false)
			}
		}
	}()
}

func (p *Progress) print(start time.Time, last *int64, lastT *time.Time, final bool) {
	now := time.Now()
	d, extra := p.sample()
	rate := 0.0
	if dt := now.Sub(*lastT).Seconds(); dt > 0 {
		rate = float64(d-*last) / dt
	}
	if final {
		rate = float64(d) / now.Sub(start).Seconds()
	}
	*last, *lastT = d, now
	s := Snapshot{Label: p.label, Done: d, Total: p.total, Elapsed: now.Sub(start), Rate: rate, Extra: extra}
	if p.tty {
		// \r and clear to end of line: the bar is redrawn in place.
		fmt.Fprint(p.w, "\r"+FormatBar(s)+"\x1b[K")
	} else {
		fmt.Fprintln(p.w, FormatLine(s))
	}
}

// Stop stops printing (on a terminal, after drawing the final bar and a
// newline).
func (p *Progress) Stop() {
	if p == nil || p.stop == nil {
		return
	}
	p.once.Do(func() { close(p.stop) })
	p.done.Wait()
}
