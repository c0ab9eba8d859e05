package natssink

import "strings"

// validSubject reports whether s is a publishable subject: non-empty
// dot-separated tokens without wildcards or whitespace.
func validSubject(s string) bool {
	if s == "" {
		return false
	}
	for tok := range strings.SplitSeq(s, ".") {
		if tok == "" || tok == "*" || tok == ">" || strings.ContainsAny(tok, " \t\r\n") {
			return false
		}
	}
	return true
}

// subjectCovers reports whether the stream subject filter captures every
// subject matching pattern, where pattern's "*" tokens stand for any token
// (a subset test on subjects, as nats-server does for stream subjects).
func subjectCovers(filter, pattern string) bool {
	ft, pt := strings.Split(filter, "."), strings.Split(pattern, ".")
	for i, f := range ft {
		if f == ">" {
			return i < len(pt)
		}
		if i >= len(pt) {
			return false
		}
		if f != "*" && (pt[i] == "*" || f != pt[i]) {
			return false
		}
	}
	return len(ft) == len(pt)
}
