package redact

import "testing"

func TestURL(t *testing.T) {
	for in, want := range map[string]string{
		"nats://127.0.0.1:4222":                  "nats://127.0.0.1:4222",
		"nats://user:secret@h:4222":              "nats://user:REDACTED@h:4222",
		"nats://token@h:4222,nats://u:p@h2:4222": "nats://REDACTED@h:4222,nats://u:REDACTED@h2:4222",
		"tls://a@b:c@h:4222":                     "tls://a@b:REDACTED@h:4222",
		"https://h/path?sig=abc&x=1":             "https://h/path",
		"https://u:p@h:8443/a/b?k=v#frag":        "https://u:REDACTED@h:8443/a/b#frag",
		"http://h/p@x":                           "http://h/p@x",
		"not a url":                              "not a url",
		"mailto:someone@example.com":             "mailto:someone@example.com",
	} {
		if got := URL(in); got != want {
			t.Errorf("URL(%q) = %q, want %q", in, got, want)
		}
	}
}
