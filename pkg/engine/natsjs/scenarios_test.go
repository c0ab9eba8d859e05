package natsjs_test

// Integration scenarios of issue 4 against a real embedded nats-server with
// JetStream, through natsjs.Start with machines compiled from ASL and the
// real task integrations (see helpers_scenarios_test.go).

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nats.go/micro"

	"github.com/expressd/expressd/pkg/engine/natsjs"
	"github.com/expressd/expressd/pkg/task"
	"github.com/expressd/expressd/pkg/task/lambda"
	"github.com/expressd/expressd/pkg/task/natstask"
)

// TestScenarioRetryBackoff: a micro endpoint fails the first two calls of
// each event; Retry on its service error with IntervalSeconds 1 and
// BackoffRate 2 makes the third call succeed after at least 1s + 2s.
func TestScenarioRetryBackoff(t *testing.T) {
	t.Parallel()
	ns := startServer(t)
	nc := connect(t, ns)
	js, _ := jetstream.New(nc)
	var calls callLog
	addEndpoint(t, connect(t, ns), "svc.flaky", func(r micro.Request) {
		id := jsonField(r.Data(), "id")
		if n := calls.add(id); n <= 2 {
			_ = r.Error("503", "try again", nil)
			return
		}
		_ = r.Respond([]byte(`{"ok":true,"id":"` + id + `"}`))
	})
	reg := realRegistry(t, nc, regOptions{})
	def := `{"StartAt":"Call","States":{"Call":{"Type":"Task","Resource":"arn:aws:states:::nats:request",
		"Parameters":{"Subject":"svc.flaky","Payload.$":"$"},
		"Retry":[{"ErrorEquals":["` + string(natstask.ErrServiceErrorPrefix) + `503"],"IntervalSeconds":1,"BackoffRate":2,"MaxAttempts":3}],
		"End":true}}}`
	startBinding(t, nc, natsjs.Options{Machines: []natsjs.Machine{{
		Name: "retry", Program: compileNamed(t, "retry", def, reg), Tasks: reg, Concurrency: 16, Timeout: time.Minute,
		Trigger: &natsjs.Trigger{Stream: "EV1", Subjects: []string{"ev1.>"}, Consumer: "c1", MaxDeliver: 3, AckWait: 30 * time.Second},
	}}})
	published := time.Now()
	for i := range 3 {
		publish(t, js, "ev1.a", fmt.Sprintf(`{"id":"r%d"}`, i), fmt.Sprintf("r%d", i))
	}
	results := collectResults(t, js, "retry", 3, 20*time.Second)
	elapsed := time.Since(published)
	if len(results) != 3 {
		t.Fatalf("got %d results, want 3", len(results))
	}
	if elapsed < 3*time.Second {
		t.Errorf("results after %v, want at least 1s + 2s of back-off", elapsed)
	}
	for _, r := range results {
		want := `{"ok":true,"id":"` + r.Name + `"}`
		if r.Status != "SUCCEEDED" || string(r.Output) != want {
			t.Errorf("%s: got %s %s (%s: %s), want SUCCEEDED %s", r.Name, r.Status, r.Output, r.Error, r.Cause, want)
		}
		if d := parseDate(t, r.StopDate).Sub(parseDate(t, r.StartDate)); d < 3*time.Second {
			t.Errorf("%s: execution took %v, want at least 3s", r.Name, d)
		}
		c := calls.get(r.Name)
		if len(c) != 3 {
			t.Fatalf("%s: %d calls, want 3", r.Name, len(c))
		}
		if g1, g2 := c[1].Sub(c[0]), c[2].Sub(c[1]); g1 < time.Second || g2 < 2*time.Second {
			t.Errorf("%s: retry gaps %v and %v, want at least 1s and 2s", r.Name, g1, g2)
		}
	}
}

// TestScenarioWait: a Wait of 1 second delays the result by at least 1s.
func TestScenarioWait(t *testing.T) {
	t.Parallel()
	ns := startServer(t)
	nc := connect(t, ns)
	js, _ := jetstream.New(nc)
	reg := realRegistry(t, nc, regOptions{})
	def := `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":1,"Next":"P"},
		"P":{"Type":"Pass","Parameters":{"waited.$":"$.id"},"End":true}}}`
	startBinding(t, nc, natsjs.Options{Machines: []natsjs.Machine{{
		Name: "wait", Program: compileNamed(t, "wait", def, reg), Tasks: reg, Concurrency: 16, Timeout: time.Minute,
		Trigger: &natsjs.Trigger{Stream: "EV2", Subjects: []string{"ev2"}, Consumer: "c2", MaxDeliver: 3, AckWait: 30 * time.Second},
	}}})
	published := time.Now()
	publish(t, js, "ev2", `{"id":"w1"}`, "w1")
	results := collectResults(t, js, "wait", 1, 10*time.Second)
	elapsed := time.Since(published)
	if len(results) != 1 {
		t.Fatalf("got %d results, want 1", len(results))
	}
	r := results[0]
	if r.Status != "SUCCEEDED" || string(r.Output) != `{"waited":"w1"}` {
		t.Errorf("got %s %s, want SUCCEEDED {\"waited\":\"w1\"}", r.Status, r.Output)
	}
	if elapsed < time.Second {
		t.Errorf("result %v after publish, want at least 1s", elapsed)
	}
	if d := parseDate(t, r.StopDate).Sub(parseDate(t, r.StartDate)); d < time.Second {
		t.Errorf("execution took %v, want at least 1s", d)
	}
}

// TestScenarioMapParallel: a Map over 20 items with MaxConcurrency 5 calls
// a micro service concurrently (peak in flight > 1 and ≤ 5), then a
// Parallel of 3 branches calls a service each; outputs keep the item and
// branch order although later calls answer first.
func TestScenarioMapParallel(t *testing.T) {
	t.Parallel()
	ns := startServer(t)
	nc := connect(t, ns)
	js, _ := jetstream.New(nc)
	svc := connect(t, ns)
	var inflight, peak atomic.Int32
	second := make(chan struct{})
	var secondOnce sync.Once
	addEndpoint(t, svc, "svc.square", func(r micro.Request) {
		n := inflight.Add(1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		if n >= 2 {
			secondOnce.Do(func() { close(second) })
		}
		x, err := strconv.Atoi(string(r.Data()))
		// Answer from another goroutine (a micro handler runs serially);
		// the first call waits for a second one to be in flight, later
		// items answer sooner than earlier ones.
		go func() {
			select {
			case <-second:
			case <-time.After(5 * time.Second):
			}
			time.Sleep(time.Duration(20-x) * time.Millisecond)
			inflight.Add(-1)
			if err != nil {
				_ = r.Error("400", "not a number", nil)
				return
			}
			_ = r.Respond([]byte(strconv.Itoa(x * x)))
		}()
	})
	addEndpoint(t, svc, "svc.tag", func(r micro.Request) {
		b := string(r.Data())
		go func() {
			time.Sleep(time.Duration('d'-b[0]) * 20 * time.Millisecond) // a answers last
			_ = r.Respond([]byte(`{"branch":"` + b + `"}`))
		}()
	})
	reg := realRegistry(t, nc, regOptions{})
	branch := func(b string) string {
		return `{"StartAt":"T` + b + `","States":{"T` + b + `":{"Type":"Task","Resource":"arn:aws:states:::nats:request","Parameters":{"Subject":"svc.tag","Payload":"` + b + `"},"End":true}}}`
	}
	def := `{"StartAt":"Fan","States":{
		"Fan":{"Type":"Map","ItemsPath":"$.items","MaxConcurrency":5,"ResultPath":"$.squares","Next":"Par",
			"ItemProcessor":{"StartAt":"Sq","States":{"Sq":{"Type":"Task","Resource":"arn:aws:states:::nats:request",
				"Parameters":{"Subject":"svc.square","Payload.$":"$"},"End":true}}}},
		"Par":{"Type":"Parallel","ResultPath":"$.branches","OutputPath":"$['squares','branches']","End":true,
			"Branches":[` + branch("a") + `,` + branch("b") + `,` + branch("c") + `]}}}`
	startBinding(t, nc, natsjs.Options{Machines: []natsjs.Machine{{
		Name: "fan", Program: compileNamed(t, "fan", def, reg), Tasks: reg, Concurrency: 16, Timeout: time.Minute,
		Trigger: &natsjs.Trigger{Stream: "EV3", Subjects: []string{"ev3"}, Consumer: "c3", MaxDeliver: 3, AckWait: 30 * time.Second},
	}}})
	items := make([]string, 20)
	squares := make([]string, 20)
	for i := range items {
		items[i] = strconv.Itoa(i + 1)
		squares[i] = strconv.Itoa((i + 1) * (i + 1))
	}
	publish(t, js, "ev3", `{"items":[`+strings.Join(items, ",")+`]}`, "fan-1")
	results := collectResults(t, js, "fan", 1, 20*time.Second)
	if len(results) != 1 {
		t.Fatalf("got %d results, want 1", len(results))
	}
	r := results[0]
	if r.Status != "SUCCEEDED" {
		t.Fatalf("got %s %s: %s", r.Status, r.Error, r.Cause)
	}
	var out struct {
		Squares  []int             `json:"squares"`
		Branches []json.RawMessage `json:"branches"`
	}
	if err := json.Unmarshal(r.Output, &out); err != nil {
		t.Fatalf("output %s: %v", r.Output, err)
	}
	if got, want := fmt.Sprint(out.Squares), "["+strings.Join(squares, " ")+"]"; got != want {
		t.Errorf("Map output %s, want %s (item order)", got, want)
	}
	var br []string
	for _, b := range out.Branches {
		br = append(br, string(b))
	}
	if got, want := strings.Join(br, ","), `{"branch":"a"},{"branch":"b"},{"branch":"c"}`; got != want {
		t.Errorf("Parallel output %s, want %s (branch order)", got, want)
	}
	if p := peak.Load(); p <= 1 || p > 5 {
		t.Errorf("peak concurrent Map task calls %d, want 2..5 (MaxConcurrency 5)", p)
	}
}

// TestScenarioLambdaOnMicro: a nats.go/micro endpoint mapped as Lambda
// function "f" serves both resource forms: lambda:invoke returns AWS's
// Invoke response with Payload, the legacy function ARN the payload only;
// a micro error becomes the function's errorType, caught by Catch.
func TestScenarioLambdaOnMicro(t *testing.T) {
	t.Parallel()
	ns := startServer(t)
	nc := connect(t, ns)
	js, _ := jetstream.New(nc)
	svc := connect(t, ns)
	addEndpoint(t, svc, "fn.f", func(r micro.Request) {
		_ = r.Respond([]byte(`{"echo":` + string(r.Data()) + `,"fn":"` + r.Headers().Get(lambda.HeaderFunctionName) + `"}`))
	})
	addEndpoint(t, svc, "fn.g", func(r micro.Request) { _ = r.Error("CustomException", "it broke", nil) })
	reg := realRegistry(t, nc, regOptions{functions: map[string]lambda.Target{"f": {Subject: "fn.f"}, "g": {Subject: "fn.g"}}})
	def := `{"StartAt":"Invoke","States":{
		"Invoke":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
			"Parameters":{"FunctionName":"f","Payload":{"x.$":"$.x"}},"ResultPath":"$.invoke","Next":"Legacy"},
		"Legacy":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:123456789012:function:f",
			"Parameters":{"y.$":"$.x"},"ResultPath":"$.legacy","Next":"Broken"},
		"Broken":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"g"},
			"Catch":[{"ErrorEquals":["CustomException"],"ResultPath":"$.caught","Next":"Done"}],"End":true},
		"Done":{"Type":"Pass","End":true}}}`
	startBinding(t, nc, natsjs.Options{Machines: []natsjs.Machine{{
		Name: "lam", Program: compileNamed(t, "lam", def, reg), Tasks: reg, Concurrency: 16, Timeout: time.Minute,
		Trigger: &natsjs.Trigger{Stream: "EV4", Subjects: []string{"ev4"}, Consumer: "c4", MaxDeliver: 3, AckWait: 30 * time.Second},
	}}})
	publish(t, js, "ev4", `{"x":5}`, "lam-1")
	results := collectResults(t, js, "lam", 1, 10*time.Second)
	if len(results) != 1 {
		t.Fatalf("got %d results, want 1", len(results))
	}
	r := results[0]
	if r.Status != "SUCCEEDED" {
		t.Fatalf("got %s %s: %s", r.Status, r.Error, r.Cause)
	}
	var out struct {
		Invoke struct {
			ExecutedVersion     string          `json:"ExecutedVersion"`
			Payload             json.RawMessage `json:"Payload"`
			StatusCode          int             `json:"StatusCode"`
			SdkHttpMetadata     map[string]any  `json:"SdkHttpMetadata"`
			SdkResponseMetadata struct {
				RequestID string `json:"RequestId"`
			} `json:"SdkResponseMetadata"`
		} `json:"invoke"`
		Legacy json.RawMessage `json:"legacy"`
		Caught struct {
			Error string `json:"Error"`
			Cause string `json:"Cause"`
		} `json:"caught"`
	}
	if err := json.Unmarshal(r.Output, &out); err != nil {
		t.Fatalf("output %s: %v", r.Output, err)
	}
	inv := out.Invoke
	if inv.StatusCode != 200 || inv.ExecutedVersion != "$LATEST" || inv.SdkHttpMetadata["HttpStatusCode"] != float64(200) || inv.SdkResponseMetadata.RequestID == "" {
		t.Errorf("lambda:invoke result is not AWS's Invoke response: %s", r.Output)
	}
	if got, want := string(inv.Payload), `{"echo":{"x":5},"fn":"f"}`; got != want {
		t.Errorf("lambda:invoke Payload %s, want %s", got, want)
	}
	if got, want := string(out.Legacy), `{"echo":{"y":5},"fn":"f"}`; got != want {
		t.Errorf("legacy ARN result %s, want the payload only %s", got, want)
	}
	if out.Caught.Error != "CustomException" || !strings.Contains(out.Caught.Cause, "it broke") {
		t.Errorf("caught %+v, want CustomException with the message", out.Caught)
	}
}

// TestScenarioHTTPInvoke: http:invoke against an httptest server: GET with
// query parameters, POST with a JSON body, and a 500 caught by Catch.
func TestScenarioHTTPInvoke(t *testing.T) {
	t.Parallel()
	ns := startServer(t)
	nc := connect(t, ns)
	js, _ := jetstream.New(nc)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /items", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		sizes, _ := json.Marshal(r.URL.Query()["size"])
		fmt.Fprintf(w, `{"color":%q,"sizes":%s,"auth":%q}`, r.URL.Query().Get("color"), sizes, r.Header.Get("Authorization"))
	})
	mux.HandleFunc("POST /orders", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, `{"received":%s,"type":%q}`, body, r.Header.Get("Content-Type"))
	})
	mux.HandleFunc("/fail", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprint(w, `{"message":"boom"}`)
	})
	srv := httptest.NewServer(mux) // 127.0.0.1
	t.Cleanup(srv.Close)
	reg := realRegistry(t, nc, regOptions{})
	def := `{"StartAt":"Get","States":{
		"Get":{"Type":"Task","Resource":"arn:aws:states:::http:invoke","Parameters":{
			"ApiEndpoint":"` + srv.URL + `/items","Method":"GET","Headers":{"Authorization.$":"$.token"},
			"QueryParameters":{"color":"red","size":["S","L"]}},
			"ResultSelector":{"body.$":"$.ResponseBody","code.$":"$.StatusCode"},"ResultPath":"$.get","Next":"Post"},
		"Post":{"Type":"Task","Resource":"arn:aws:states:::http:invoke","Parameters":{
			"ApiEndpoint":"` + srv.URL + `/orders","Method":"POST","RequestBody":{"item.$":"$.item","qty":2}},
			"ResultSelector":{"body.$":"$.ResponseBody","code.$":"$.StatusCode","text.$":"$.StatusText"},"ResultPath":"$.post","Next":"Fail"},
		"Fail":{"Type":"Task","Resource":"arn:aws:states:::http:invoke","Parameters":{"ApiEndpoint":"` + srv.URL + `/fail","Method":"GET"},
			"Catch":[{"ErrorEquals":["States.Http.StatusCode.500"],"ResultPath":"$.caught","Next":"Done"}],"End":true},
		"Done":{"Type":"Pass","OutputPath":"$['get','post','caught']","End":true}}}`
	startBinding(t, nc, natsjs.Options{Machines: []natsjs.Machine{{
		Name: "web", Program: compileNamed(t, "web", def, reg), Tasks: reg, Concurrency: 16, Timeout: time.Minute,
		Trigger: &natsjs.Trigger{Stream: "EV5", Subjects: []string{"ev5"}, Consumer: "c5", MaxDeliver: 3, AckWait: 30 * time.Second},
	}}})
	publish(t, js, "ev5", `{"token":"Bearer t0k","item":"widget"}`, "web-1")
	results := collectResults(t, js, "web", 1, 15*time.Second)
	if len(results) != 1 {
		t.Fatalf("got %d results, want 1", len(results))
	}
	r := results[0]
	if r.Status != "SUCCEEDED" {
		t.Fatalf("got %s %s: %s", r.Status, r.Error, r.Cause)
	}
	var out struct {
		Get    json.RawMessage `json:"get"`
		Post   json.RawMessage `json:"post"`
		Caught struct {
			Error string `json:"Error"`
			Cause string `json:"Cause"`
		} `json:"caught"`
	}
	if err := json.Unmarshal(r.Output, &out); err != nil {
		t.Fatalf("output %s: %v", r.Output, err)
	}
	if got, want := string(out.Get), `{"body":{"color":"red","sizes":["S","L"],"auth":"Bearer t0k"},"code":200}`; got != want {
		t.Errorf("GET result %s, want %s", got, want)
	}
	if got, want := string(out.Post), `{"body":{"received":{"item":"widget","qty":2},"type":"application/json; charset=UTF-8"},"code":201,"text":"Created"}`; got != want {
		t.Errorf("POST result %s, want %s", got, want)
	}
	if out.Caught.Error != "States.Http.StatusCode.500" {
		t.Errorf("caught %+v, want States.Http.StatusCode.500", out.Caught)
	}
	var cause struct {
		StatusCode   int             `json:"StatusCode"`
		ResponseBody json.RawMessage `json:"ResponseBody"`
	}
	if err := json.Unmarshal([]byte(out.Caught.Cause), &cause); err != nil || cause.StatusCode != 500 || string(cause.ResponseBody) != `{"message":"boom"}` {
		t.Errorf("500 cause %q: want the response object with StatusCode 500 and the body (%v)", out.Caught.Cause, err)
	}
}

// TestScenarioDLQMaxDeliver: results cannot be stored (the results subject
// is captured by no stream, so every PubAck fails): the event is nak'ed
// with a growing delay and runs max_deliver times; the next delivery copies
// it to EXPRESSD_DLQ with the reason, without running it, and terminates it.
func TestScenarioDLQMaxDeliver(t *testing.T) {
	t.Parallel()
	ns := startServer(t)
	nc := connect(t, ns)
	js, _ := jetstream.New(nc)
	var calls callLog
	addEndpoint(t, connect(t, ns), "svc.count6", func(r micro.Request) {
		calls.add(jsonField(r.Data(), "id"))
		_ = r.Respond([]byte(`{"ok":true}`))
	})
	reg := realRegistry(t, nc, regOptions{})
	def := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::nats:request",
		"Parameters":{"Subject":"svc.count6","Payload.$":"$"},"End":true}}}`
	startBinding(t, nc, natsjs.Options{Machines: []natsjs.Machine{{
		Name: "dlq6", Program: compileNamed(t, "dlq6", def, reg), Tasks: reg, Concurrency: 16, Timeout: time.Minute,
		Results: "expressd.nostream.dlq6",                                                                                           // outside expressd.results.>: no stream stores it
		Trigger: &natsjs.Trigger{Stream: "EV6", Subjects: []string{"ev6"}, Consumer: "c6", MaxDeliver: 3, AckWait: 5 * time.Second}, // redeliveries come from the naks, not from ack_wait
	}}})
	msg := nats.NewMsg("ev6")
	msg.Data = []byte(`{"id":"d1"}`)
	msg.Header.Set(nats.MsgIdHdr, "d1")
	msg.Header.Set("X-Origin", "sensor-7")
	ack, err := js.PublishMsg(context.Background(), msg)
	if err != nil {
		t.Fatal(err)
	}
	dlq := collectDLQ(t, js, "dlq6", 1)
	if len(dlq) != 1 {
		t.Fatalf("got %d DLQ messages, want 1", len(dlq))
	}
	d := dlq[0]
	h := d.Headers()
	seq := strconv.FormatUint(ack.Sequence, 10)
	if h.Get(natsjs.HeaderReason) != "no result stored in max_deliver (3) deliveries" ||
		h.Get(natsjs.HeaderDeliveries) != "4" || h.Get(natsjs.HeaderStream) != "EV6" || h.Get(natsjs.HeaderSeq) != seq ||
		h.Get(natsjs.HeaderSubject) != "ev6" || h.Get(natsjs.HeaderMachine) != "dlq6" ||
		h.Get(nats.MsgIdHdr) != "dlq:dlq6:"+eventID(t, js, "EV6", ack.Sequence) || h.Get("X-Origin") != "sensor-7" {
		t.Errorf("DLQ headers %v", h)
	}
	if string(d.Data()) != `{"id":"d1"}` {
		t.Errorf("DLQ payload %s, want the original event", d.Data())
	}
	info := settled(t, js, "EV6", "c6", 10*time.Second)
	if info.AckFloor.Stream != ack.Sequence {
		t.Errorf("ack floor %d, want %d (event terminated)", info.AckFloor.Stream, ack.Sequence)
	}
	// One execution per delivery but the last, each after the growing nak
	// delay (1s, 2s).
	c := calls.get("d1")
	if len(c) != 3 {
		t.Fatalf("%d executions, want 3 (max_deliver)", len(c))
	}
	if g1, g2 := c[1].Sub(c[0]), c[2].Sub(c[1]); g1 < time.Second || g2 < 2*time.Second {
		t.Errorf("redelivery gaps %v and %v, want at least 1s then 2s (nak delay grows)", g1, g2)
	}
	if n := subjectCount(t, js, natsjs.ResultsStream, "expressd.nostream.dlq6"); n != 0 {
		t.Errorf("%d results stored, want 0", n)
	}
}

// TestScenarioDLQAfterDeadWorker: an event whose last allowed delivery
// expired unacknowledged (its worker died: here a raw fetch that never
// acks, on a consumer left with the server-side MaxDeliver 1 of an older
// expressd) reaches the DLQ on its next delivery and never runs. It used to
// depend on the server's MAX_DELIVERIES advisory, lost whenever no expressd
// was subscribed when it was sent.
func TestScenarioDLQAfterDeadWorker(t *testing.T) {
	t.Parallel()
	ns := startServer(t)
	nc := connect(t, ns)
	js, _ := jetstream.New(nc)
	ctx := context.Background()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "EV6B", Subjects: []string{"ev6b"}, Storage: jetstream.FileStorage}); err != nil {
		t.Fatal(err)
	}
	// The consumer exactly as the binding configures it.
	cons, err := js.CreateOrUpdateConsumer(ctx, "EV6B", jetstream.ConsumerConfig{Durable: "c6b", AckPolicy: jetstream.AckExplicitPolicy,
		AckWait: time.Second, MaxDeliver: 1, MaxAckPending: 16, DeliverPolicy: jetstream.DeliverAllPolicy, FilterSubject: "ev6b"})
	if err != nil {
		t.Fatal(err)
	}
	publish(t, js, "ev6b", `{"id":"lost"}`, "lost-1")
	batch, err := cons.Fetch(1, jetstream.FetchMaxWait(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	got := 0
	for range batch.Messages() {
		got++ // the dead worker's delivery: never acked
	}
	if got != 1 {
		t.Fatalf("raw fetch got %d messages, want 1", got)
	}
	var runs atomic.Int32
	addEndpoint(t, connect(t, ns), "svc.count6b", func(r micro.Request) {
		runs.Add(1)
		_ = r.Respond([]byte(`{}`))
	})
	reg := realRegistry(t, nc, regOptions{})
	def := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::nats:request","Parameters":{"Subject":"svc.count6b"},"End":true}}}`
	startBinding(t, nc, natsjs.Options{Machines: []natsjs.Machine{{
		Name: "adv", Program: compileNamed(t, "adv", def, reg), Tasks: reg, Concurrency: 16, Timeout: time.Minute,
		Trigger: &natsjs.Trigger{Stream: "EV6B", Subjects: []string{"ev6b"}, Consumer: "c6b", MaxDeliver: 1, AckWait: time.Second},
	}}})
	dlq := collectDLQ(t, js, "adv", 1)
	if len(dlq) != 1 {
		t.Fatalf("got %d DLQ messages, want 1", len(dlq))
	}
	h := dlq[0].Headers()
	if h.Get(natsjs.HeaderReason) != "no result stored in max_deliver (1) deliveries" || h.Get(natsjs.HeaderSeq) != "1" ||
		h.Get(natsjs.HeaderDeliveries) != "2" || h.Get(nats.MsgIdHdr) != "dlq:adv:"+eventID(t, js, "EV6B", 1) || string(dlq[0].Data()) != `{"id":"lost"}` {
		t.Errorf("DLQ message %v %s", h, dlq[0].Data())
	}
	if n := runs.Load(); n != 0 {
		t.Errorf("the event ran %d times, want 0 (max_deliver reached by the dead worker)", n)
	}
	if ci := consumerInfo(t, js, "EV6B", "c6b"); ci.Config.MaxDeliver != -1 {
		t.Errorf("consumer MaxDeliver %d, want -1 (the binding counts runs itself)", ci.Config.MaxDeliver)
	}
	if n := subjectCount(t, js, natsjs.ResultsStream, natsjs.ResultsPrefix+"adv"); n != 0 {
		t.Errorf("%d results stored, want 0", n)
	}
}

// TestScenarioInProgress: executions three times longer than ack_wait
// (Wait 3s, AckWait 1s) are kept alive with InProgress: each event runs
// exactly once (a task counts the runs) and has one result.
func TestScenarioInProgress(t *testing.T) {
	t.Parallel()
	ns := startServer(t)
	nc := connect(t, ns)
	js, _ := jetstream.New(nc)
	var calls callLog
	addEndpoint(t, connect(t, ns), "svc.count7", func(r micro.Request) {
		calls.add(jsonField(r.Data(), "id"))
		_ = r.Respond([]byte(`{"ok":true}`))
	})
	reg := realRegistry(t, nc, regOptions{})
	def := `{"StartAt":"T","States":{
		"T":{"Type":"Task","Resource":"arn:aws:states:::nats:request","Parameters":{"Subject":"svc.count7","Payload.$":"$"},"ResultPath":null,"Next":"W"},
		"W":{"Type":"Wait","Seconds":3,"End":true}}}`
	startBinding(t, nc, natsjs.Options{Machines: []natsjs.Machine{{
		Name: "long", Program: compileNamed(t, "long", def, reg), Tasks: reg, Concurrency: 16, Timeout: time.Minute,
		Trigger: &natsjs.Trigger{Stream: "EV7", Subjects: []string{"ev7"}, Consumer: "c7", MaxDeliver: 5, AckWait: time.Second},
	}}})
	const n = 3
	for i := range n {
		publish(t, js, "ev7", fmt.Sprintf(`{"id":"l%d"}`, i), fmt.Sprintf("l%d", i))
	}
	results := collectResults(t, js, "long", n, 15*time.Second)
	if len(results) != n {
		t.Fatalf("got %d results, want %d", len(results), n)
	}
	for _, r := range results {
		if r.Status != "SUCCEEDED" {
			t.Errorf("%s: %s %s", r.Name, r.Status, r.Error)
		}
	}
	info := settled(t, js, "EV7", "c7", 5*time.Second)
	if info.Delivered.Consumer != n {
		t.Errorf("%d deliveries of %d events, want one each (InProgress before ack_wait)", info.Delivered.Consumer, n)
	}
	for i := range n {
		if c := calls.get(fmt.Sprintf("l%d", i)); len(c) != 1 {
			t.Errorf("l%d ran %d times, want once", i, len(c))
		}
	}
	if c := subjectCount(t, js, natsjs.ResultsStream, natsjs.ResultsPrefix+"long"); c != n {
		t.Errorf("%d results stored, want %d", c, n)
	}
}

// TestScenarioGracefulShutdown: executions hang on a service that does not
// answer; Stop with a short drain naks them, and a second binding on the
// same consumer (ack_wait 30s: only a nak brings them back in time)
// completes all of them once the service answers: 0 lost.
func TestScenarioGracefulShutdown(t *testing.T) {
	t.Parallel()
	ns := startServer(t)
	js, _ := jetstream.New(connect(t, ns))
	var answering atomic.Bool
	var calls callLog
	addEndpoint(t, connect(t, ns), "svc.hang", func(r micro.Request) {
		calls.add(jsonField(r.Data(), "id"))
		if answering.Load() {
			_ = r.Respond([]byte(`{"done":true}`))
		} // else never answer
	})
	def := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::nats:request",
		"Parameters":{"Subject":"svc.hang","Payload.$":"$","TimeoutSeconds":120},"End":true}}}`
	machine := func(nc *nats.Conn) natsjs.Machine {
		reg := realRegistry(t, nc, regOptions{})
		return natsjs.Machine{Name: "grace", Program: compileNamed(t, "grace", def, reg), Tasks: reg, Concurrency: 64, Timeout: time.Minute,
			Trigger: &natsjs.Trigger{Stream: "EV8", Subjects: []string{"ev8"}, Consumer: "c8", MaxDeliver: 5, AckWait: 30 * time.Second}}
	}
	ncA := connect(t, ns)
	a := startBinding(t, ncA, natsjs.Options{Machines: []natsjs.Machine{machine(ncA)}})
	const n = 10
	for i := range n {
		publish(t, js, "ev8", fmt.Sprintf(`{"id":"g%d"}`, i), fmt.Sprintf("g%d", i))
	}
	waitFor(t, 10*time.Second, func() bool { return calls.total() == n }, "not every event reached the service")
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	a.Stop(ctx)
	cancel()
	if a.Ready() {
		t.Error("stopped binding reports ready")
	}
	if c := subjectCount(t, js, natsjs.ResultsStream, natsjs.ResultsPrefix+"grace"); c != 0 {
		t.Fatalf("%d results before the restart, want 0", c)
	}
	answering.Store(true)
	ncB := connect(t, ns)
	startBinding(t, ncB, natsjs.Options{Machines: []natsjs.Machine{machine(ncB)}})
	// Well under ack_wait (30s): the events came back by nak, not expiry.
	results := collectResults(t, js, "grace", n, 15*time.Second)
	if len(results) != n {
		t.Fatalf("got %d results after the restart, want %d (events lost or not nak'ed)", len(results), n)
	}
	seen := map[string]bool{}
	for _, r := range results {
		if r.Status != "SUCCEEDED" || string(r.Output) != `{"done":true}` {
			t.Errorf("%s: %s %s %s", r.Name, r.Status, r.Output, r.Error)
		}
		seen[r.Name] = true
	}
	if len(seen) != n {
		t.Errorf("%d distinct results, want %d", len(seen), n)
	}
	info := settled(t, js, "EV8", "c8", 5*time.Second)
	if info.Delivered.Consumer < 2*n {
		t.Errorf("%d deliveries, want at least %d (each event to each binding)", info.Delivered.Consumer, 2*n)
	}
}

// TestScenarioDuplicateResult: a worker stored an event's result and died
// before acking it (simulated: raw fetch, result published with the
// contract's Nats-Msg-Id, no ack). The binding re-runs the redelivered
// event; its second result has the same Nats-Msg-Id
// "<machine>:<stream>:<seq>:<stored>" and is dropped by EXPRESSD_RESULTS: one
// stored result. Stored results carry the contract headers.
func TestScenarioDuplicateResult(t *testing.T) {
	t.Parallel()
	ns := startServer(t)
	nc := connect(t, ns)
	js, _ := jetstream.New(nc)
	ctx := context.Background()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "EV9", Subjects: []string{"ev9"}, Storage: jetstream.FileStorage}); err != nil {
		t.Fatal(err)
	}
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: natsjs.ResultsStream, Subjects: []string{natsjs.ResultsSubject},
		Storage: jetstream.FileStorage, Duplicates: 30 * time.Minute}); err != nil {
		t.Fatal(err)
	}
	cons, err := js.CreateOrUpdateConsumer(ctx, "EV9", jetstream.ConsumerConfig{Durable: "c9", AckPolicy: jetstream.AckExplicitPolicy,
		AckWait: time.Second, MaxDeliver: 5, MaxAckPending: 16, DeliverPolicy: jetstream.DeliverAllPolicy, FilterSubject: "ev9"})
	if err != nil {
		t.Fatal(err)
	}
	publish(t, js, "ev9", `{"id":"dup"}`, "dup-1")
	batch, err := cons.Fetch(1, jetstream.FetchMaxWait(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	for m := range batch.Messages() {
		meta, _ := m.Metadata()
		res := nats.NewMsg(natsjs.ResultsPrefix + "dedup")
		res.Header.Set(nats.MsgIdHdr, fmt.Sprintf("dedup:EV9:%d:%d", meta.Sequence.Stream, meta.Timestamp.UnixNano()))
		res.Data = []byte(`{"name":"dup-1","status":"SUCCEEDED","output":{"by":"dead worker"}}`)
		if _, err := js.PublishMsg(ctx, res); err != nil {
			t.Fatal(err)
		}
		// no ack: the worker died
	}
	var runs atomic.Int32
	addEndpoint(t, connect(t, ns), "svc.count9", func(r micro.Request) {
		runs.Add(1)
		_ = r.Respond([]byte(`{"by":"binding"}`))
	})
	reg := realRegistry(t, nc, regOptions{})
	def := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::nats:request","Parameters":{"Subject":"svc.count9"},"End":true}}}`
	startBinding(t, nc, natsjs.Options{Machines: []natsjs.Machine{{
		Name: "dedup", Program: compileNamed(t, "dedup", def, reg), Tasks: reg, Concurrency: 16, Timeout: time.Minute,
		Trigger: &natsjs.Trigger{Stream: "EV9", Subjects: []string{"ev9"}, Consumer: "c9", MaxDeliver: 5, AckWait: time.Second},
	}}})
	// The redelivery (after ack_wait) runs and is acknowledged.
	waitFor(t, 10*time.Second, func() bool { return runs.Load() == 1 }, "the redelivered event did not run")
	info := settled(t, js, "EV9", "c9", 10*time.Second)
	if info.Delivered.Consumer != 2 || runs.Load() != 1 {
		t.Errorf("deliveries %d, runs %d; want 2 (dead worker, binding) and 1", info.Delivered.Consumer, runs.Load())
	}
	if c := subjectCount(t, js, natsjs.ResultsStream, natsjs.ResultsPrefix+"dedup"); c != 1 {
		t.Fatalf("%d results stored for one event, want 1 (duplicate dropped by Nats-Msg-Id)", c)
	}
	stored := readMsgs(t, js, natsjs.ResultsStream, natsjs.ResultsPrefix+"dedup", 1, 5*time.Second)
	if len(stored) != 1 || !strings.Contains(string(stored[0].Data()), "dead worker") {
		t.Fatalf("stored results %d, want the first (dead worker's) only", len(stored))
	}

	// A second event: the stored result carries the contract headers.
	publish(t, js, "ev9", `{"id":"two"}`, "")
	stored = readMsgs(t, js, natsjs.ResultsStream, natsjs.ResultsPrefix+"dedup", 2, 10*time.Second)
	if len(stored) != 2 {
		t.Fatalf("got %d stored results, want 2", len(stored))
	}
	m := stored[1]
	r := decodeResult(t, m)
	if got, want := m.Headers().Get(nats.MsgIdHdr), "dedup:"+eventID(t, js, "EV9", 2); got != want {
		t.Errorf("Nats-Msg-Id %q, want %s (<machine>:<stream>:<seq>:<stored>)", got, want)
	}
	if m.Headers().Get(natsjs.HeaderStatus) != "SUCCEEDED" || m.Headers().Get(natsjs.HeaderExecution) != r.ExecutionArn ||
		!strings.HasPrefix(r.ExecutionArn, "arn:aws:states:us-east-1:123456789012:express:dedup:EV9-2:") || r.Name != "EV9-2" ||
		r.Event.Stream != "EV9" || r.Event.Seq != 2 || r.Event.Subject != "ev9" || r.Event.MsgID != "" {
		t.Errorf("result headers %v body %+v", m.Headers(), r)
	}
}

// TestScenarioTwoWorkers: two bindings (two workers, own connections) on
// the same durable consumer share 1000 events; each runs some, every event
// runs once and has exactly one stored result.
func TestScenarioTwoWorkers(t *testing.T) {
	t.Parallel()
	ns := startServer(t)
	js, _ := jetstream.New(connect(t, ns))
	addEndpoint(t, connect(t, ns), "svc.work", func(r micro.Request) { _ = r.Respond([]byte(`{"worked":true}`)) })
	def := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::nats:request",
		"Parameters":{"Subject":"svc.work"},"ResultPath":"$.r","End":true}}}`
	var counts [2]atomic.Int32
	var runs sync.Map // execution name → run count
	worker := func(i int) {
		nc := connect(t, ns)
		reg := realRegistry(t, nc, regOptions{wrap: func(name string, h task.Handler) task.Handler {
			if name != "nats:request" {
				return h
			}
			return task.HandlerFunc(func(ctx context.Context, req *task.Request, done func(task.Result)) {
				v, _ := runs.LoadOrStore(req.Execution[:strings.LastIndexByte(req.Execution, ':')], new(atomic.Int32))
				v.(*atomic.Int32).Add(1)
				if counts[i].Add(1) == 1 {
					// The first event of each worker waits until the other
					// worker has one too: both take part, whatever the timing.
					go func() {
						deadline := time.Now().Add(10 * time.Second)
						for counts[1-i].Load() == 0 && time.Now().Before(deadline) {
							time.Sleep(5 * time.Millisecond)
						}
						h.Invoke(ctx, req, done)
					}()
					return
				}
				h.Invoke(ctx, req, done)
			})
		}})
		startBinding(t, nc, natsjs.Options{FetchBatch: 16, Workers: 2, Machines: []natsjs.Machine{{
			Name: "pool", Program: compileNamed(t, "pool", def, reg), Tasks: reg, Concurrency: 64, Timeout: time.Minute,
			Trigger: &natsjs.Trigger{Stream: "EV10", Subjects: []string{"ev10.>"}, Consumer: "c10", MaxDeliver: 3, AckWait: 30 * time.Second},
		}}})
	}
	worker(0)
	worker(1)
	const n = 1000
	for i := range n {
		publish(t, js, "ev10.x", fmt.Sprintf(`{"i":%d}`, i), fmt.Sprintf("p%d", i))
	}
	results := collectResults(t, js, "pool", n, 30*time.Second)
	if len(results) != n {
		t.Fatalf("got %d results, want %d", len(results), n)
	}
	seen := map[string]bool{}
	for _, r := range results {
		if r.Status != "SUCCEEDED" || seen[r.Name] {
			t.Errorf("%s: %s (duplicate %v)", r.Name, r.Status, seen[r.Name])
		}
		seen[r.Name] = true
	}
	info := settled(t, js, "EV10", "c10", 10*time.Second)
	if c := subjectCount(t, js, natsjs.ResultsStream, natsjs.ResultsPrefix+"pool"); c != n {
		t.Errorf("%d results stored, want %d", c, n)
	}
	a, b := counts[0].Load(), counts[1].Load()
	t.Logf("worker 0 ran %d, worker 1 ran %d", a, b)
	if a == 0 || b == 0 || a+b != n {
		t.Errorf("workers ran %d and %d events, want both > 0 and %d in all", a, b, n)
	}
	if info.Delivered.Consumer != n {
		t.Errorf("%d deliveries of %d events, want one each", info.Delivered.Consumer, n)
	}
	distinct := 0
	runs.Range(func(_, v any) bool {
		distinct++
		if c := v.(*atomic.Int32).Load(); c != 1 {
			t.Errorf("an execution ran its task %d times", c)
		}
		return true
	})
	if distinct != n {
		t.Errorf("%d distinct executions, want %d", distinct, n)
	}
}

// TestScenarioSyncRequest: a sync request runs a machine calling a micro
// service and replies with the result body; a request whose execution
// outlives the client's timeout gets nats.ErrTimeout, and the daemon keeps
// serving (the late execution finishes, the next request succeeds).
func TestScenarioSyncRequest(t *testing.T) {
	t.Parallel()
	ns := startServer(t)
	nc := connect(t, ns)
	var calls atomic.Int32
	addEndpoint(t, connect(t, ns), "svc.double", func(r micro.Request) {
		calls.Add(1)
		n, _ := strconv.Atoi(string(r.Data()))
		_ = r.Respond([]byte(strconv.Itoa(2 * n)))
	})
	reg := realRegistry(t, nc, regOptions{})
	def := `{"StartAt":"Slow?","States":{
		"Slow?":{"Type":"Choice","Choices":[{"Variable":"$.slow","IsPresent":true,"Next":"W"}],"Default":"Call"},
		"W":{"Type":"Wait","Seconds":2,"Next":"Call"},
		"Call":{"Type":"Task","Resource":"arn:aws:states:::nats:request","Parameters":{"Subject":"svc.double","Payload.$":"$.n"},
			"ResultSelector":{"doubled.$":"$","name.$":"$$.Execution.Name"},"End":true}}}`
	startBinding(t, nc, natsjs.Options{Machines: []natsjs.Machine{{
		Name: "syncm", Program: compileNamed(t, "syncm", def, reg), Tasks: reg, Concurrency: 16, Timeout: time.Minute}}})
	client := connect(t, ns)
	call := func(body, id string, timeout time.Duration) (resultBody, error) {
		msg := nats.NewMsg(natsjs.SyncPrefix + "syncm")
		msg.Data = []byte(body)
		if id != "" {
			msg.Header.Set(nats.MsgIdHdr, id)
		}
		reply, err := client.RequestMsg(msg, timeout)
		if err != nil {
			return resultBody{}, err
		}
		var r resultBody
		if err := json.Unmarshal(reply.Data, &r); err != nil {
			t.Fatalf("reply is not JSON: %s", reply.Data)
		}
		return r, nil
	}
	r, err := call(`{"n":21}`, "sync-1", 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != "SUCCEEDED" || string(r.Output) != `{"doubled":42,"name":"sync-1"}` || r.Name != "sync-1" ||
		!strings.Contains(r.ExecutionArn, ":express:syncm:sync-1:") || r.Event.Subject != natsjs.SyncPrefix+"syncm" {
		t.Errorf("sync reply %+v", r)
	}
	if _, err := call(`{"n":1,"slow":true}`, "sync-slow", 300*time.Millisecond); err != nats.ErrTimeout {
		t.Fatalf("slow sync request: err %v, want nats.ErrTimeout", err)
	}
	r, err = call(`{"n":2}`, "", 5*time.Second)
	if err != nil || r.Status != "SUCCEEDED" || !strings.HasPrefix(string(r.Output), `{"doubled":4,`) {
		t.Fatalf("request after a timed-out one: %v %+v", err, r)
	}
	// The abandoned execution still runs to its end (3 service calls).
	waitFor(t, 10*time.Second, func() bool { return calls.Load() == 3 }, "the timed-out execution did not finish")
	r, err = call(`{"n":3}`, "", 5*time.Second)
	if err != nil || r.Status != "SUCCEEDED" || !strings.HasPrefix(string(r.Output), `{"doubled":6,`) {
		t.Fatalf("request after the late reply: %v %+v", err, r)
	}
}
