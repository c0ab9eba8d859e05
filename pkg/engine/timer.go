package engine

import (
	"container/heap"
	"time"
)

type timerKind uint8

const (
	timerWake        timerKind = iota // Wait state or retry back-off ends
	timerTaskTimeout                  // Task TimeoutSeconds expires
	timerTimeout                      // execution cap
)

type timer struct {
	at   time.Time
	r    *run
	kind timerKind
	seq  uint64
}

// timerQueue holds every pending deadline of the engine in one min-heap,
// owned by the loop goroutine: a parked execution costs one entry, never a
// goroutine or a runtime timer. Entries that became stale (the run moved on,
// was cancelled or finished) are dropped when they surface.
type timerQueue struct{ h timerHeap }

func (q *timerQueue) push(t timer) { heap.Push(&q.h, t) }

// next returns the earliest deadline.
func (q *timerQueue) next() (time.Time, bool) {
	if len(q.h) == 0 {
		return time.Time{}, false
	}
	return q.h[0].at, true
}

// popDue removes and returns the earliest timer if it is due at now.
func (q *timerQueue) popDue(now time.Time) (timer, bool) {
	if len(q.h) == 0 || q.h[0].at.After(now) {
		return timer{}, false
	}
	return heap.Pop(&q.h).(timer), true
}

// Len returns the number of pending timers (stale ones included).
func (q *timerQueue) Len() int { return len(q.h) }

type timerHeap []timer

func (h timerHeap) Len() int           { return len(h) }
func (h timerHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h timerHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *timerHeap) Push(x any)        { *h = append(*h, x.(timer)) }
func (h *timerHeap) Pop() any {
	old := *h
	n := len(old)
	t := old[n-1]
	old[n-1] = timer{}
	*h = old[:n-1]
	return t
}
