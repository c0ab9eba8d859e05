package config

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/expressd/expressd/pkg/internal/redact"
)

// subjectProblem returns what is wrong with the NATS subject s, or "".
// Wildcards are allowed only when wild is set: * as a whole token, > as the
// whole last token.
func subjectProblem(s string, wild bool) string {
	if s == "" {
		return "must not be empty"
	}
	if strings.ContainsAny(s, " \t\r\n") {
		return fmt.Sprintf("subject %q contains white space", s)
	}
	toks := strings.Split(s, ".")
	for i, t := range toks {
		switch {
		case t == "":
			return fmt.Sprintf("subject %q has an empty token", s)
		case t == "*" || t == ">":
			if !wild {
				return fmt.Sprintf("subject %q must not contain wildcards", s)
			}
			if t == ">" && i != len(toks)-1 {
				return fmt.Sprintf("subject %q: > must be the last token", s)
			}
		case strings.ContainsAny(t, "*>"):
			return fmt.Sprintf("subject %q: wildcards must be whole tokens", s)
		}
	}
	return ""
}

func checkSubject(s string) string        { return subjectProblem(s, true) }
func checkLiteralSubject(s string) string { return subjectProblem(s, false) }

func checkResultsSubject(s string) string {
	if p := subjectProblem(s, false); p != "" {
		return p
	}
	if !strings.HasPrefix(s, ResultsPrefix) {
		return fmt.Sprintf("subject %q must be under %s so the %s stream stores it", s, ResultsPrefix, ResultsStream)
	}
	return ""
}

func checkSubjectPrefix(s string) string {
	if strings.ContainsAny(s, "*>") {
		return fmt.Sprintf("prefix %q must not contain wildcards", s)
	}
	if p := subjectProblem(s+"x", false); p != "" {
		return fmt.Sprintf("prefix %q does not make valid subjects (%s)", s, p)
	}
	return ""
}

// overlaps reports whether some subject matches both patterns a and b.
func overlaps(a, b string) bool {
	ta, tb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; ; i++ {
		switch {
		case i == len(ta) && i == len(tb):
			return true
		case i == len(ta) || i == len(tb):
			return false
		case ta[i] == ">" || tb[i] == ">":
			return true
		case ta[i] != tb[i] && ta[i] != "*" && tb[i] != "*":
			return false
		}
	}
}

func checkHostPort(s string) string {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return fmt.Sprintf("must be host:port; got %q", s)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Sprintf("port %q must be a number from 0 to 65535", port)
	}
	_ = host // "" means every interface, as in net.Listen
	return ""
}

func checkListen(s string) string {
	if s == ListenOff {
		return ""
	}
	return checkHostPort(s)
}

// servers splits a comma-separated URL list.
func servers(s string) []string {
	var out []string
	for _, u := range strings.Split(s, ",") {
		out = append(out, strings.TrimSpace(u))
	}
	return out
}

func checkURLs(s string) string {
	for i, raw := range servers(s) {
		u, err := url.Parse(raw)
		if raw == "" || err != nil || u.Host == "" {
			return fmt.Sprintf("server %d %q is not a URL such as nats://host:4222", i+1, redact.URL(raw))
		}
		switch u.Scheme {
		case "nats", "tls", "ws", "wss":
		default:
			return fmt.Sprintf("server %d %q: scheme must be nats, tls, ws or wss", i+1, redact.URL(raw))
		}
	}
	return ""
}

func checkHTTPURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return fmt.Sprintf("must be an http:// or https:// URL; got %q", redact.URL(s))
	}
	return ""
}

// looksLikeSeed reports whether s is an nkey seed rather than a file name:
// 58 characters of base32 starting with S.
func looksLikeSeed(s string) bool {
	if len(s) != 58 || s[0] != 'S' {
		return false
	}
	for _, r := range s {
		if (r < 'A' || r > 'Z') && (r < '2' || r > '7') {
			return false
		}
	}
	return true
}
