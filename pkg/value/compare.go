package value

import "unicode/utf8"

// CompareStrings orders a and b as Java's String.compareTo does (by UTF-16
// code units), which is the order AWS uses for String* comparisons. It
// differs from Go's byte order only for characters at or above U+E000
// against characters outside the Basic Multilingual Plane.
func CompareStrings(a, b string) int {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	if i == len(a) || i == len(b) {
		switch {
		case len(a) == len(b):
			return 0
		case i == len(a):
			return -1
		default:
			return 1
		}
	}
	// Back up to the start of the differing rune.
	for i > 0 && !utf8.RuneStart(a[i]) {
		i--
	}
	ra, _ := utf8.DecodeRuneInString(a[i:])
	rb, _ := utf8.DecodeRuneInString(b[i:])
	ua, ub := utf16First(ra), utf16First(rb)
	switch {
	case ua < ub:
		return -1
	case ua > ub:
		return 1
	}
	// Same first code unit (both supplementary with the same high surrogate):
	// byte order of the rest matches code unit order.
	if a[i:] < b[i:] {
		return -1
	}
	return 1
}

func utf16First(r rune) rune {
	if r >= 0x10000 {
		return 0xD800 + ((r - 0x10000) >> 10)
	}
	return r
}
