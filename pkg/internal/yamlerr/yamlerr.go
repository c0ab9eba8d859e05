// Package yamlerr turns a YAML syntax error into a line and a message,
// with the line where the text goes wrong rather than the one yaml.v3
// names. For some errors ("did not find expected key", "could not find
// expected ':'") the parser reports the line where the enclosing mapping
// started: an indentation mistake on line 4 of a config was reported on
// line 1. The asl and config packages share it.
package yamlerr

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

var lineRE = regexp.MustCompile(`^yaml: line (\d+): `)

// Locate returns the 1-based line of err in data (0 when unknown) and the
// message without the "yaml: line N: " prefix. When data's first k lines
// alone fail to parse with the same message, the smallest such k is taken:
// that is where the text stops being YAML.
func Locate(data []byte, err error) (line int, msg string) {
	full := err.Error()
	msg = strings.TrimPrefix(full, "yaml: ")
	if m := lineRE.FindStringSubmatch(full); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = full[len(m[0]):]
	}
	lines := bytes.SplitAfter(bytes.TrimRight(data, "\n"), []byte("\n"))
	if len(lines) == 1 {
		return 1, msg
	}
	if line >= len(lines) {
		return line, msg
	}
	fails := func(k int) bool { // the first k lines fail with the same message
		var n yaml.Node
		e := yaml.Unmarshal(bytes.Join(lines[:k], nil), &n)
		if e == nil {
			return false
		}
		em := e.Error()
		if m := lineRE.FindStringSubmatch(em); m != nil {
			em = em[len(m[0]):]
		}
		return em == msg
	}
	lo, hi := max(line, 1), len(lines) // the answer is in [lo, hi]
	if !fails(hi) {
		return line, msg
	}
	for lo < hi {
		mid := (lo + hi) / 2
		if fails(mid) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo, msg
}
