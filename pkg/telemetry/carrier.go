package telemetry

import "strings"

// MapCarrier is a [Carrier] over a header map. Both nats.Header and
// http.Header are map[string][]string, so either converts directly:
// telemetry.MapCarrier(msg.Header) or telemetry.MapCarrier(req.Header).
//
// Keys are exact-case, as NATS headers are. Get looks up the exact key
// first and, only when it is absent, any key equal under Unicode case
// folding, so a header that net/http canonicalised ("Traceparent") is
// still found. Set stores the exact key given (W3C trace context uses
// lower-case "traceparent", "tracestate" and "baggage" on every
// transport), replacing its values and removing keys that differ from it
// only in case, so one header never travels twice. Keys returns every key
// once. A nil MapCarrier reads as empty; Set on it panics, as on a nil map.
//
// A MapCarrier is a map: it is not safe for concurrent writes.
type MapCarrier map[string][]string

// Get returns the first value of key, or "" when key is absent.
func (c MapCarrier) Get(key string) string {
	if v, ok := c[key]; ok {
		if len(v) == 0 {
			return ""
		}
		return v[0]
	}
	for k, v := range c {
		if len(v) > 0 && strings.EqualFold(k, key) {
			return v[0]
		}
	}
	return ""
}

// Set replaces the values of key with value.
func (c MapCarrier) Set(key, value string) {
	for k := range c {
		if k != key && strings.EqualFold(k, key) {
			delete(c, k)
		}
	}
	c[key] = []string{value}
}

// Keys returns the keys present, in no particular order.
func (c MapCarrier) Keys() []string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	return keys
}
