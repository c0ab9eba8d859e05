package natstask

import (
	"math"
	"strings"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/expressd/expressd/pkg/task"
	"github.com/expressd/expressd/pkg/value"
)

// maxParamsInCause bounds how much of the Parameters JSON a
// States.Runtime cause repeats, so causes stay far below AWS's
// 32,768-character cause limit.
const maxParamsInCause = 1024

// maxErrorName is AWS's limit on the length of an error name.
const maxErrorName = 256

// paramError reports Parameters that cannot start the task, worded as AWS
// words it: States.Runtime, which Retry and Catch cannot match.
func paramError(in value.Value, problem string) *task.Error {
	js := in.JSON()
	if len(js) > maxParamsInCause {
		js = js[:maxParamsInCause] + "…"
	}
	return &task.Error{
		Name:  ErrRuntime,
		Cause: "The Parameters '" + js + "' could not be used to start the Task: [" + problem + "]",
	}
}

// checkFields rejects members of in that are not in allowed.
func checkFields(in value.Value, allowed ...string) *task.Error {
	if in.Kind() != value.Object {
		return paramError(in, "The Parameters must be a JSON object")
	}
next:
	for _, k := range in.Keys() {
		for _, a := range allowed {
			if k == a {
				continue next
			}
		}
		return paramError(in, "The field '"+k+"' is not supported by Step Functions")
	}
	return nil
}

// subjectParam returns the required, publishable Subject member.
func subjectParam(in value.Value) (string, *task.Error) {
	v, ok := in.Get("Subject")
	if !ok {
		return "", paramError(in, "The field 'Subject' is required")
	}
	if v.Kind() != value.String {
		return "", paramError(in, "The value for the field 'Subject' must be a STRING")
	}
	s := v.Str()
	if !validSubject(s) {
		return "", paramError(in, "The value for the field 'Subject' must be a NATS subject without wildcards")
	}
	return s, nil
}

// validSubject reports whether s can be published to: non-empty tokens,
// no white space, no wildcard tokens.
func validSubject(s string) bool {
	if s == "" || strings.ContainsAny(s, " \t\r\n") {
		return false
	}
	for tok := range strings.SplitSeq(s, ".") {
		if tok == "" || tok == "*" || tok == ">" {
			return false
		}
	}
	return true
}

// PayloadBytes returns the message body for a Payload value: the text of
// a string unchanged, the compact JSON text of anything else. A string
// payload is therefore sent as raw bytes, which lets a definition send
// text or a JSON document it already holds as a string (AWS sends a
// string lambda:invoke Payload the same way).
func PayloadBytes(v value.Value) []byte {
	if v.Kind() == value.String {
		return []byte(v.Str())
	}
	return value.AppendJSON(nil, v)
}

// BodyValue returns the Task result for a reply body: the body parsed as
// JSON when it is valid JSON, else the body as a JSON string; an empty
// body is null.
func BodyValue(b []byte) value.Value {
	if len(b) == 0 {
		return value.NullValue
	}
	if v, err := value.Parse(b); err == nil {
		return v
	}
	return value.FromString(string(b))
}

// headersParam converts the optional Headers member (an object of string
// or array-of-string values) into h, allocating h when needed.
func headersParam(in value.Value, h nats.Header) (nats.Header, *task.Error) {
	v, ok := in.Get("Headers")
	if !ok || v.IsNull() {
		return h, nil
	}
	if v.Kind() != value.Object {
		return h, paramError(in, "The value for the field 'Headers' must be an OBJECT")
	}
	if h == nil && v.Len() > 0 {
		h = make(nats.Header, v.Len())
	}
	for i, k := range v.Keys() {
		if k == "" || strings.ContainsAny(k, " \t\r\n:") {
			return h, paramError(in, "The header name '"+k+"' is not valid")
		}
		hv := v.Index(i)
		switch hv.Kind() {
		case value.String:
			h[k] = append(h[k], hv.Str())
		case value.Array:
			for _, e := range hv.Items() {
				if e.Kind() != value.String {
					return h, paramError(in, "The values of header '"+k+"' must be STRINGs")
				}
				h[k] = append(h[k], e.Str())
			}
		default:
			return h, paramError(in, "The value of header '"+k+"' must be a STRING or an array of STRINGs")
		}
	}
	return h, nil
}

// maxTimeoutSeconds bounds TimeoutSeconds: no Express execution lives
// longer than 5 minutes, so a longer wait is a definition error.
const maxTimeoutSeconds = 300

// timeoutParam returns the optional TimeoutSeconds member, def when absent.
func timeoutParam(in value.Value, def time.Duration) (time.Duration, *task.Error) {
	v, ok := in.Get("TimeoutSeconds")
	if !ok || v.IsNull() {
		return def, nil
	}
	f := v.Float()
	if v.Kind() != value.Number || !(f > 0) || f > maxTimeoutSeconds || math.IsInf(f, 0) {
		return 0, paramError(in, "The value for the field 'TimeoutSeconds' must be a number greater than 0 and at most 300")
	}
	return time.Duration(f * float64(time.Second)), nil
}

// truncName keeps an error name within AWS's limit.
func truncName(s string) string {
	if len(s) > maxErrorName {
		return s[:maxErrorName]
	}
	return s
}
