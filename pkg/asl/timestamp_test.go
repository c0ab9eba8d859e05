package asl

import (
	"testing"
	"time"
)

func TestParseTimestamp(t *testing.T) {
	utc := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			panic(err)
		}
		return tm
	}
	tests := []struct {
		in   string
		ok   bool
		want time.Time // compared with Equal when ok
	}{
		{"2024-01-02T03:04:05Z", true, utc("2024-01-02T03:04:05Z")},
		{"2024-01-02T03:04:05+01:00", true, utc("2024-01-02T02:04:05Z")},
		{"2024-01-02T03:04:05-05:30", true, utc("2024-01-02T08:34:05Z")},
		{"2024-01-02T03:04:05+00:00", true, utc("2024-01-02T03:04:05Z")},
		{"2024-01-02T03:04:05.5Z", true, utc("2024-01-02T03:04:05.5Z")},
		{"2024-01-02T03:04:05.000Z", true, utc("2024-01-02T03:04:05Z")},
		{"2024-01-02T03:04:05.123456789Z", true, utc("2024-01-02T03:04:05.123456789Z")},
		{"2024-01-02T03:04:05.123456789+02:00", true, utc("2024-01-02T01:04:05.123456789Z")},
		{"2024-02-29T23:59:59Z", true, utc("2024-02-29T23:59:59Z")},
		{"0001-01-01T00:00:00Z", true, time.Time{}},

		{"2024-01-02t03:04:05Z", false, time.Time{}},
		{"2024-01-02T03:04:05z", false, time.Time{}},
		{"2024-01-02T03:04:05", false, time.Time{}},
		{"2024-01-02 03:04:05Z", false, time.Time{}},
		{"2024-13-02T03:04:05Z", false, time.Time{}},
		{"2024-00-02T03:04:05Z", false, time.Time{}},
		{"2024-01-32T03:04:05Z", false, time.Time{}},
		{"2023-02-29T03:04:05Z", false, time.Time{}},
		{"2024-01-02T24:00:00Z", false, time.Time{}},
		{"2024-01-02T03:60:05Z", false, time.Time{}},
		{"2024-01-02T03:04:05.1234567890Z", false, time.Time{}},
		{"2024-01-02T03:04:05.Z", false, time.Time{}},
		{"2024-01-02T03:04:05,5Z", false, time.Time{}},
		{"2024-01-02T03:04:05+0100", false, time.Time{}},
		{"2024-01-02T03:04:05+01", false, time.Time{}},
		{"2024-01-02T03:04:05+01:00:00", false, time.Time{}},
		{"2024-01-02T03:04:05+1:00", false, time.Time{}},
		{"2024-01-02T03:04:05Z ", false, time.Time{}},
		{" 2024-01-02T03:04:05Z", false, time.Time{}},
		{"2024-1-02T03:04:05Z", false, time.Time{}},
		{"24-01-02T03:04:05Z", false, time.Time{}},
		{"2024-01-02", false, time.Time{}},
		{"2024-01-02T03:04Z", false, time.Time{}},
		{"", false, time.Time{}},
		{"２024-01-02T03:04:05Z", false, time.Time{}},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, ok := ParseTimestamp(tc.in)
			if ok != tc.ok {
				t.Fatalf("ParseTimestamp(%q) ok = %v, want %v", tc.in, ok, tc.ok)
			}
			if ok && !got.Equal(tc.want) {
				t.Errorf("ParseTimestamp(%q) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
}
