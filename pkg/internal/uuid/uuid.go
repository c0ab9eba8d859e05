// Package uuid formats random version 4 UUIDs (execution ARNs, request
// ids). It is internal: one implementation for the engine, the JetStream
// binding and the task integrations.
package uuid

import (
	"crypto/rand"
	"encoding/hex"
)

// New returns a random version 4 UUID from crypto/rand.
func New() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return Format(b)
}

// Format renders 16 random bytes as a version 4 UUID string, setting the
// version and variant bits.
func Format(b [16]byte) string {
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], b[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], b[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], b[8:10])
	s[23] = '-'
	hex.Encode(s[24:], b[10:])
	return string(s[:])
}
