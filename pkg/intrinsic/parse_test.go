package intrinsic

import (
	"errors"
	"strconv"
	"strings"
	"testing"
)

func TestIsCall(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"States.Array()", true},
		{"States.Format('{}', $.x)", true},
		{"States.Nope(1)", true}, // looks like a call; Parse reports the name
		{"$.States.Array()", false},
		{"States.Array", false},
		{"States.(", false},
		{" States.Array()", false},
		{"$", false},
		{"", false},
	}
	for _, tc := range tests {
		if got := IsCall(tc.in); got != tc.want {
			t.Errorf("IsCall(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		str   string // canonical String(); "" means same as in
		paths []string
	}{
		{"no args", "States.Array()", "", nil},
		{"space inside parens", "States.Array(  )", "States.Array()", nil},
		{"literals", "States.Array('a', 1, -2.5, 1e3, true, false, null)", "", nil},
		{"white space", "States.Array( 'a' ,\t1 ,\n$.x )  ", "States.Array('a', 1, $.x)", []string{"$.x"}},
		{"escapes kept", `States.Format('\{\} \' \\ {}', $.a)`, "", []string{"$.a"}},
		{"unescaped braces in literal", `States.StringToJson('{"a": 1}')`, "", nil},
		{"paths", "States.Array($, $.a.b, $.a[0], $['x y'], $$.Execution.Id, $var, $var.x)", "",
			[]string{"$", "$.a.b", "$.a[0]", "$['x y']", "$$.Execution.Id", "$var", "$var.x"}},
		{"path with comma in brackets", "States.Array($['a,b'], $.c[?(@.d == 'x)')])", "",
			[]string{"$['a,b']", "$.c[?(@.d == 'x)')]"}},
		{"duplicate paths share an index", "States.Array($.a, States.Array($.a, $.b))", "", []string{"$.a", "$.b"}},
		{"nested", "States.ArrayGetItem(States.StringSplit($$.StateMachine.Name, '-'), States.MathAdd(States.ArrayLength(States.StringSplit($$.StateMachine.Name, '-')), -1))",
			"", []string{"$$.StateMachine.Name"}},
		{"depth 10", strings.Repeat("States.Array(", 10) + strings.Repeat(")", 10), "", nil},
		{"optional seed", "States.MathRandom(1, 10, 42)", "", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse(tc.in)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tc.in, err)
			}
			want := tc.str
			if want == "" {
				want = tc.in
			}
			if got := c.String(); got != want {
				t.Errorf("String() got %q, want %q", got, want)
			}
			if got := c.Paths(); strings.Join(got, "|") != strings.Join(tc.paths, "|") {
				t.Errorf("Paths() got %q, want %q", got, tc.paths)
			}
		})
	}
}

func TestParseArgs(t *testing.T) {
	c, err := Parse(`States.Format('a\{b\'', $.x, States.UUID(), 2)`)
	if err != nil {
		t.Fatal(err)
	}
	if c.Func != Format || len(c.Args) != 4 {
		t.Fatalf("got %v with %d args, want States.Format with 4", c.Func, len(c.Args))
	}
	if a := c.Args[0]; a.Kind != ArgLiteral || a.Lit.Str() != "a{b'" {
		t.Errorf("arg 0: got kind %d %s, want literal \"a{b'\"", a.Kind, a.Lit)
	}
	if a := c.Args[1]; a.Kind != ArgPath || c.Paths()[a.Path] != "$.x" {
		t.Errorf("arg 1: got kind %d path %d, want path $.x", a.Kind, a.Path)
	}
	if a := c.Args[2]; a.Kind != ArgCall || a.Call.Func != UUID {
		t.Errorf("arg 2: got kind %d, want call States.UUID", a.Kind)
	}
	if a := c.Args[3]; a.Kind != ArgLiteral || a.Lit.Float() != 2 {
		t.Errorf("arg 3: got kind %d %s, want 2", a.Kind, a.Lit)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, in string
		offset   int
		msg      string
	}{
		{"unknown function", "States.Nope(1)", 0, `unknown intrinsic function "States.Nope"`},
		{"case matters", "States.format('x')", 0, `unknown intrinsic function "States.format"`},
		{"not a call", "$.x", 0, "expected an intrinsic function name"},
		{"missing paren", "States.Array", 12, "expected '(' after States.Array"},
		{"unclosed", "States.Array(1", 14, "missing ')' to close States.Array("},
		{"trailing text", "States.Array() x", 15, "after the closing ')'"},
		{"trailing comma", "States.Array(1,)", 15, "missing argument before ')'"},
		{"empty arg", "States.Array(,1)", 13, "missing argument before ','"},
		{"missing comma", "States.Array(1 2)", 15, "expected ',' or ')'"},
		{"bare word", "States.Array(abc)", 13, "unexpected 'a'"},
		{"double quotes", `States.Array("a")`, 13, `unexpected '"'`},
		{"unterminated string", "States.Array('abc)", 13, "unterminated string literal"},
		{"escaped double quote (AWS test_illegal_escapes)", `States.StringToJson('{\"a\":1}')`, 22, `illegal escape \'"'`},
		{"escaped n", `States.Format('a\nb')`, 16, `illegal escape \'n'`},
		{"dangling backslash", `States.Format('a\`, 16, `dangling '\'`},
		{"bad number", "States.Array(1.)", 13, "digit expected after '.'"},
		{"number then word", "States.Array(1x)", 13, "invalid number literal"},
		{"leading zero", "States.Array(00)", 13, "leading zero"},
		{"minus alone", "States.Array(-)", 13, "invalid number literal"},
		{"unbalanced bracket", "States.Array($.a])", 16, "unbalanced ']'"},
		{"mismatched bracket", "States.Array($.a[0)", 18, "unbalanced ')'"},
		{"unterminated bracket", "States.Array($.a[0", 13, "unterminated path argument"},
		{"bad path", "States.Array($ x)", 14, "invalid path argument"},
		{"too few", "States.ArrayPartition($.a)", 0, "States.ArrayPartition takes 2 arguments, got 1"},
		{"too many", "States.UUID(1)", 0, "States.UUID takes 0 arguments, got 1"},
		{"format needs template", "States.Format()", 0, "States.Format takes at least 1 argument, got 0"},
		{"random range", "States.MathRandom(1)", 0, "States.MathRandom takes 2 to 3 arguments, got 1"},
		{"nested arity", "States.Array(States.Hash('a'))", 13, "States.Hash takes 2 arguments, got 1"},
		{"too deep", strings.Repeat("States.Array(", 11) + strings.Repeat(")", 11), 130, "nested deeper than 10 levels"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse(tc.in)
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q) got %v, %v, want *SyntaxError", tc.in, c, err)
			}
			if se.Offset != tc.offset || !strings.Contains(se.Msg, tc.msg) {
				t.Errorf("got offset %d %q, want offset %d containing %q", se.Offset, se.Msg, tc.offset, tc.msg)
			}
			if !strings.Contains(err.Error(), strconv.Quote(tc.in)) {
				t.Errorf("Error() %q does not quote the input", err.Error())
			}
		})
	}
}

func TestFuncString(t *testing.T) {
	for f := Func(0); f < numFuncs; f++ {
		g, ok := lookup(f.String())
		if !ok || g != f || !strings.HasPrefix(f.String(), "States.") {
			t.Errorf("Func(%d).String() = %q does not look up to itself", f, f.String())
		}
	}
	if got := Func(200).String(); got != "Func(200)" {
		t.Errorf("got %q, want Func(200)", got)
	}
}

func TestParseInvalidUTF8(t *testing.T) {
	_, err := Parse("States.Array('a\xdc')")
	var se *SyntaxError
	if !errors.As(err, &se) || se.Offset != 15 || se.Msg != "invalid UTF-8" {
		t.Errorf("got %v, want invalid UTF-8 at offset 15", err)
	}
}
