// Package redact hides secrets in URLs before they reach a log line, an
// error or a result: the one redaction every package uses (NATS server
// URLs, HTTP task and Lambda URLs, the bench's server).
package redact

import "strings"

// Placeholder replaces what is hidden.
const Placeholder = "REDACTED"

// URL hides the secrets of each URL of a comma-separated list: the
// password of user info ("nats://alice:p@h:4222" becomes
// "nats://alice:REDACTED@h:4222"), user info without a password, which is a
// token ("nats://t@h" becomes "nats://REDACTED@h"), and query strings,
// which may carry keys ("https://h/x?sig=…" becomes "https://h/x"). Text
// that is not a URL is returned as it is.
func URL(s string) string {
	if !strings.ContainsAny(s, "@?") {
		return s
	}
	parts := strings.Split(s, ",")
	for i, p := range parts {
		parts[i] = one(p)
	}
	return strings.Join(parts, ",")
}

func one(u string) string {
	scheme := strings.Index(u, "://")
	if scheme < 0 {
		return u
	}
	rest := u[scheme+3:]
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	if at := strings.LastIndex(rest[:end], "@"); at >= 0 {
		if user, _, ok := strings.Cut(rest[:at], ":"); ok {
			rest = user + ":" + Placeholder + rest[at:]
		} else {
			rest = Placeholder + rest[at:]
		}
	}
	if q := strings.IndexByte(rest, '?'); q >= 0 {
		frag := ""
		if h := strings.IndexByte(rest[q:], '#'); h >= 0 {
			frag = rest[q+h:]
		}
		rest = rest[:q] + frag
	}
	return u[:scheme+3] + rest
}
