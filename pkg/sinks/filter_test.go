package sinks

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func filterLines(t *testing.T, filter string, batch []Record) []string {
	t.Helper()
	var buf bytes.Buffer
	s, err := NewWriter(&buf, filter)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Write(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
	if buf.Len() == 0 {
		return nil
	}
	out := strings.Split(buf.String(), "\n")
	return out[:len(out)-1]
}

func TestFilter(t *testing.T) {
	batch := testBatch(0, 10) // types cycle; TaskFailed at 3, 8; ExecutionFailed at 4, 9
	tests := []struct {
		name, filter string
		want         []string
	}{
		{"identity", ".", []string{
			recordLine(batch[0]), recordLine(batch[1]), recordLine(batch[2]), recordLine(batch[3]), recordLine(batch[4]),
			recordLine(batch[5]), recordLine(batch[6]), recordLine(batch[7]), recordLine(batch[8]), recordLine(batch[9]),
		}},
		{"select", `select(.type | endswith("Failed"))`, []string{
			recordLine(batch[3]), recordLine(batch[4]), recordLine(batch[8]), recordLine(batch[9]),
		}},
		{"reshape", `select(.id == "3" or .id == "5") | {type, id}`, []string{
			`{"id":"3","type":"TaskFailed"}`, `{"id":"5","type":"ExecutionStarted"}`,
		}},
		{"details", `select(.id == "2") | .details | {name, index, ratio, input: (.input | fromjson)}`, []string{
			`{"index":2,"input":{"n":2},"name":"S2","ratio":1.50}`,
		}},
		{"several outputs", `select(.id == "1") | .type, .id`, []string{`"PassStateEntered"`, `"1"`}},
		{"empty", `empty`, nil},
		{"runtime error drops the record", `select(.id == "1" or .id == "2") | if .id == "1" then error("x") else .id end`, []string{`"2"`}},
		{"halt keeps earlier outputs", `select(.id == "1") | .id, halt`, []string{`"1"`}},
		{"too many outputs", `select(.id == "0") | range(1000)`, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := filterLines(t, tc.filter, batch)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("filter %s (-want +got):\n%s", tc.filter, diff)
			}
		})
	}
}

func TestFilterErrors(t *testing.T) {
	for _, tc := range []struct{ filter, want string }{
		{`select(.type | endswith("Failed")`, `sinks: filter "select(.type | endswith(\"Failed\")": unexpected EOF`},
		{`nosuchfunc(1)`, `sinks: filter "nosuchfunc(1)": function not defined: nosuchfunc/1`},
	} {
		_, err := NewEncoder(tc.filter)
		if err == nil {
			t.Fatalf("%s: got nil error", tc.filter)
		}
		if err.Error() != tc.want {
			t.Errorf("got %q, want %q", err, tc.want)
		}
		for _, p := range []Plugin{StdoutPlugin(), FilePlugin(), DiscardPlugin()} {
			if _, _, err := p.New(Options{Type: p.Name, Filter: tc.filter, Path: t.TempDir() + "/x"}); err == nil {
				t.Errorf("%s with filter %s: got nil error", p.Name, tc.filter)
			}
		}
	}
}

func TestFilterErrorCount(t *testing.T) {
	e, err := NewEncoder(`.details.name | tonumber`)
	if err != nil {
		t.Fatal(err)
	}
	if n := e.Encode(context.Background(), testBatch(0, 3)).Len(); n != 0 {
		t.Errorf("got %d lines, want 0", n)
	}
	if got := e.Filter().Errors(); got != 3 {
		t.Errorf("Errors() = %d, want 3", got)
	}
}

func TestEncodeNoAllocs(t *testing.T) {
	e, _ := NewEncoder("")
	batch := testBatch(0, 64)
	ctx := context.Background()
	e.Encode(ctx, batch)
	if n := testing.AllocsPerRun(100, func() { e.Encode(ctx, batch) }); n != 0 {
		t.Errorf("Encode without a filter: %v allocs per batch, want 0", n)
	}
}
