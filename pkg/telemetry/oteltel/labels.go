package oteltel

import (
	"strings"
	"sync"
	"sync/atomic"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// Label keys, as they appear in the Prometheus exposition.
const (
	keyMachine  = attribute.Key("machine")
	keyStatus   = attribute.Key("status")
	keyResource = attribute.Key("resource")
	keyError    = attribute.Key("error")
	keyReason   = attribute.Key("reason")
	keySink     = attribute.Key("sink")
)

// Limits on the label values kept under one machine or resource. Machines,
// resources and sinks are bounded by the loaded definitions and the
// configuration, but the values below them come from runtime data: an
// integration may return any error name, and a caller may pass a reason
// built from an error. Past a limit, new values are counted under
// overflowLabel so a misbehaving integration cannot grow the exposition
// (and the Prometheus series count) without bound. ASL and the expressd
// integrations use a few dozen error names at most, and execution
// statuses and DLQ reasons are a handful.
const (
	maxStatusLabels = 8
	maxErrorLabels  = 64
	maxReasonLabels = 16
	overflowLabel   = "_other"
)

// labelSet is one precomputed attribute set, wrapped in the option slices
// the instruments take, so a measurement allocates neither the set nor the
// variadic slice.
type labelSet struct {
	add    []metric.AddOption
	record []metric.RecordOption
}

func newLabelSet(kvs ...attribute.KeyValue) labelSet {
	o := metric.WithAttributeSet(attribute.NewSet(kvs...))
	return labelSet{add: []metric.AddOption{o}, record: []metric.RecordOption{o}}
}

// labelCache maps a label value to V. Reads are lock-free and allocation
// free: an atomic pointer to an immutable map. A miss copies the map under
// mu, which happens once per distinct value; the values are bounded (see
// the limits above), so the copying is too.
type labelCache[V any] struct {
	m  atomic.Pointer[map[string]V]
	mu sync.Mutex
}

func (c *labelCache[V]) load(key string) (V, bool) {
	if m := c.m.Load(); m != nil {
		v, ok := (*m)[key]
		return v, ok
	}
	var zero V
	return zero, false
}

// add stores newV(key) under key unless key is present, and returns the
// stored value. When the cache already holds limit values (limit > 0), an
// absent key is stored as overflowLabel instead. key is cloned: callers
// may pass strings that alias reused buffers.
func (c *labelCache[V]) add(key string, limit int, newV func(string) V) V {
	c.mu.Lock()
	defer c.mu.Unlock()
	var old map[string]V
	if p := c.m.Load(); p != nil {
		old = *p
	}
	if v, ok := old[key]; ok {
		return v
	}
	if limit > 0 && len(old) >= limit {
		// The overflow entry lives beside the limit's worth of real ones.
		if v, ok := old[overflowLabel]; ok {
			return v
		}
		key = overflowLabel
	}
	key = strings.Clone(key)
	v := newV(key)
	m := make(map[string]V, len(old)+1)
	for k, ov := range old {
		m[k] = ov
	}
	m[key] = v
	c.m.Store(&m)
	return v
}
