package natsjs

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"time"
)

// health is the set of problems that keep the binding from doing its job:
// a results or DLQ stream that refuses writes, a consumer that is gone, a
// stream that cannot be recreated. Each problem has a key (what it is
// about) and a message; it is set where the problem is seen and cleared
// where the same thing is seen working again. The binding is ready only
// while the set is empty. Safe for concurrent use.
type health struct {
	mu       sync.Mutex
	problems map[string]problem
	now      func() time.Time // nil: time.Now
}

type problem struct {
	msg     string
	expires time.Time // zero: until cleared
}

func (h *health) set(key, msg string) { h.setFor(key, msg, 0) }

// setFor records a problem that also goes away by itself when it is not
// set again within d (0: only clear removes it). A store that refused a
// write is a problem until a write succeeds, or until no write failed for
// a while: after a burst of failures there may be nothing left to write.
func (h *health) setFor(key, msg string, d time.Duration) {
	p := problem{msg: msg}
	if d > 0 {
		p.expires = h.clock().Add(d)
	}
	h.mu.Lock()
	if h.problems == nil {
		h.problems = map[string]problem{}
	}
	h.problems[key] = p
	h.mu.Unlock()
}

func (h *health) clock() time.Time {
	if h.now != nil {
		return h.now()
	}
	return time.Now()
}

// expire drops the problems whose time is up; h.mu is held.
func (h *health) expire() {
	now := h.clock()
	for k, p := range h.problems {
		if !p.expires.IsZero() && now.After(p.expires) {
			delete(h.problems, k)
		}
	}
}

func (h *health) clear(key string) {
	h.mu.Lock()
	delete(h.problems, key)
	h.mu.Unlock()
}

// list returns the problems' messages, sorted.
func (h *health) list() []string {
	h.mu.Lock()
	h.expire()
	out := make([]string, 0, len(h.problems))
	for _, p := range h.problems {
		out = append(out, p.msg)
	}
	h.mu.Unlock()
	slices.Sort(out)
	return out
}

func (h *health) empty() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.expire()
	return len(h.problems) == 0
}

// logEvery is how often a repeated warning (per event, per request) is
// written at most, per kind and machine: a failing results stream or a
// flood of bad requests must not turn the daemon's log into the next
// problem (200,000 reply-less sync requests once wrote 20 MB of warnings).
const logEvery = 10 * time.Second

// rateLog writes a warning or error at most once per logEvery per key and
// says how many of the same were suppressed since the last one written.
// Safe for concurrent use.
type rateLog struct {
	log  *slog.Logger
	mu   sync.Mutex
	keys map[string]*rateKey
	now  func() time.Time
}

type rateKey struct {
	last       time.Time
	suppressed int
}

func newRateLog(log *slog.Logger) *rateLog {
	return &rateLog{log: log, keys: map[string]*rateKey{}, now: time.Now}
}

// allow reports whether a line for key may be written now, and how many
// were suppressed before it.
func (r *rateLog) allow(key string) (bool, int) {
	now := r.now()
	r.mu.Lock()
	defer r.mu.Unlock()
	k := r.keys[key]
	if k == nil {
		k = &rateKey{}
		r.keys[key] = k
	} else if now.Sub(k.last) < logEvery {
		k.suppressed++
		return false, 0
	}
	n := k.suppressed
	k.last, k.suppressed = now, 0
	return true, n
}

// Warn logs msg at WARN level, rate-limited per key.
func (r *rateLog) Warn(key, msg string, args ...any) { r.write(slog.LevelWarn, key, msg, args) }

// Error logs msg at ERROR level, rate-limited per key.
func (r *rateLog) Error(key, msg string, args ...any) { r.write(slog.LevelError, key, msg, args) }

func (r *rateLog) write(level slog.Level, key, msg string, args []any) {
	ok, n := r.allow(key)
	if !ok {
		return
	}
	if n > 0 {
		args = append(args, "suppressed", n)
	}
	r.log.Log(context.Background(), level, msg, args...)
}
