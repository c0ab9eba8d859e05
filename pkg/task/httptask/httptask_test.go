package httptask_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/expressd/expressd/pkg/task"
	"github.com/expressd/expressd/pkg/task/httptask"
	"github.com/expressd/expressd/pkg/value"
)

func invoke(t *testing.T, h task.Handler, in string) task.Result {
	t.Helper()
	ch := make(chan task.Result, 2)
	h.Invoke(context.Background(), &task.Request{Resource: httptask.Resource, State: "Call", Input: value.MustParse(in)}, func(r task.Result) { ch <- r })
	var r task.Result
	select {
	case r = <-ch:
	case <-time.After(10 * time.Second):
		t.Fatalf("Invoke(%s): done not called", in)
	}
	select {
	case <-ch:
		t.Fatalf("Invoke(%s): done called twice", in)
	case <-time.After(10 * time.Millisecond):
	}
	return r
}

// server answers /echo with a JSON description of the request, /status/N
// with status N, /slow after a delay, /text with plain text.
func server(t *testing.T) *httptest.Server {
	t.Helper()
	stop := make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		desc := value.FromObject(
			[]string{"method", "query", "tag", "contentType", "body"},
			[]value.Value{
				value.FromString(r.Method),
				value.FromString(r.URL.RawQuery),
				value.FromString(strings.Join(r.Header.Values("X-Tag"), ",")),
				value.FromString(r.Header.Get("Content-Type")),
				value.FromString(string(body)),
			})
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Reply", "yes")
		_, _ = io.WriteString(w, desc.JSON())
	})
	mux.HandleFunc("/text", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, `{"not":"parsed"}`)
	})
	mux.HandleFunc("/missing", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		_, _ = io.WriteString(w, `{"message":"no such thing"}`)
	})
	mux.HandleFunc("/broken", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "boom", http.StatusInternalServerError)
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(5 * time.Second):
		case <-stop:
		case <-r.Context().Done():
		}
	})
	s := httptest.NewServer(mux)
	t.Cleanup(func() { close(stop); s.Close() })
	return s
}

func TestInvoke(t *testing.T) {
	s := server(t)
	h := httptask.New(httptask.WithTimeout(200*time.Millisecond), httptask.WithClient(s.Client()))
	url := s.URL

	t.Run("GET with query parameters", func(t *testing.T) {
		res := invoke(t, h, `{"ApiEndpoint":"`+url+`/echo?fixed=1","Method":"GET","QueryParameters":{"a":"x y","b":["1","2"],"n":3},"Authentication":{"ConnectionArn":"arn:aws:events:us-east-1:123456789012:connection/c/1"}}`)
		if res.Err != nil {
			t.Fatal(res.Err)
		}
		body, _ := res.Output.Get("ResponseBody")
		want := `{"method":"GET","query":"a=x+y&b=1&b=2&fixed=1&n=3","tag":"","contentType":"","body":""}`
		if got := body.JSON(); got != want {
			t.Errorf("ResponseBody = %s, want %s", got, want)
		}
		code, _ := res.Output.Get("StatusCode")
		text, _ := res.Output.Get("StatusText")
		if code.JSON() != "200" || text.Str() != "OK" {
			t.Errorf("status = %s %s, want 200 OK", code.JSON(), text.JSON())
		}
		hdr, _ := res.Output.Get("Headers")
		if got, _ := hdr.Get("X-Reply"); got.JSON() != `["yes"]` {
			t.Errorf("Headers.X-Reply = %s, want [\"yes\"]", got.JSON())
		}
		if keys := res.Output.Keys(); strings.Join(keys, ",") != "Headers,ResponseBody,StatusCode,StatusText" {
			t.Errorf("result keys = %v", keys)
		}
	})

	t.Run("POST with JSON body and headers", func(t *testing.T) {
		res := invoke(t, h, `{"ApiEndpoint":"`+url+`/echo","Method":"POST","Headers":{"X-Tag":["a","b"]},"RequestBody":{"id":1,"items":[true,null]}}`)
		if res.Err != nil {
			t.Fatal(res.Err)
		}
		body, _ := res.Output.Get("ResponseBody")
		want := `{"method":"POST","query":"","tag":"a,b","contentType":"application/json; charset=UTF-8","body":"{\"id\":1,\"items\":[true,null]}"}`
		if got := body.JSON(); got != want {
			t.Errorf("ResponseBody = %s, want %s", got, want)
		}
	})

	t.Run("string body and own content type", func(t *testing.T) {
		res := invoke(t, h, `{"ApiEndpoint":"`+url+`/echo","Method":"PUT","Headers":{"Content-Type":"text/plain"},"RequestBody":"a=b"}`)
		if res.Err != nil {
			t.Fatal(res.Err)
		}
		body, _ := res.Output.Get("ResponseBody")
		if got, _ := body.Get("body"); got.Str() != "a=b" {
			t.Errorf("sent body = %s, want a=b", got.JSON())
		}
		if got, _ := body.Get("contentType"); got.Str() != "text/plain" {
			t.Errorf("content type = %s, want text/plain", got.JSON())
		}
	})

	t.Run("non-JSON response is a string", func(t *testing.T) {
		res := invoke(t, h, `{"ApiEndpoint":"`+url+`/text","Method":"GET"}`)
		body, _ := res.Output.Get("ResponseBody")
		if body.JSON() != `"{\"not\":\"parsed\"}"` {
			t.Errorf("ResponseBody = %s, want the text as a string", body.JSON())
		}
	})

	t.Run("404", func(t *testing.T) {
		res := invoke(t, h, `{"ApiEndpoint":"`+url+`/missing","Method":"DELETE"}`)
		if res.Err == nil || res.Err.Name != "States.Http.StatusCode.404" {
			t.Fatalf("got %+v, want States.Http.StatusCode.404", res.Err)
		}
		cause, err := value.ParseString(res.Err.Cause)
		if err != nil {
			t.Fatalf("cause %q is not JSON: %v", res.Err.Cause, err)
		}
		for k, want := range map[string]string{"StatusCode": "404", "StatusText": `"Not Found"`, "ResponseBody": `{"message":"no such thing"}`} {
			if got, _ := cause.Get(k); got.JSON() != want {
				t.Errorf("cause %s = %s, want %s", k, got.JSON(), want)
			}
		}
	})

	t.Run("500", func(t *testing.T) {
		res := invoke(t, h, `{"ApiEndpoint":"`+url+`/broken","Method":"POST","RequestBody":{}}`)
		if res.Err == nil || res.Err.Name != "States.Http.StatusCode.500" || !strings.Contains(res.Err.Cause, `"ResponseBody":"boom\n"`) {
			t.Fatalf("got %+v, want States.Http.StatusCode.500 with the body in the cause", res.Err)
		}
	})

	t.Run("slow server", func(t *testing.T) {
		start := time.Now()
		res := invoke(t, h, `{"ApiEndpoint":"`+url+`/slow?token=secret","Method":"GET"}`)
		if res.Err == nil || res.Err.Name != httptask.ErrSocket || !strings.Contains(res.Err.Cause, "timed out") {
			t.Fatalf("got %+v, want %s timed out", res.Err, httptask.ErrSocket)
		}
		if strings.Contains(res.Err.Cause, "secret") {
			t.Errorf("cause %q repeats the query string", res.Err.Cause)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("took %v, want about the 200ms timeout", d)
		}
	})

	t.Run("connection refused", func(t *testing.T) {
		dead := httptest.NewServer(http.NotFoundHandler())
		addr := dead.URL
		dead.Close()
		res := invoke(t, h, `{"ApiEndpoint":"`+addr+`/x","Method":"GET"}`)
		if res.Err == nil || res.Err.Name != httptask.ErrSocket {
			t.Fatalf("got %+v, want %s", res.Err, httptask.ErrSocket)
		}
	})
}

func TestInvalidParameters(t *testing.T) {
	h := httptask.New()
	tests := []struct{ name, in, want string }{
		{"not an object", `[]`, "must be a JSON object"},
		{"no endpoint", `{"Method":"GET"}`, "The field 'ApiEndpoint' is required"},
		{"endpoint not a URL", `{"ApiEndpoint":"ftp://x/y","Method":"GET"}`, "http or https URL"},
		{"no method", `{"ApiEndpoint":"http://127.0.0.1:1/"}`, "The field 'Method' is required"},
		{"bad method", `{"ApiEndpoint":"http://127.0.0.1:1/","Method":"get"}`, "must be one of GET"},
		{"bad headers", `{"ApiEndpoint":"http://127.0.0.1:1/","Method":"GET","Headers":{"A":{}}}`, "The header 'A'"},
		{"bad query", `{"ApiEndpoint":"http://127.0.0.1:1/","Method":"GET","QueryParameters":"a=b"}`, "'QueryParameters' must be an OBJECT"},
		{"transform", `{"ApiEndpoint":"http://127.0.0.1:1/","Method":"GET","Transform":{}}`, "'Transform' is not supported by expressd"},
		{"unknown", `{"ApiEndpoint":"http://127.0.0.1:1/","Method":"GET","Body":1}`, "The field 'Body' is not supported"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := invoke(t, h, tc.in)
			if res.Err == nil || res.Err.Name != httptask.ErrRuntime || !strings.Contains(res.Err.Cause, tc.want) {
				t.Fatalf("got %+v, want %s containing %q", res.Err, httptask.ErrRuntime, tc.want)
			}
			if !strings.HasPrefix(res.Err.Cause, "The Parameters '") {
				t.Errorf("cause %q lacks AWS's prefix", res.Err.Cause)
			}
		})
	}
}

func TestMatch(t *testing.T) {
	if !httptask.Match(httptask.Resource) || httptask.Match("arn:aws:states:::http:invoke.sync") {
		t.Error("Match serves exactly arn:aws:states:::http:invoke")
	}
}
