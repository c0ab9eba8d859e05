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

// timer is one pending deadline. Timers that can be cancelled before they
// fire (execution caps, task timeouts) are removed from the queue at once,
// so a finished execution leaves nothing behind.
type timer struct {
	at    time.Time
	r     *run
	kind  timerKind
	seq   uint64
	index int // position in the heap, -1 once removed
}

// timerQueue holds every pending deadline of the engine in one min-heap,
// owned by the loop goroutine: a parked execution costs one entry, never a
// goroutine or a runtime timer.
type timerQueue struct{ h timerHeap }

func (q *timerQueue) push(t *timer) { heap.Push(&q.h, t) }

// remove takes t out of the queue if it is still there.
func (q *timerQueue) remove(t *timer) {
	if t != nil && t.index >= 0 && t.index < len(q.h) && q.h[t.index] == t {
		heap.Remove(&q.h, t.index)
	}
}

// next returns the earliest deadline.
func (q *timerQueue) next() (time.Time, bool) {
	if len(q.h) == 0 {
		return time.Time{}, false
	}
	return q.h[0].at, true
}

// popDue removes and returns the earliest timer if it is due at now.
func (q *timerQueue) popDue(now time.Time) (*timer, bool) {
	if len(q.h) == 0 || q.h[0].at.After(now) {
		return nil, false
	}
	return heap.Pop(&q.h).(*timer), true
}

// Len returns the number of pending timers.
func (q *timerQueue) Len() int { return len(q.h) }

type timerHeap []*timer

func (h timerHeap) Len() int           { return len(h) }
func (h timerHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h timerHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}
func (h *timerHeap) Push(x any) {
	t := x.(*timer)
	t.index = len(*h)
	*h = append(*h, t)
}
func (h *timerHeap) Pop() any {
	old := *h
	n := len(old)
	t := old[n-1]
	old[n-1] = nil
	t.index = -1
	*h = old[:n-1]
	return t
}
