package lambda

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/expressd/expressd/pkg/internal/redact"
	"github.com/expressd/expressd/pkg/internal/uuid"
	"github.com/expressd/expressd/pkg/states"

	"github.com/expressd/expressd/pkg/task"
	"github.com/expressd/expressd/pkg/task/natstask"
	"github.com/expressd/expressd/pkg/value"
)

// ResourceInvoke is the optimized Lambda integration. Legacy resources
// are function ARNs, arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER].
const ResourceInvoke = "arn:aws:states:::lambda:invoke"

// Error names reported by [Handler] besides the function's own errorType,
// from the catalogue in package states.
const (
	// ErrResourceNotFound: the function maps to no target (or its
	// SubjectPrefix subject has no responders).
	ErrResourceNotFound = states.LambdaResourceNotFound
	// ErrUnknown: the function failed without an error type.
	ErrUnknown = states.LambdaUnknown
	// ErrServiceException: the target could not be reached (no responders
	// on a mapped subject, connection refused or closed).
	ErrServiceException = states.LambdaServiceException
	// ErrTimeout: no reply within the timeout; the cause is empty, as AWS
	// reports a Lambda task timeout.
	ErrTimeout = states.Timeout
	// ErrDataLimitExceeded: an HTTP target's reply exceeds MaxResponseBytes.
	ErrDataLimitExceeded = states.DataLimitExceeded
	// ErrRuntime: the Parameters cannot start the task. Like AWS, it is
	// not matched by Retry or Catch.
	ErrRuntime = states.Runtime
)

// Request and reply headers exchanged with targets.
const (
	// HeaderRequestID carries the invocation's request id to the target.
	HeaderRequestID = "Lambda-Request-Id"
	// HeaderFunctionName carries the function name to the target.
	HeaderFunctionName = "Lambda-Function-Name"
	// HeaderFunctionError in a reply marks the body as a function error
	// (AWS's X-Amz-Function-Error is recognised too).
	HeaderFunctionError = "Lambda-Function-Error"
)

// DefaultTimeout bounds one invocation when the Task has no
// TimeoutSeconds: the Express execution cap.
const DefaultTimeout = 5 * time.Minute

// MaxResponseBytes bounds an HTTP target's reply: Step Functions' 256 KiB
// payload quota.
const MaxResponseBytes = 256 << 10

const maxParamsInCause = 1024

// Target is where a function runs: a NATS subject (request-reply, for
// example a nats.go/micro endpoint) or an HTTP URL (POST). Exactly one is
// set.
type Target struct {
	Subject string
	URL     string
}

// Options configures a [Handler].
type Options struct {
	// Functions maps a function to its target. Keys are a full function
	// ARN, NAME:QUALIFIER or NAME, tried in that order.
	Functions map[string]Target
	// SubjectPrefix, when set, sends functions missing from Functions to
	// the subject SubjectPrefix+NAME (for example "lambda." → "lambda.NAME");
	// no responders there is reported as ResourceNotFoundException.
	SubjectPrefix string
	// Region and Account fill the ARNs of functions named without one
	// (default us-east-1 and 123456789012).
	Region, Account string
	// Timeout bounds one invocation when the Task has no TimeoutSeconds
	// (default DefaultTimeout).
	Timeout time.Duration
}

// Handler serves [ResourceInvoke] and legacy Lambda function ARNs. It is
// safe for concurrent use.
type Handler struct {
	opts   Options
	req    *natstask.Requester // nil without subject targets
	client *http.Client
}

// New returns a Handler. NATS targets are called through req, which may
// be shared with the nats:request integration and stays the caller's to
// close; it may be nil when no target is a subject and SubjectPrefix is
// empty, or when the handler only checks definitions (Check) and is never
// invoked (`expressd validate --config`). httpClient nil means
// http.DefaultClient.
//
// New takes a natstask.Requester rather than a *nats.Conn because only
// engine/natsjs, pkg/task/nats* and cmd may import NATS (the dependency
// rule tested in cmd/expressd).
func New(opts Options, req *natstask.Requester, httpClient *http.Client) (*Handler, error) {
	if opts.Region == "" {
		opts.Region = "us-east-1"
	}
	if opts.Account == "" {
		opts.Account = "123456789012"
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	for name, t := range opts.Functions {
		switch {
		case (t.Subject == "") == (t.URL == ""):
			return nil, fmt.Errorf("lambda: function %q: set exactly one of subject and url", name)
		case t.Subject != "":
		default:
			u, err := url.Parse(t.URL)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return nil, fmt.Errorf("lambda: function %q: url %q is not an http(s) URL", name, t.URL)
			}
		}
	}
	h := &Handler{opts: opts, req: req, client: httpClient}
	if h.client == nil {
		h.client = http.DefaultClient
	}
	return h, nil
}

// Match matches [ResourceInvoke] and legacy function ARNs.
func Match(resource string) bool { return resource == ResourceInvoke || MatchLegacy(resource) }

// MatchLegacy matches function ARNs arn:PARTITION:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER].
func MatchLegacy(resource string) bool {
	f, ok := parseFunction(resource)
	return ok && f.arn
}

// function is a parsed FunctionName.
type function struct {
	partition, region, account, name, qualifier string
	arn                                         bool // given as a full ARN
	given                                       string
}

// parseFunction parses a function name, NAME:QUALIFIER, a partial ARN
// ACCOUNT:function:NAME[:QUALIFIER] or a full ARN.
func parseFunction(s string) (function, bool) {
	f := function{given: s}
	parts := strings.Split(s, ":")
	switch {
	case len(parts) >= 7 && parts[0] == "arn" && parts[2] == "lambda" && parts[5] == "function":
		if len(parts) > 8 {
			return f, false
		}
		f.arn = true
		f.partition, f.region, f.account, f.name = parts[1], parts[3], parts[4], parts[6]
		if len(parts) == 8 {
			f.qualifier = parts[7]
		}
	case len(parts) >= 3 && parts[1] == "function":
		if len(parts) > 4 {
			return f, false
		}
		f.account, f.name = parts[0], parts[2]
		if len(parts) == 4 {
			f.qualifier = parts[3]
		}
	case len(parts) <= 2:
		f.name = parts[0]
		if len(parts) == 2 {
			f.qualifier = parts[1]
		}
	default:
		return f, false
	}
	if f.name == "" || (len(parts) == 2 && f.qualifier == "") || strings.ContainsAny(s, " \t\r\n") {
		return f, false
	}
	return f, true
}

// route is a resolved target.
type route struct {
	Target
	prefixed bool // derived from SubjectPrefix
}

func (h *Handler) resolve(f function) (route, bool) {
	if t, ok := h.opts.Functions[f.given]; ok {
		return route{Target: t}, true
	}
	if f.qualifier != "" {
		if t, ok := h.opts.Functions[f.name+":"+f.qualifier]; ok {
			return route{Target: t}, true
		}
	}
	if t, ok := h.opts.Functions[f.name]; ok {
		return route{Target: t}, true
	}
	if h.opts.SubjectPrefix != "" {
		return route{Target: Target{Subject: h.opts.SubjectPrefix + f.name}, prefixed: true}, true
	}
	return route{}, false
}

// Check implements [task.Checker]: a function named statically (a legacy
// function ARN, or a literal FunctionName of lambda:invoke) must have a
// mapping, or a SubjectPrefix must cover it. A FunctionName computed at run
// time ("FunctionName.$", a JSONata expression) is checked at run time and
// fails with Lambda.ResourceNotFoundException, as on AWS.
func (h *Handler) Check(resource string, args value.Value) error {
	var f function
	if resource == ResourceInvoke {
		v, ok := args.Get("FunctionName")
		if !ok || v.Kind() != value.String || strings.HasPrefix(v.Str(), "{%") {
			return nil
		}
		if f, ok = parseFunction(v.Str()); !ok {
			return fmt.Errorf("FunctionName %q is not a function name or ARN", v.Str())
		}
	} else {
		var ok bool
		if f, ok = parseFunction(resource); !ok || !f.arn {
			return fmt.Errorf("%q is not a Lambda function ARN", resource)
		}
	}
	if _, ok := h.resolve(f); !ok {
		return fmt.Errorf("the Lambda function %q has no mapping: add integrations.lambda.functions.%s (a NATS subject or a URL), or set integrations.lambda.subject_prefix", f.name, f.name)
	}
	return nil
}

// call is one invocation in flight.
type call struct {
	h         *Handler
	fn        function
	legacy    bool
	requestID string
	done      func(task.Result)
}

// Invoke implements [task.Handler].
func (h *Handler) Invoke(ctx context.Context, req *task.Request, done func(task.Result)) {
	c := &call{h: h, requestID: uuid.New(), done: done}
	var payload []byte
	if req.Resource == ResourceInvoke {
		var e *task.Error
		c.fn, payload, e = invokeParams(req.Input)
		if e != nil {
			done(task.Result{Err: e})
			return
		}
	} else {
		f, ok := parseFunction(req.Resource)
		if !ok || !f.arn {
			done(task.Result{Err: &task.Error{Name: ErrRuntime, Cause: "The resource '" + req.Resource + "' is not a Lambda function ARN"}})
			return
		}
		c.fn, c.legacy = f, true
		payload = value.AppendJSON(nil, req.Input)
	}
	rt, ok := h.resolve(c.fn)
	if !ok {
		done(task.Result{Err: c.notFound()})
		return
	}
	timeout := h.opts.Timeout
	if req.TimeoutSeconds > 0 {
		timeout = time.Duration(req.TimeoutSeconds) * time.Second
	}
	if rt.Subject != "" {
		c.viaNATS(ctx, rt, payload, timeout)
		return
	}
	go c.viaHTTP(ctx, rt.URL, payload, timeout)
}

// invokeParams validates lambda:invoke Parameters. An absent or null
// Payload sends {} (what a function receives from AWS for no payload); a
// string Payload is sent as its raw text, as AWS does.
func invokeParams(in value.Value) (function, []byte, *task.Error) {
	if in.Kind() != value.Object {
		return function{}, nil, paramError(in, "The Parameters must be a JSON object")
	}
	var f function
	var payload []byte
	for i, k := range in.Keys() {
		v := in.Index(i)
		switch k {
		case "FunctionName":
			if v.Kind() != value.String {
				return f, nil, paramError(in, "The value for the field 'FunctionName' must be a STRING")
			}
			var ok bool
			if f, ok = parseFunction(v.Str()); !ok {
				return f, nil, paramError(in, "The value for the field 'FunctionName' is not a function name or ARN")
			}
		case "Payload":
			if !v.IsNull() {
				payload = natstask.PayloadBytes(v)
			}
		case "InvocationType":
			if v.Str() != "RequestResponse" {
				return f, nil, paramError(in, "The field 'InvocationType' supports only RequestResponse in expressd")
			}
		case "Qualifier", "LogType", "ClientContext":
		default:
			return f, nil, paramError(in, "The field '"+k+"' is not supported by Step Functions")
		}
	}
	if f.name == "" {
		return f, nil, paramError(in, "The field 'FunctionName' is required")
	}
	if q, ok := in.Get("Qualifier"); ok && q.Kind() == value.String && q.Str() != "" {
		if f.qualifier != "" && f.qualifier != q.Str() {
			return f, nil, paramError(in, "The Qualifier differs from the one in 'FunctionName'")
		}
		f.qualifier = q.Str()
	}
	if payload == nil {
		payload = []byte("{}")
	}
	return f, payload, nil
}

func (c *call) viaNATS(ctx context.Context, rt route, payload []byte, timeout time.Duration) {
	if c.h.req == nil {
		c.done(task.Result{Err: &task.Error{Name: ErrRuntime, Cause: "expressd: this Lambda handler has no NATS connection (it only checks definitions)"}})
		return
	}
	hdr := map[string][]string{HeaderRequestID: {c.requestID}, HeaderFunctionName: {c.fn.name}}
	c.h.req.Call(ctx, rt.Subject, payload, hdr, timeout, func(m natstask.Reply) {
		switch err := m.Err; {
		case err == nil:
		case natstask.IsNoResponders(err) && rt.prefixed:
			c.done(task.Result{Err: c.notFound()})
			return
		case natstask.IsTimeout(err):
			c.done(task.Result{Err: &task.Error{Name: ErrTimeout}})
			return
		default:
			c.done(task.Result{Err: &task.Error{Name: ErrServiceException, Cause: "function " + c.fn.name + " on subject '" + rt.Subject + "': " + err.Error()}})
			return
		}
		code, hasCode := header(m.Header, natstask.HeaderServiceErrorCode)
		desc, hasDesc := header(m.Header, natstask.HeaderServiceError)
		if hasCode || hasDesc {
			c.done(task.Result{Err: c.functionError(m.Data, first(code), first(desc), true)})
			return
		}
		if fe, _ := header(m.Header, HeaderFunctionError); first(fe) != "" {
			c.done(task.Result{Err: c.functionError(m.Data, "", "", false)})
			return
		}
		if fe, _ := header(m.Header, "X-Amz-Function-Error"); first(fe) != "" {
			c.done(task.Result{Err: c.functionError(m.Data, "", "", false)})
			return
		}
		c.done(c.success(m.Data))
	})
}

func (c *call) viaHTTP(ctx context.Context, target string, payload []byte, timeout time.Duration) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(payload))
	if err != nil {
		c.done(task.Result{Err: &task.Error{Name: ErrServiceException, Cause: err.Error()}})
		return
	}
	hr.Header.Set("Content-Type", "application/json")
	hr.Header.Set(HeaderRequestID, c.requestID)
	hr.Header.Set(HeaderFunctionName, c.fn.name)
	resp, err := c.h.client.Do(hr)
	var body []byte
	if err == nil {
		body, err = io.ReadAll(io.LimitReader(resp.Body, MaxResponseBytes+1))
		_ = resp.Body.Close()
	}
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			c.done(task.Result{Err: &task.Error{Name: ErrTimeout}})
			return
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		c.done(task.Result{Err: &task.Error{Name: ErrServiceException, Cause: "function " + c.fn.name + ": POST " + redact.URL(hr.URL.String()) + ": " + err.Error()}})
		return
	}
	if len(body) > MaxResponseBytes {
		c.done(task.Result{Err: &task.Error{Name: ErrDataLimitExceeded,
			Cause: "The state/task '" + c.resource() + "' returned a result with a size exceeding the maximum number of bytes service limit."}})
		return
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 || resp.Header.Get(HeaderFunctionError) != "" || resp.Header.Get("X-Amz-Function-Error") != "" {
		c.done(task.Result{Err: c.functionError(body, "", "", false)})
		return
	}
	c.done(c.success(body))
}

func (c *call) resource() string {
	if c.legacy {
		return c.fn.given
	}
	return ResourceInvoke
}

// functionError maps a failed invocation to AWS's shape: the error is
// the payload's errorType and the cause the payload's JSON text; a micro
// error reply without one gets errorType = its code and a synthesized
// {"errorMessage","errorType","requestId"}; anything else is
// Lambda.Unknown.
func (c *call) functionError(body []byte, code, desc string, isMicro bool) *task.Error {
	v := natstask.BodyValue(body)
	if v.Kind() == value.Object {
		if et, ok := v.Get("errorType"); ok && et.Kind() == value.String && et.Str() != "" {
			return &task.Error{Name: states.Name(truncName(et.Str())), Cause: v.JSON()}
		}
	}
	if isMicro && code != "" {
		cause := value.FromObject(
			[]string{"errorMessage", "errorType", "requestId"},
			[]value.Value{value.FromString(desc), value.FromString(code), value.FromString(c.requestID)},
		)
		return &task.Error{Name: states.Name(truncName(code)), Cause: cause.JSON()}
	}
	return &task.Error{Name: ErrUnknown, Cause: "The cause could not be determined because Lambda did not return an error type. Returned payload: " + string(body)}
}

// notFound is AWS's ResourceNotFoundException for the function.
func (c *call) notFound() *task.Error {
	f := c.fn
	part, region, account, qual := f.partition, f.region, f.account, f.qualifier
	if part == "" {
		part = "aws"
	}
	if region == "" {
		region = c.h.opts.Region
	}
	if account == "" {
		account = c.h.opts.Account
	}
	if qual == "" {
		qual = "$LATEST"
	}
	return &task.Error{
		Name: ErrResourceNotFound,
		Cause: "Function not found: arn:" + part + ":lambda:" + region + ":" + account + ":function:" + f.name + ":" + qual +
			" (Service: AWSLambda; Status Code: 404; Error Code: ResourceNotFoundException; Request ID: " + c.requestID + "; Proxy: null)",
	}
}

// success builds the result: the function's result for a legacy ARN, the
// Invoke response for lambda:invoke.
func (c *call) success(body []byte) task.Result {
	payload := natstask.BodyValue(body)
	if c.legacy {
		return task.Result{Output: payload}
	}
	version := "$LATEST"
	if _, err := strconv.ParseUint(c.fn.qualifier, 10, 64); err == nil {
		version = c.fn.qualifier
	}
	s := value.FromString
	one := func(v string) value.Value { return value.FromArray([]value.Value{s(v)}) }
	length := strconv.Itoa(len(body))
	date := time.Now().UTC().Format(http.TimeFormat)
	trace := traceID()
	all := value.FromObject(
		[]string{"X-Amz-Executed-Version", "x-amzn-Remapped-Content-Length", "Connection", "x-amzn-RequestId", "Content-Length", "Date", "X-Amzn-Trace-Id", "Content-Type"},
		[]value.Value{one(version), one("0"), one("keep-alive"), one(c.requestID), one(length), one(date), one(trace), one("application/json")},
	)
	hdrs := value.FromObject(
		[]string{"Connection", "Content-Length", "Content-Type", "Date", "X-Amz-Executed-Version", "x-amzn-Remapped-Content-Length", "x-amzn-RequestId", "X-Amzn-Trace-Id"},
		[]value.Value{s("keep-alive"), s(length), s("application/json"), s(date), s(version), s("0"), s(c.requestID), s(trace)},
	)
	out := value.FromObject(
		[]string{"ExecutedVersion", "Payload", "SdkHttpMetadata", "SdkResponseMetadata", "StatusCode"},
		[]value.Value{
			s(version),
			payload,
			value.FromObject([]string{"AllHttpHeaders", "HttpHeaders", "HttpStatusCode"}, []value.Value{all, hdrs, value.FromInt(200)}),
			value.FromObject([]string{"RequestId"}, []value.Value{s(c.requestID)}),
			value.FromInt(200),
		},
	)
	return task.Result{Output: out}
}

// traceID returns an X-Ray style trace header value.
func traceID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return "Root=1-" + strconv.FormatInt(time.Now().Unix(), 16) + "-" + hex.EncodeToString(b[:]) + ";Sampled=0"
}

// header looks a header up by exact name, then ignoring case (NATS
// headers keep the case their sender used).
func header(h map[string][]string, name string) ([]string, bool) {
	if v, ok := h[name]; ok {
		return v, true
	}
	for k, v := range h {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return nil, false
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

func truncName(s string) string {
	if len(s) > 256 {
		return s[:256]
	}
	return s
}

func paramError(in value.Value, problem string) *task.Error {
	js := in.JSON()
	if len(js) > maxParamsInCause {
		js = js[:maxParamsInCause] + "…"
	}
	return &task.Error{Name: ErrRuntime, Cause: "The Parameters '" + js + "' could not be used to start the Task: [" + problem + "]"}
}
