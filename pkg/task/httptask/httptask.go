package httptask

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/expressd/expressd/pkg/internal/redact"
	"github.com/expressd/expressd/pkg/states"
	"github.com/expressd/expressd/pkg/task"
	"github.com/expressd/expressd/pkg/value"
)

// Resource is the Resource ARN of the HTTP Task.
const Resource = "arn:aws:states:::http:invoke"

// Error names reported by [Handler] (task.Error.Name), from the catalogue
// in package states.
const (
	// ErrStatusCodePrefix prefixes the error of a non-2xx response:
	// "States.Http.StatusCode.404", as AWS names it.
	ErrStatusCodePrefix = states.HTTPStatusCodePrefix
	// ErrSocket: the request timed out or the connection failed.
	ErrSocket = states.HTTPSocket
	// ErrDataLimitExceeded: the response body exceeds [MaxResponseBytes].
	ErrDataLimitExceeded = states.DataLimitExceeded
	// ErrRuntime: the Parameters cannot start the task. Like AWS, it is
	// not matched by Retry or Catch.
	ErrRuntime = states.Runtime
)

// DefaultTimeout is AWS's HTTP Task socket timeout.
const DefaultTimeout = 60 * time.Second

// MaxResponseBytes bounds the response body read: Step Functions' 256 KiB
// payload quota, beyond which the result could not be used anyway.
const MaxResponseBytes = 256 << 10

// maxParamsInCause bounds how much of the Parameters a cause repeats.
const maxParamsInCause = 1024

// methods are the HTTP methods AWS's HTTP Task accepts.
var methods = []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch, http.MethodOptions, http.MethodHead}

// Option configures a [Handler].
type Option func(*Handler)

// WithTimeout sets the time allowed for one call, from connecting to the
// end of the response body (default 60s). Non-positive values are ignored.
func WithTimeout(d time.Duration) Option {
	return func(h *Handler) {
		if d > 0 {
			h.timeout = d
		}
	}
}

// WithClient sets the HTTP client (default http.DefaultClient). Its own
// Timeout, if any, also applies.
func WithClient(c *http.Client) Option {
	return func(h *Handler) {
		if c != nil {
			h.client = c
		}
	}
}

// Handler serves [Resource]. It is safe for concurrent use.
type Handler struct {
	client  *http.Client
	timeout time.Duration
}

// New returns a Handler.
func New(opts ...Option) *Handler {
	h := &Handler{client: http.DefaultClient, timeout: DefaultTimeout}
	for _, f := range opts {
		f(h)
	}
	return h
}

// Match matches [Resource].
func Match(resource string) bool { return resource == Resource }

// Invoke implements [task.Handler]: it validates the Parameters, then
// performs the call on a goroutine of its own (net/http blocks) and calls
// done from it.
func (h *Handler) Invoke(ctx context.Context, req *task.Request, done func(task.Result)) {
	hr, e := buildRequest(req.Input)
	if e != nil {
		done(task.Result{Err: e})
		return
	}
	timeout := h.timeout
	if req.TimeoutSeconds > 0 {
		// The engine fails the Task with States.Timeout at TimeoutSeconds;
		// the abandoned call must not hold a connection and its goroutines
		// until the (longer) client timeout. The grace lets the engine's
		// States.Timeout win over this call's States.Http.Socket.
		timeout = min(timeout, time.Duration(req.TimeoutSeconds)*time.Second+timeoutGrace)
	}
	go func() {
		done(h.do(ctx, hr, timeout))
	}()
}

// timeoutGrace is how long a call outlives its Task's TimeoutSeconds.
const timeoutGrace = time.Second

func (h *Handler) do(ctx context.Context, hr *http.Request, timeout time.Duration) task.Result {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	resp, err := h.client.Do(hr.WithContext(ctx))
	if err != nil {
		return socketError(hr, err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBytes+1))
	if err != nil {
		return socketError(hr, err)
	}
	if len(body) > MaxResponseBytes {
		return task.Result{Err: &task.Error{Name: ErrDataLimitExceeded,
			Cause: "The state/task '" + Resource + "' returned a result with a size exceeding the maximum number of bytes service limit."}}
	}
	out := responseValue(resp, body)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return task.Result{Err: &task.Error{Name: ErrStatusCodePrefix + states.Name(strconv.Itoa(resp.StatusCode)), Cause: out.JSON()}}
	}
	return task.Result{Output: out}
}

// socketError maps a transport failure (timeout, refused connection,
// reset) to States.Http.Socket.
func socketError(hr *http.Request, err error) task.Result {
	what := "failed"
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		what = "timed out"
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return task.Result{Err: &task.Error{Name: ErrSocket,
		Cause: "The HTTP request " + hr.Method + " " + redact.URL(hr.URL.String()) + " " + what + ": " + err.Error()}}
}

// responseValue builds AWS's response object:
// {"Headers": {name: [values]}, "ResponseBody": …, "StatusCode": n, "StatusText": "OK"}.
func responseValue(resp *http.Response, body []byte) value.Value {
	names := make([]string, 0, len(resp.Header))
	for k := range resp.Header {
		names = append(names, k)
	}
	slices.Sort(names)
	hv := make([]value.Value, len(names))
	for i, k := range names {
		vs := resp.Header[k]
		items := make([]value.Value, len(vs))
		for j, v := range vs {
			items[j] = value.FromString(v)
		}
		hv[i] = value.FromArray(items)
	}
	return value.FromObject(
		[]string{"Headers", "ResponseBody", "StatusCode", "StatusText"},
		[]value.Value{
			value.FromObject(names, hv),
			bodyValue(resp.Header.Get("Content-Type"), body),
			value.FromInt(int64(resp.StatusCode)),
			value.FromString(http.StatusText(resp.StatusCode)),
		},
	)
}

// bodyValue parses a JSON response body (Content-Type application/json or
// */*+json) and keeps any other body, or JSON that does not parse, as a
// string.
func bodyValue(contentType string, body []byte) value.Value {
	media, _, _ := mime.ParseMediaType(contentType)
	if media == "application/json" || strings.HasSuffix(media, "+json") {
		if v, err := value.Parse(body); err == nil {
			return v
		}
	}
	return value.FromString(string(body))
}

// buildRequest validates the Parameters and builds the request.
func buildRequest(in value.Value) (*http.Request, *task.Error) {
	if in.Kind() != value.Object {
		return nil, paramError(in, "The Parameters must be a JSON object")
	}
	for _, k := range in.Keys() {
		switch k {
		case "ApiEndpoint", "Method", "Headers", "QueryParameters", "RequestBody", "Authentication", "InvocationConfig":
		case "Transform":
			return nil, paramError(in, "The field 'Transform' is not supported by expressd")
		default:
			return nil, paramError(in, "The field '"+k+"' is not supported by Step Functions")
		}
	}

	ep, ok := in.Get("ApiEndpoint")
	if !ok {
		return nil, paramError(in, "The field 'ApiEndpoint' is required")
	}
	if ep.Kind() != value.String {
		return nil, paramError(in, "The value for the field 'ApiEndpoint' must be a STRING")
	}
	u, err := url.Parse(ep.Str())
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, paramError(in, "The value for the field 'ApiEndpoint' must be an http or https URL")
	}

	mv, ok := in.Get("Method")
	if !ok {
		return nil, paramError(in, "The field 'Method' is required")
	}
	method := mv.Str()
	if mv.Kind() != value.String || !slices.Contains(methods, method) {
		return nil, paramError(in, "The value for the field 'Method' must be one of GET, POST, PUT, DELETE, PATCH, OPTIONS, HEAD")
	}

	if qp, ok := in.Get("QueryParameters"); ok && !qp.IsNull() {
		if qp.Kind() != value.Object {
			return nil, paramError(in, "The value for the field 'QueryParameters' must be an OBJECT")
		}
		q := u.Query()
		for i, k := range qp.Keys() {
			vs, ok := strings1(qp.Index(i))
			if !ok {
				return nil, paramError(in, "The value of query parameter '"+k+"' must be a STRING or an array of STRINGs")
			}
			q[k] = append(q[k], vs...)
		}
		u.RawQuery = q.Encode()
	}

	var body io.Reader
	hasBody := false
	if b, ok := in.Get("RequestBody"); ok {
		hasBody = true
		if b.Kind() == value.String {
			body = strings.NewReader(b.Str())
		} else {
			body = bytes.NewReader(value.AppendJSON(nil, b))
		}
	}
	hr, err := http.NewRequest(method, u.String(), body)
	if err != nil {
		return nil, paramError(in, "The HTTP request cannot be built: "+err.Error())
	}

	if hv, ok := in.Get("Headers"); ok && !hv.IsNull() {
		if hv.Kind() != value.Object {
			return nil, paramError(in, "The value for the field 'Headers' must be an OBJECT")
		}
		for i, k := range hv.Keys() {
			vs, ok := strings1(hv.Index(i))
			if !ok || k == "" || strings.ContainsAny(k, " \t\r\n:") {
				return nil, paramError(in, "The header '"+k+"' must have a valid name and a STRING or an array of STRINGs")
			}
			for _, v := range vs {
				hr.Header.Add(k, v)
			}
		}
	}
	if hasBody && hr.Header.Get("Content-Type") == "" {
		hr.Header.Set("Content-Type", "application/json; charset=UTF-8")
	}
	return hr, nil
}

// strings1 returns a header or query value as strings: a string, a number
// or boolean (as its JSON text), or an array of those.
func strings1(v value.Value) ([]string, bool) {
	switch v.Kind() {
	case value.String:
		return []string{v.Str()}, true
	case value.Number, value.Bool:
		return []string{v.JSON()}, true
	case value.Array:
		out := make([]string, 0, v.Len())
		for _, e := range v.Items() {
			switch e.Kind() {
			case value.String:
				out = append(out, e.Str())
			case value.Number, value.Bool:
				out = append(out, e.JSON())
			default:
				return nil, false
			}
		}
		return out, true
	}
	return nil, false
}

// paramError reports Parameters that cannot start the task, worded as AWS
// words it.
func paramError(in value.Value, problem string) *task.Error {
	js := in.JSON()
	if len(js) > maxParamsInCause {
		js = js[:maxParamsInCause] + "…"
	}
	return &task.Error{Name: ErrRuntime, Cause: "The Parameters '" + js + "' could not be used to start the Task: [" + problem + "]"}
}
