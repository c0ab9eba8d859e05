package natsjs

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/expressd/expressd/pkg/engine"
	"github.com/expressd/expressd/pkg/states"
	"github.com/expressd/expressd/pkg/value"
	"github.com/expressd/expressd/pkg/vm"
)

// FuzzEventDecode covers what the binding does with an arbitrary event
// before and after its execution, without a server: the size check and
// value.Parse of onMessage, the reject reason (a NATS header value: it
// must stay on one line), and the result body built from the decoded
// input or the rejection, with an arbitrary subject and Nats-Msg-Id. The
// body must be valid JSON and UTF-8, and a decoded input must come back
// unchanged as the output. (The ack path itself is covered by the fault
// tests in cmd/expressd, which need servers.)
func FuzzEventDecode(f *testing.F) {
	for _, s := range []string{`{"a":1}`, `[1,2,{"b":null}]`, `"x"`, `not json`, "{\"a\":\"\xff\"}", strings.Repeat("[", 600), ``, `1e999`, `{"a":"\u0000\ud800"}`, strings.Repeat("[", 512) + strings.Repeat("]", 512)} {
		f.Add([]byte(s), "events.x", "id-1")
	}
	f.Fuzz(func(t *testing.T, data []byte, subject, msgID string) {
		res := engine.Result{Status: engine.Succeeded, Name: msgID, ExecutionArn: "arn:aws:states:us-east-1:123456789012:express:m:" + msgID + ":u",
			Start: time.Unix(0, 0), Stop: time.Unix(1, 0)}
		var reason string
		if len(data) > vm.PayloadLimit {
			reason = string(states.DataLimitExceeded) + ": too big"
		} else if in, err := value.Parse(data); err != nil {
			reason = string(ErrInvalidInput) + ": The event is not valid JSON: " + err.Error()
		} else {
			res.Output = in
		}
		if reason != "" {
			if strings.ContainsAny(reason, "\r\n") || !utf8.ValidString(reason) {
				t.Fatalf("reject reason not a valid header value: %q", reason)
			}
			res = engine.Result{Status: engine.Failed, Error: ErrInvalidInput, Cause: reason, HasError: true, HasCause: true,
				Name: msgID, Start: res.Start, Stop: res.Stop}
		}
		body := resultBody(nil, res, eventInfo{stream: "S", seq: 7, subject: subject, msgID: msgID, hasSeq: true})
		if !utf8.Valid(body) || !json.Valid(body) {
			t.Fatalf("result body is not valid JSON/UTF-8: %q", body)
		}
		// encoding/json, not value.Parse: an input at value.MaxDepth (512)
		// is nested one level deeper in the body (see README.md, Reliability).
		var back struct {
			Output json.RawMessage `json:"output"`
		}
		if err := json.Unmarshal(body, &back); err != nil {
			t.Fatalf("result body does not parse: %v", err)
		}
		if reason == "" {
			out, err := value.Parse(back.Output)
			if err != nil {
				t.Fatalf("output does not parse: %v", err)
			}
			if got, want := string(value.AppendJSON(nil, out)), string(value.AppendJSON(nil, res.Output)); got != want {
				t.Fatalf("output changed: %s != %s", got, want)
			}
		}
	})
}
