package telemetry

import (
	"net/http"
	"slices"
	"testing"
)

var _ Carrier = MapCarrier(nil)

func TestMapCarrier(t *testing.T) {
	tests := []struct {
		name string
		h    map[string][]string
		key  string
		want string
	}{
		{"exact", map[string][]string{"traceparent": {"a", "b"}}, "traceparent", "a"},
		{"canonical http", map[string][]string{"Traceparent": {"c"}}, "traceparent", "c"},
		{"exact wins", map[string][]string{"Traceparent": {"x"}, "traceparent": {"y"}}, "traceparent", "y"},
		{"absent", map[string][]string{"Other": {"z"}}, "traceparent", ""},
		{"empty values", map[string][]string{"traceparent": {}}, "traceparent", ""},
		{"nil", nil, "traceparent", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := MapCarrier(tc.h).Get(tc.key); got != tc.want {
				t.Errorf("Get(%q) = %q, want %q", tc.key, got, tc.want)
			}
		})
	}
}

func TestMapCarrierSet(t *testing.T) {
	h := http.Header{}
	h.Set("Traceparent", "old")
	h.Set("Content-Type", "application/json")
	c := MapCarrier(h)
	c.Set("traceparent", "new")
	if got, want := len(h), 2; got != want {
		t.Fatalf("got %d keys, want %d: %v", got, want, h)
	}
	if got := map[string][]string(h)["traceparent"]; !slices.Equal(got, []string{"new"}) { // exact W3C key, not canonicalized
		t.Errorf("got traceparent %q, want [new]", got)
	}
	keys := c.Keys()
	slices.Sort(keys)
	if want := []string{"Content-Type", "traceparent"}; !slices.Equal(keys, want) {
		t.Errorf("got keys %q, want %q", keys, want)
	}
}
