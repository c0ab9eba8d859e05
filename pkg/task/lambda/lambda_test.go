package lambda_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"

	"github.com/expressd/expressd/pkg/states"
	"github.com/expressd/expressd/pkg/task"
	"github.com/expressd/expressd/pkg/task/lambda"
	"github.com/expressd/expressd/pkg/task/natstask"
	"github.com/expressd/expressd/pkg/value"
)

func connect(t *testing.T) *nats.Conn {
	t.Helper()
	s, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(), NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats server not ready")
	}
	t.Cleanup(func() { s.Shutdown(); s.WaitForShutdown() })
	nc, err := nats.Connect(s.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return nc
}

// functions starts a micro service with endpoints fn.echo, fn.boom,
// fn.typed, fn.untyped and auto.reflect, and an HTTP server with /echo,
// /fail and /down.
func functions(t *testing.T, nc *nats.Conn) *httptest.Server {
	t.Helper()
	svc, err := micro.AddService(nc, micro.Config{Name: "functions", Version: "0.1.0"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = svc.Stop() })
	add := func(g micro.Group, name string, h micro.HandlerFunc) {
		if err := g.AddEndpoint(name, h); err != nil {
			t.Fatal(err)
		}
	}
	fn := svc.AddGroup("fn")
	add(fn, "echo", func(r micro.Request) {
		if r.Headers().Get(lambda.HeaderRequestID) == "" {
			_ = r.Error("NoRequestId", "missing "+lambda.HeaderRequestID, nil)
			return
		}
		_ = r.Respond(r.Data())
	})
	add(fn, "boom", func(r micro.Request) { _ = r.Error("CustomException", "it broke", nil) })
	add(fn, "typed", func(r micro.Request) {
		_ = r.Respond([]byte(`{"errorMessage":"bad value","errorType":"ValueError","stackTrace":[]}`), micro.WithHeaders(micro.Headers{lambda.HeaderFunctionError: {"Unhandled"}}))
	})
	add(fn, "untyped", func(r micro.Request) {
		_ = r.Respond([]byte(`oops`), micro.WithHeaders(micro.Headers{lambda.HeaderFunctionError: {"Unhandled"}}))
	})
	add(svc.AddGroup("auto"), "reflect", func(r micro.Request) { _ = r.Respond(r.Data()) })

	mux := http.NewServeMux()
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.Method != http.MethodPost || r.Header.Get(lambda.HeaderFunctionName) != "web" {
			http.Error(w, "unexpected request", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	})
	mux.HandleFunc("/fail", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = io.WriteString(w, `{"errorMessage":"Some exception was raised.","errorType":"Exception","requestId":"r1","stackTrace":[]}`)
	})
	mux.HandleFunc("/down", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusBadGateway)
	})
	hs := httptest.NewServer(mux)
	t.Cleanup(hs.Close)
	return hs
}

func invoke(t *testing.T, h task.Handler, resource, in string, timeoutSeconds int64) task.Result {
	t.Helper()
	ch := make(chan task.Result, 2)
	h.Invoke(context.Background(), &task.Request{Resource: resource, State: "Start", Input: value.MustParse(in), TimeoutSeconds: timeoutSeconds}, func(r task.Result) { ch <- r })
	var r task.Result
	select {
	case r = <-ch:
	case <-time.After(10 * time.Second):
		t.Fatalf("Invoke(%s, %s): done not called", resource, in)
	}
	select {
	case <-ch:
		t.Fatalf("Invoke(%s, %s): done called twice", resource, in)
	case <-time.After(10 * time.Millisecond):
	}
	return r
}

func newHandler(t *testing.T, opts lambda.Options, nc *nats.Conn) *lambda.Handler {
	t.Helper()
	var req *natstask.Requester
	if nc != nil {
		var err error
		if req, err = natstask.NewRequest(nc); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = req.Close() })
	}
	h, err := lambda.New(opts, req, nil)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestInvokeResult(t *testing.T) {
	nc := connect(t)
	functions(t, nc)
	h := newHandler(t, lambda.Options{Functions: map[string]lambda.Target{"echo": {Subject: "fn.echo"}}}, nc)
	res := invoke(t, h, lambda.ResourceInvoke, `{"FunctionName":"echo","Payload":{"a":1}}`, 0)
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	out := res.Output
	if got := strings.Join(out.Keys(), ","); got != "ExecutedVersion,Payload,SdkHttpMetadata,SdkResponseMetadata,StatusCode" {
		t.Errorf("keys = %s", got)
	}
	get := func(v value.Value, path ...string) value.Value {
		for _, k := range path {
			v, _ = v.Get(k)
		}
		return v
	}
	for path, want := range map[string]string{
		"ExecutedVersion":                `"$LATEST"`,
		"Payload":                        `{"a":1}`,
		"StatusCode":                     `200`,
		"SdkHttpMetadata.HttpStatusCode": `200`,
		"SdkHttpMetadata.HttpHeaders.Content-Length":            `"7"`,
		"SdkHttpMetadata.HttpHeaders.Content-Type":              `"application/json"`,
		"SdkHttpMetadata.AllHttpHeaders.Content-Length":         `["7"]`,
		"SdkHttpMetadata.AllHttpHeaders.Connection":             `["keep-alive"]`,
		"SdkHttpMetadata.AllHttpHeaders.X-Amz-Executed-Version": `["$LATEST"]`,
	} {
		if got := get(out, strings.Split(path, ".")...).JSON(); got != want {
			t.Errorf("%s = %s, want %s", path, got, want)
		}
	}
	id := get(out, "SdkResponseMetadata", "RequestId").Str()
	if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(id) {
		t.Errorf("RequestId = %q, want a UUID", id)
	}
	if got := get(out, "SdkHttpMetadata", "HttpHeaders", "x-amzn-RequestId").Str(); got != id {
		t.Errorf("x-amzn-RequestId = %q, want %q", got, id)
	}
}

func TestInvoke(t *testing.T) {
	nc := connect(t)
	hs := functions(t, nc)
	silent, err := nc.SubscribeSync("fn.silent")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = silent.Unsubscribe() }()
	h := newHandler(t, lambda.Options{
		Functions: map[string]lambda.Target{
			"echo":         {Subject: "fn.echo"},
			"aliased:prod": {Subject: "fn.echo"},
			"boom":         {Subject: "fn.boom"},
			"typed":        {Subject: "fn.typed"},
			"untyped":      {Subject: "fn.untyped"},
			"silent":       {Subject: "fn.silent"},
			"unserved":     {Subject: "fn.nobody"},
			"web":          {URL: hs.URL + "/echo"},
			"webfail":      {URL: hs.URL + "/fail"},
			"webdown":      {URL: hs.URL + "/down"},
		},
		SubjectPrefix: "auto.",
		Timeout:       200 * time.Millisecond,
	}, nc)
	const legacy = "arn:aws:lambda:us-east-1:111111111111:function:"

	tests := []struct {
		name, resource, in string
		want               string // the Payload (lambda:invoke) or result (legacy)
		wantErr            states.Name
		wantCause          string // cause: regexp
	}{
		{name: "name", resource: lambda.ResourceInvoke, in: `{"FunctionName":"echo","Payload":[1,"x"]}`, want: `[1,"x"]`},
		{name: "full ARN", resource: lambda.ResourceInvoke, in: `{"FunctionName":"arn:aws:lambda:eu-west-1:222222222222:function:echo","Payload":true}`, want: `true`},
		{name: "partial ARN", resource: lambda.ResourceInvoke, in: `{"FunctionName":"222222222222:function:echo:$LATEST","Payload":1}`, want: `1`},
		{name: "alias", resource: lambda.ResourceInvoke, in: `{"FunctionName":"aliased:prod","Payload":2}`, want: `2`},
		{name: "qualifier field", resource: lambda.ResourceInvoke, in: `{"FunctionName":"aliased","Qualifier":"prod","Payload":3}`, want: `3`},
		{name: "no payload sends {}", resource: lambda.ResourceInvoke, in: `{"FunctionName":"echo"}`, want: `{}`},
		{name: "null payload sends {}", resource: lambda.ResourceInvoke, in: `{"FunctionName":"echo","Payload":null}`, want: `{}`},
		{name: "string payload is raw", resource: lambda.ResourceInvoke, in: `{"FunctionName":"echo","Payload":"0.0"}`, want: `0.0`},
		{name: "string payload text", resource: lambda.ResourceInvoke, in: `{"FunctionName":"echo","Payload":"\"HelloWorld\""}`, want: `"HelloWorld"`},
		{name: "prefix subject without responders", resource: lambda.ResourceInvoke, in: `{"FunctionName":"echo2","Payload":5}`, wantErr: lambda.ErrResourceNotFound},
		{name: "prefix resolves", resource: lambda.ResourceInvoke, in: `{"FunctionName":"arn:aws:lambda:us-east-1:1:function:reflect:live","Payload":6}`, want: `6`},
		{name: "http", resource: lambda.ResourceInvoke, in: `{"FunctionName":"web","Payload":{"k":"v"}}`, want: `{"k":"v"}`},
		{name: "legacy", resource: legacy + "echo", in: `"HelloWorld"`, want: `"HelloWorld"`},
		{name: "legacy object", resource: legacy + "echo", in: `{"FunctionName":"x","Payload":null}`, want: `{"FunctionName":"x","Payload":null}`},
		{name: "legacy http", resource: legacy + "web", in: `[]`, want: `[]`},
		{name: "legacy prefix", resource: legacy + "reflect:live", in: `7`, want: `7`},
		{name: "micro error code", resource: lambda.ResourceInvoke, in: `{"FunctionName":"boom"}`, wantErr: "CustomException",
			wantCause: `^\{"errorMessage":"it broke","errorType":"CustomException","requestId":"[0-9a-f-]{36}"\}$`},
		{name: "legacy micro error", resource: legacy + "boom", in: `{}`, wantErr: "CustomException"},
		{name: "typed error", resource: lambda.ResourceInvoke, in: `{"FunctionName":"typed"}`, wantErr: "ValueError",
			wantCause: `^\{"errorMessage":"bad value","errorType":"ValueError","stackTrace":\[\]\}$`},
		{name: "untyped error", resource: lambda.ResourceInvoke, in: `{"FunctionName":"untyped"}`, wantErr: lambda.ErrUnknown,
			wantCause: `^The cause could not be determined because Lambda did not return an error type\. Returned payload: oops$`},
		{name: "http error", resource: lambda.ResourceInvoke, in: `{"FunctionName":"webfail"}`, wantErr: "Exception",
			wantCause: `^\{"errorMessage":"Some exception was raised\.","errorType":"Exception","requestId":"r1","stackTrace":\[\]\}$`},
		{name: "http error without type", resource: lambda.ResourceInvoke, in: `{"FunctionName":"webdown"}`, wantErr: lambda.ErrUnknown, wantCause: `Returned payload: down`},
		{name: "timeout", resource: lambda.ResourceInvoke, in: `{"FunctionName":"silent"}`, wantErr: lambda.ErrTimeout, wantCause: `^$`},
		{name: "mapped subject without responders", resource: lambda.ResourceInvoke, in: `{"FunctionName":"unserved"}`, wantErr: lambda.ErrServiceException, wantCause: `fn\.nobody`},
		{name: "missing function name", resource: lambda.ResourceInvoke, in: `{"Payload":{}}`, wantErr: lambda.ErrRuntime, wantCause: `The field 'FunctionName' is required`},
		{name: "function name not a string", resource: lambda.ResourceInvoke, in: `{"FunctionName":1}`, wantErr: lambda.ErrRuntime, wantCause: `must be a STRING`},
		{name: "unknown field", resource: lambda.ResourceInvoke, in: `{"FunctionName":"echo","Body":1}`, wantErr: lambda.ErrRuntime, wantCause: `'Body' is not supported`},
		{name: "event invocation", resource: lambda.ResourceInvoke, in: `{"FunctionName":"echo","InvocationType":"Event"}`, wantErr: lambda.ErrRuntime, wantCause: `InvocationType`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := invoke(t, h, tc.resource, tc.in, 0)
			var name states.Name
			var cause string
			if res.Err != nil {
				name, cause = res.Err.Name, res.Err.Cause
			}
			if name != tc.wantErr {
				t.Fatalf("error = %q (cause %q), want %q", name, cause, tc.wantErr)
			}
			if tc.wantErr != "" {
				if !regexp.MustCompile(tc.wantCause).MatchString(cause) {
					t.Errorf("cause = %q, want it to match %s", cause, tc.wantCause)
				}
				return
			}
			got := res.Output
			if tc.resource == lambda.ResourceInvoke {
				got, _ = got.Get("Payload")
			}
			if got.JSON() != tc.want {
				t.Errorf("got %s, want %s", got.JSON(), tc.want)
			}
		})
	}
}

func TestNotFound(t *testing.T) {
	h := newHandler(t, lambda.Options{Region: "us-east-2", Account: "111111111111"}, nil)
	const tail = ` \(Service: AWSLambda; Status Code: 404; Error Code: ResourceNotFoundException; Request ID: [0-9a-f-]{36}; Proxy: null\)$`
	tests := []struct{ name, resource, in, want string }{
		{"name", lambda.ResourceInvoke, `{"FunctionName":"no_such_fn","Payload":null}`,
			`^Function not found: arn:aws:lambda:us-east-2:111111111111:function:no_such_fn:\$LATEST` + tail},
		{"ARN with alias", lambda.ResourceInvoke, `{"FunctionName":"arn:aws:lambda:eu-west-1:222222222222:function:f:live"}`,
			`^Function not found: arn:aws:lambda:eu-west-1:222222222222:function:f:live` + tail},
		{"legacy", "arn:aws:lambda:ap-south-1:333333333333:function:g", `{}`,
			`^Function not found: arn:aws:lambda:ap-south-1:333333333333:function:g:\$LATEST` + tail},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := invoke(t, h, tc.resource, tc.in, 0)
			if res.Err == nil || res.Err.Name != lambda.ErrResourceNotFound {
				t.Fatalf("got %+v, want %s", res.Err, lambda.ErrResourceNotFound)
			}
			if !regexp.MustCompile(tc.want).MatchString(res.Err.Cause) {
				t.Errorf("cause = %q, want it to match %s", res.Err.Cause, tc.want)
			}
		})
	}
}

func TestNew(t *testing.T) {
	tests := []struct {
		name string
		opts lambda.Options
		want string
	}{
		{"both targets", lambda.Options{Functions: map[string]lambda.Target{"f": {Subject: "a", URL: "http://127.0.0.1/"}}}, "exactly one"},
		{"no target", lambda.Options{Functions: map[string]lambda.Target{"f": {}}}, "exactly one"},
		{"bad url", lambda.Options{Functions: map[string]lambda.Target{"f": {URL: "ftp://x"}}}, "not an http(s) URL"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := lambda.New(tc.opts, nil, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("New: got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// TestCheck: a function named statically must have a mapping (issue 11:
// the config reference promised it, but each execution failed at run time
// instead); names known only at run time are left to run time. A handler
// without a NATS connection checks definitions and refuses calls clearly.
func TestCheck(t *testing.T) {
	h, err := lambda.New(lambda.Options{Functions: map[string]lambda.Target{"price": {Subject: "svc.price"}, "charge:prod": {URL: "http://127.0.0.1:1/"}}}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	legacy := "arn:aws:lambda:us-east-1:111111111111:function:"
	for _, tc := range []struct {
		resource, args, want string
	}{
		{lambda.ResourceInvoke, `{"FunctionName":"price","Payload.$":"$"}`, ""},
		{lambda.ResourceInvoke, `{"FunctionName":"arn:aws:lambda:us-east-1:1:function:price:7"}`, ""},
		{lambda.ResourceInvoke, `{"FunctionName":"charge:prod"}`, ""},
		{lambda.ResourceInvoke, `{"FunctionName":"charge"}`, `Lambda function "charge" has no mapping`},
		{lambda.ResourceInvoke, `{"FunctionName":"nope"}`, `Lambda function "nope" has no mapping: add integrations.lambda.functions.nope`},
		{lambda.ResourceInvoke, `{"FunctionName":"a:b:c:d:e"}`, `is not a function name or ARN`},
		{lambda.ResourceInvoke, `{"FunctionName.$":"$.fn"}`, ""},
		{lambda.ResourceInvoke, `{"FunctionName":"{% $states.input.fn %}"}`, ""},
		{lambda.ResourceInvoke, `"{% $states.input %}"`, ""},
		{legacy + "price", ``, ""},
		{legacy + "other", ``, `Lambda function "other" has no mapping`},
	} {
		var args value.Value
		if tc.args != "" {
			args = value.MustParse(tc.args)
		}
		err := h.Check(tc.resource, args)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("Check(%s, %s) = %v, want nil", tc.resource, tc.args, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("Check(%s, %s) = %v, want an error containing %q", tc.resource, tc.args, err, tc.want)
		}
	}
	prefixed, err := lambda.New(lambda.Options{SubjectPrefix: "fn."}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := prefixed.Check(legacy+"anything", value.Value{}); err != nil {
		t.Errorf("with a subject prefix every function is mapped: %v", err)
	}
	done := make(chan task.Result, 1)
	prefixed.Invoke(context.Background(), &task.Request{Resource: legacy + "f", Input: value.MustParse(`{}`)}, func(r task.Result) { done <- r })
	if r := <-done; r.Err == nil || !strings.Contains(r.Err.Cause, "no NATS connection") {
		t.Errorf("Invoke without a connection: %+v", r)
	}
}

func TestMatch(t *testing.T) {
	for r, want := range map[string]bool{
		lambda.ResourceInvoke:                                   true,
		"arn:aws:lambda:us-east-1:111111111111:function:f":      true,
		"arn:aws:lambda:us-east-1:111111111111:function:f:prod": true,
		"arn:aws-cn:lambda:cn-north-1:111111111111:function:f":  true,
		"arn:aws:states:::lambda:invoke.waitForTaskToken":       false,
		"arn:aws:lambda:us-east-1:111111111111:layer:f":         false,
		"arn:aws:states:us-east-1:111111111111:activity:a":      false,
		"arn:aws:lambda:us-east-1:111111111111:function:f:a:b":  false,
	} {
		if got := lambda.Match(r); got != want {
			t.Errorf("Match(%s) = %v, want %v", r, got, want)
		}
	}
	if !lambda.MatchLegacy("arn:aws:lambda:us-east-1:1:function:f") || lambda.MatchLegacy(lambda.ResourceInvoke) {
		t.Error("MatchLegacy disagrees with the resource forms")
	}
}
