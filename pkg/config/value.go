package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Secret is a credential (a password or a token). It prints as "REDACTED" with
// every fmt verb, so a Config can be logged without leaking it; convert
// with string(s) to use it.
type Secret string

// Redacted is what a non-empty [Secret] prints as.
const Redacted = "REDACTED"

// String returns [Redacted], or "" for an empty secret.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return Redacted
}

// GoString is like String, for %#v.
func (s Secret) GoString() string { return strconv.Quote(s.String()) }

// Size is a number of bytes. In YAML it is a plain integer (bytes) or a
// number with a unit: B, KB, MB, GB, TB (powers of 1000) or KiB, MiB, GiB,
// TiB (powers of 1024), e.g. "100MiB".
type Size int64

var sizeUnits = []struct {
	name string
	mult int64
}{
	// Longest first, so "KiB" is tried before "B".
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
	{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12},
	{"B", 1},
}

// ParseSize parses a size such as "512", "10MB" or "100MiB".
func ParseSize(s string) (Size, error) {
	t := strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range sizeUnits {
		if strings.HasSuffix(t, u.name) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.name)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("invalid size %q: use bytes or a number with a unit (KB, MB, GB, KiB, MiB, GiB)", s)
	}
	if n > (1<<63-1)/mult {
		return 0, fmt.Errorf("size %q is too large", s)
	}
	return Size(n * mult), nil
}

// String formats s with the largest binary unit that divides it, e.g. "100MiB".
func (s Size) String() string {
	for _, u := range []struct {
		name string
		mult int64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if s != 0 && int64(s)%u.mult == 0 {
			return strconv.FormatInt(int64(s)/u.mult, 10) + u.name
		}
	}
	return strconv.FormatInt(int64(s), 10)
}

// formatDuration prints d without zero trailing units: 5m rather than 5m0s.
func formatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
