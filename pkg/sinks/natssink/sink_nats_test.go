package natssink

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/expressd/expressd/pkg/sinks"
	"github.com/expressd/expressd/pkg/value"
)

func runServer(t *testing.T) *nats.Conn {
	t.Helper()
	s, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(), NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	go s.Start()
	if !s.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats-server not ready")
	}
	t.Cleanup(s.Shutdown)
	nc, err := nats.Connect(s.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return nc
}

func record(i int, machine string) sinks.Record {
	types := []string{"ExecutionStarted", "TaskFailed"}
	return sinks.Record{
		ID: int64(i), PreviousID: int64(i - 1), Type: types[i%2], Machine: machine,
		Timestamp: time.UnixMilli(1713959670680), ExecutionArn: "arn:x", Details: value.MustParse(`{"name":"S"}`),
	}
}

func line(r sinks.Record) string { return string(r.AppendJSON(nil)) }

func TestCorePublish(t *testing.T) {
	nc := runServer(t)
	sub, err := nc.SubscribeSync("expressd.logs.>")
	if err != nil {
		t.Fatal(err)
	}
	nc.Flush()

	tests := []struct {
		name  string
		o     sinks.Options
		batch []sinks.Record
		want  []string // subject + " " + data
	}{
		{"default subject per record", sinks.Options{}, []sinks.Record{record(1, "a"), record(2, "b"), record(3, "")},
			[]string{"expressd.logs.a " + line(record(1, "a")), "expressd.logs.b " + line(record(2, "b")), "expressd.logs._ " + line(record(3, ""))}},
		{"per-machine sink", sinks.Options{Machine: "m1"}, []sinks.Record{record(1, "other")},
			[]string{"expressd.logs.m1 " + line(record(1, "other"))}},
		{"fixed subject and filter", sinks.Options{Subject: "expressd.logs.failures", Filter: `select(.type == "TaskFailed") | {id}`},
			[]sinks.Record{record(1, "a"), record(2, "a"), record(3, "b")},
			[]string{`expressd.logs.failures {"id":"1"}`, `expressd.logs.failures {"id":"3"}`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, n, err := Plugin(nc).New(tc.o)
			if err != nil {
				t.Fatal(err)
			}
			if n != 1 {
				t.Errorf("maxInFlight %d, want 1", n)
			}
			ctx := context.Background()
			if err := s.Write(ctx, tc.batch); err != nil {
				t.Fatal(err)
			}
			if err := s.Close(ctx); err != nil {
				t.Fatal(err)
			}
			var got []string
			for range tc.want {
				m, err := sub.NextMsg(2 * time.Second)
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, m.Subject+" "+string(m.Data))
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestStreamPublish(t *testing.T) {
	nc := runServer(t)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "LOGS", Subjects: []string{"expressd.logs.>"}})
	if err != nil {
		t.Fatal(err)
	}

	s, _, err := Plugin(nc).New(sinks.Options{Stream: "LOGS"})
	if err != nil {
		t.Fatal(err)
	}
	// Through the Dispatcher, as the daemon uses it.
	d := sinks.NewDispatcher([]sinks.Named{{Name: Name, Sink: s}}, nil, nil)
	const n = 1200
	for i := range n {
		d.Emit(record(i, fmt.Sprint("m", i%3)))
	}
	if err := d.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if got := d.Stats()[0]; got.Written != n || got.Dropped != 0 {
		t.Fatalf("stats %+v, want %d written", got, n)
	}
	info, err := st.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Msgs != n {
		t.Fatalf("stream holds %d messages, want %d", info.State.Msgs, n)
	}
	for _, seq := range []uint64{1, n} {
		m, err := st.GetMsg(ctx, seq)
		if err != nil {
			t.Fatal(err)
		}
		r := record(int(seq-1), fmt.Sprint("m", (seq-1)%3))
		if got, want := m.Subject+" "+string(m.Data), "expressd.logs."+r.Machine+" "+line(r); got != want {
			t.Errorf("seq %d: got %s, want %s", seq, got, want)
		}
	}
}

func TestStreamErrors(t *testing.T) {
	nc := runServer(t)
	js, _ := jetstream.New(nc)
	if _, err := js.CreateStream(context.Background(), jetstream.StreamConfig{Name: "OTHER", Subjects: []string{"other.>"}}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		o    sinks.Options
		want string
	}{
		{"missing stream", sinks.Options{Stream: "NOPE"}, `natssink: stream "NOPE" does not exist`},
		{"stream misses subject", sinks.Options{Stream: "OTHER"}, `natssink: stream "OTHER" (subjects other.>) does not capture expressd.logs.*`},
		{"wildcard subject", sinks.Options{Subject: "a.*"}, `natssink: invalid subject "a.*"`},
		{"bad filter", sinks.Options{Filter: "{"}, `sinks: filter "{"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := Plugin(nc).New(tc.o)
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("got %v, want prefix %q", err, tc.want)
			}
		})
	}
	if _, _, err := Plugin(nil).New(sinks.Options{}); err == nil {
		t.Error("nil connection: got nil error")
	}
}

func TestClosedConnection(t *testing.T) {
	nc := runServer(t)
	s, _, err := Plugin(nc).New(sinks.Options{})
	if err != nil {
		t.Fatal(err)
	}
	nc.Close()
	err = s.Write(context.Background(), []sinks.Record{record(1, "a")})
	if !errors.Is(err, sinks.ErrNotConnected) {
		t.Errorf("got %v, want ErrNotConnected", err)
	}
}

func TestSubjectCovers(t *testing.T) {
	for _, tc := range []struct {
		filter, pattern string
		want            bool
	}{
		{"expressd.logs.>", "expressd.logs.*", true},
		{"expressd.logs.*", "expressd.logs.*", true},
		{"expressd.>", "expressd.logs.x", true},
		{"expressd.logs.x", "expressd.logs.*", false},
		{"expressd.logs", "expressd.logs.*", false},
		{"expressd.logs.>", "expressd.logs", false},
		{"*.logs.x", "expressd.logs.x", true},
		{">", "a", true},
	} {
		if got := subjectCovers(tc.filter, tc.pattern); got != tc.want {
			t.Errorf("subjectCovers(%q, %q) = %v, want %v", tc.filter, tc.pattern, got, tc.want)
		}
	}
}
