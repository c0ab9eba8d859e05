package asl

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/expressd/expressd/pkg/value"
)

const equivJSON = `{
  "Comment": "order",
  "StartAt": "Check",
  "TimeoutSeconds": 60,
  "States": {
    "Check": {
      "Type": "Choice",
      "Choices": [
        {"And": [{"Variable": "$.n", "NumericGreaterThan": 2.5}, {"Not": {"Variable": "$.s", "IsNull": true}}], "Next": "Work"}
      ],
      "Default": "Done"
    },
    "Work": {
      "Type": "Task",
      "Resource": "arn:aws:states:::lambda:invoke",
      "Parameters": {"a.$": "$.n", "list": [1, "x", null, true]},
      "Retry": [{"ErrorEquals": ["States.ALL"], "MaxAttempts": 2}],
      "Next": "Fan"
    },
    "Fan": {
      "Type": "Map",
      "ItemsPath": "$.items",
      "Parameters": {"v.$": "$$.Map.Item.Value"},
      "Iterator": {"StartAt": "Each", "States": {"Each": {"Type": "Pass", "End": true}}},
      "ResultPath": null,
      "Next": "Done"
    },
    "Done": {"Type": "Succeed"}
  }
}`

const equivYAML = `
Comment: order
StartAt: Check
TimeoutSeconds: 60
States:
  Check:
    Type: Choice
    Choices:
      - And:
          - {Variable: $.n, NumericGreaterThan: 2.5}
          - Not: {Variable: $.s, IsNull: true}
        Next: Work
    Default: Done
  Work:
    Type: Task
    Resource: arn:aws:states:::lambda:invoke
    Parameters:
      a.$: $.n
      list: [1, x, null, true]
    Retry:
      - ErrorEquals: [States.ALL]
        MaxAttempts: 2
    Next: Fan
  Fan:
    Type: Map
    ItemsPath: $.items
    Parameters: {v.$: $$.Map.Item.Value}
    Iterator: &proc
      StartAt: Each
      States:
        Each: {Type: Pass, End: true}
    ResultPath: ~
    Next: Done
  Done: {Type: Succeed}
`

func TestJSONAndYAMLEquivalent(t *testing.T) {
	mj, dj := Load("m.asl.json", []byte(equivJSON))
	my, dy := Load("m.asl.yaml", []byte(equivYAML))
	if len(dj) != 0 || len(dy) != 0 {
		t.Fatalf("diagnostics: json %v, yaml %v", dj, dy)
	}
	opts := cmp.Options{
		cmp.AllowUnexported(StateMachine{}),
		cmpopts.IgnoreFields(Node{}, "Pos", "KeyPos"),
	}
	if diff := cmp.Diff(mj, my, opts); diff != "" {
		t.Errorf("JSON and YAML machines differ (-json +yaml):\n%s", diff)
	}
	if !mj.State("Fan").LegacyIterator || !mj.State("Fan").LegacyParameters {
		t.Errorf("Fan: legacy Iterator/Parameters not recorded")
	}
	if r := mj.State("Work").Retry[0]; r.IntervalSeconds != 1 || r.MaxAttempts != 2 || r.BackoffRate != 2 || r.JitterStrategy != "NONE" {
		t.Errorf("retrier defaults: got %+v", r)
	}
}

func TestYAMLScalarsAndAliases(t *testing.T) {
	src := "base: &b {x: 0x1F, y: 1_000, z: .5, t: 2024-01-01T00:00:00Z, f: false, n: null}\ncopy: *b\nmerged:\n  <<: *b\n  x: 1\n"
	n, diags := DecodeNode("t.yaml", []byte(src))
	if len(diags) != 0 {
		t.Fatal(diags)
	}
	got := n.Value().JSON()
	want := `{"base":{"x":31,"y":1000,"z":0.5,"t":"2024-01-01T00:00:00Z","f":false,"n":null},` +
		`"copy":{"x":31,"y":1000,"z":0.5,"t":"2024-01-01T00:00:00Z","f":false,"n":null},` +
		`"merged":{"x":1,"y":1000,"z":0.5,"t":"2024-01-01T00:00:00Z","f":false,"n":null}}`
	if got != want {
		t.Errorf("got %s\nwant %s", got, want)
	}
	if p := n.Get("merged").Get("y").Pointer; p != "/merged/y" {
		t.Errorf("merged pointer: got %q, want /merged/y", p)
	}
}

func TestYAMLAliasBomb(t *testing.T) {
	src := "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
	prev := "a"
	for _, name := range []string{"b", "c", "d", "e", "f", "g", "h"} {
		src += name + ": &" + name + " [*" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + "]\n"
		prev = name
	}
	_, diags := DecodeNode("bomb.yaml", []byte(src))
	if len(diags) == 0 {
		t.Fatal("alias expansion beyond the node budget was accepted")
	}
}

func TestNodeValueAndPointers(t *testing.T) {
	n, diags := DecodeNode("p.json", []byte(`{"a/b":{"c~d":[1.50,"\u00e9\ud83d\ude00"]}}`))
	if len(diags) != 0 {
		t.Fatal(diags)
	}
	arr := n.Get("a/b").Get("c~d")
	if arr.Pointer != "/a~1b/c~0d" || arr.Items[1].Pointer != "/a~1b/c~0d/1" {
		t.Errorf("pointers: got %q, %q", arr.Pointer, arr.Items[1].Pointer)
	}
	if got := n.Value().JSON(); got != `{"a/b":{"c~d":[1.50,"é😀"]}}` {
		t.Errorf("Value: got %s", got)
	}
	if n.Get("zz") != nil || arr.Get("x") != nil || (*Node)(nil).Get("x") != nil {
		t.Error("Get on a missing member, an array or nil must return nil")
	}
	if (*Node)(nil).Value().Kind() != value.Null {
		t.Error("nil Node must convert to null")
	}
}

func TestDiagnosticString(t *testing.T) {
	tests := []struct {
		d    Diagnostic
		want string
	}{
		{Diagnostic{File: "f.json", Pos: Pos{Line: 3, Col: 14}, Pointer: "/States/X/Next", Msg: "m"}, "f.json:3:14: /States/X/Next: m"},
		{Diagnostic{File: "f.json", Msg: "m"}, "f.json: /: m"},
		{Diagnostic{Pos: Pos{Line: 2}, Pointer: "/a", Msg: "m"}, "2: /a: m"},
		{Diagnostic{Msg: "m"}, "/: m"},
	}
	for _, tc := range tests {
		if got := tc.d.String(); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
	ds := Diagnostics{{Msg: "a"}, {Msg: "b"}}
	if ds.Error() != "/: a\n/: b" {
		t.Errorf("Error(): got %q", ds.Error())
	}
}

func TestLimits(t *testing.T) {
	big := make([]byte, MaxDefinitionBytes+1)
	if _, diags := Decode("big.json", big); len(diags) != 1 || diags[0].Code != CodeLimit {
		t.Errorf("oversized definition: got %v", diags)
	}
	deep := ""
	for i := 0; i < MaxNestingDepth+1; i++ {
		deep += "["
	}
	_, diags := Decode("deep.json", []byte(`{"StartAt":"A","States":{"A":{"Type":"Pass","Result":`+deep))
	if want := `deep.json:1:115: /States/A/Result/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0: definition nests deeper than 64 levels`; len(diags) != 1 || diags[0].String() != want {
		t.Errorf("deep definition: got %v", diags)
	}
}
