package intrinsic

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/expressd/expressd/pkg/value"
)

func TestEval(t *testing.T) {
	long := strings.Repeat("a", MaxEncodeInput)
	input := value.MustParse(`{
		"s": "HelloWorld", "n": 3, "f": 1.5, "arr": [1, 2, 3, 4, 5], "empty": [],
		"obj": {"Arg1": 1, "Arg2": []}, "nested": {"a": {"b": [1, "x", null, true, {"c": 1.0}]}},
		"dups": [1, {"a": 1, "b": 2}, 1.0, "1", {"b": 2, "a": 1}, [1], [1], null, null],
		"long": "` + long + `", "tooLong": "` + long + `a", "tmpl": "x={} y={}", "badTmpl": "x={",
		"o1": {"a": 1, "b": {"x": 1}}, "o2": {"b": {"y": 2}, "c": 3}
	}`)
	tests := []struct {
		name, call, want string
	}{
		// Format
		{"format string raw", "States.Format('Hello {}!', $.s)", `"Hello HelloWorld!"`},
		{"format number null bool", "States.Format('{} {} {} {}', $.n, $.f, null, true)", `"3 1.5 null true"`},
		{"format object java style", "States.Format('{}', $.obj)", `"{Arg1=1, Arg2=[]}"`},
		{"format nested", "States.Format('{}', $.nested)", `"{a={b=[1, x, null, true, {c=1.0}]}}"`},
		{"format escapes", `States.Format('\{\} {} \\ \'', 1)`, `"{} 1 \\ '"`},
		{"format no placeholders", "States.Format('plain')", `"plain"`},
		{"format template from path", "States.Format($.tmpl, 1, 'b')", `"x=1 y=b"`},
		{"format string with braces as arg", `States.Format('{}', '\{a\}')`, `"{a}"`},
		{"format variable", "States.Format('{}{}', $v, $n)", `"var3"`},
		// StringToJson / JsonToString
		{"string to json", `States.StringToJson('{"a": [1, 2.5]}')`, `{"a":[1,2.5]}`},
		{"string to json blank", "States.StringToJson('  ')", `null`},
		{"string to json -0", "States.StringToJson('-0')", `0`},
		{"string to json nested -0", "States.StringToJson('[-0, 1]')", `[0,1]`},
		{"json to string", "States.JsonToString($.obj)", `"{\"Arg1\":1,\"Arg2\":[]}"`},
		{"json to string string", "States.JsonToString($.s)", `"\"HelloWorld\""`},
		{"json to string null", "States.JsonToString(null)", `"null"`},
		// Arrays
		{"array empty", "States.Array()", `[]`},
		{"array mixed", "States.Array('a', 1, $.obj, null)", `["a",1,{"Arg1":1,"Arg2":[]},null]`},
		{"partition", "States.ArrayPartition($.arr, 2)", `[[1,2],[3,4],[5]]`},
		{"partition big chunk", "States.ArrayPartition($.arr, 10)", `[[1,2,3,4,5]]`},
		{"partition empty", "States.ArrayPartition($.empty, 3)", `[]`},
		// Integer arguments round to the nearest integer, halves up (AWS
		// guide; issue 11: they were truncated). ArrayGetItem's index is
		// not documented to round and keeps truncating.
		{"partition rounds", "States.ArrayPartition($.arr, 2.6)", `[[1,2,3],[4,5]]`},
		{"partition rounds half up", "States.ArrayPartition($.arr, 1.5)", `[[1,2],[3,4],[5]]`},
		{"partition rounds 0.6 to 1", "States.ArrayPartition($.arr, 0.6)", `[[1],[2],[3],[4],[5]]`},
		{"contains deep", `States.ArrayContains($.dups, States.StringToJson('{"b":2,"a":1}'))`, `true`},
		{"contains number by value", "States.ArrayContains($.arr, 2.0)", `true`},
		{"contains no", "States.ArrayContains($.arr, '1')", `false`},
		{"range inclusive", "States.ArrayRange(0, 9, 3)", `[0,3,6,9]`},
		{"range end not hit", "States.ArrayRange(0, 10, 3)", `[0,3,6,9]`},
		{"range single", "States.ArrayRange(1, 9, 9)", `[1]`},
		{"range descending", "States.ArrayRange(5, 1, -2)", `[5,3,1]`},
		{"range wrong direction", "States.ArrayRange(5, 1, 1)", `[]`},
		{"range rounds", "States.ArrayRange(1.4, 5.6, 2.2)", `[1,3,5]`},
		{"range rounds halves up", "States.ArrayRange(0.6, 4.5, 1.5)", `[1,3,5]`},
		{"range rounds negative halves up", "States.ArrayRange(-1.5, 2.5, 1)", `[-1,0,1,2,3]`},
		{"random rounds to a unit range", "States.MathRandom(0.6, 1.5)", `1`},
		{"random rounds halves up", "States.MathRandom(2.5, 3.5)", `3`},
		{"range 1000", "States.ArrayLength(States.ArrayRange(1, 1000, 1))", `1000`},
		{"get item", "States.ArrayGetItem($.arr, 0)", `1`},
		{"get item path index", "States.ArrayGetItem($.nested.a.b, $.n)", `true`},
		{"get item truncates", "States.ArrayGetItem($.arr, 1.2)", `2`},
		{"length", "States.ArrayLength($.arr)", `5`},
		{"length empty", "States.ArrayLength($.empty)", `0`},
		{"unique", "States.ArrayUnique($.dups)", `[1,{"a":1,"b":2},"1",[1],null]`},
		{"unique small", "States.ArrayUnique(States.Array(1, 2, 1))", `[1,2]`},
		// Encoding and hashing
		{"base64 encode", "States.Base64Encode('Data to encode')", `"RGF0YSB0byBlbmNvZGU="`},
		{"base64 encode empty", "States.Base64Encode('')", `""`},
		{"base64 encode unicode", "States.Base64Encode('✓')", `"4pyT"`},
		{"base64 encode limit", "States.ArrayLength(States.StringSplit(States.Base64Encode($.long), '='))", `1`},
		{"base64 decode", "States.Base64Decode('RGF0YSB0byBlbmNvZGU=')", `"Data to encode"`},
		{"base64 decode lenient", "States.Base64Decode(' YWJj ZA ')", `"abcd"`},
		{"base64 round trip", "States.Base64Decode(States.Base64Encode($.s))", `"HelloWorld"`},
		{"hash md5", "States.Hash('hello', 'MD5')", `"5d41402abc4b2a76b9719d911017c592"`},
		{"hash sha1", "States.Hash('hello', 'SHA-1')", `"aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d"`},
		{"hash sha256", "States.Hash('hello', 'SHA-256')", `"2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"`},
		{"hash sha384", "States.Hash('hello', 'SHA-384')", `"59e1748777448c69de6b800d7a33bbfb9ff1b463e44354c3553bcdb9c666fa90125a3c79f90397bdf5f6a13de828684f"`},
		{"hash sha512", "States.Hash('hello', 'SHA-512')", `"9b71d224bd62f3785d96d46ad3ea3d73319bfbc2890caadae2dff72519673ca72323c3d99ba5c11d7c7acc6e14b8c5da0c4663475c2e5c3adef46f73bcdec043"`},
		{"hash limit", "States.Hash($.long, 'MD5')", `"0d0c9c4db6953fee9e03f528cafd7d3e"`},
		// JSON, math, strings
		{"merge shallow right wins", "States.JsonMerge($.o1, $.o2, false)", `{"a":1,"b":{"y":2},"c":3}`},
		{"math add", "States.MathAdd(1, 2)", `3`},
		{"math add rounding", "States.MathAdd(1.49, 1.5)", `3`},
		{"math add -1.5", "States.MathAdd(-1.5, 0)", `-1`},
		{"math add -2.5", "States.MathAdd(-2.5, 0)", `-2`},
		{"math add -0.5", "States.MathAdd(-0.5, 0)", `0`},
		{"math add -1.51", "States.MathAdd(-1.51, 0)", `-2`},
		{"math add 2.5", "States.MathAdd(2.5, 0)", `3`},
		{"math add nearly half", "States.MathAdd(0.49999999999999994, 0)", `0`},
		{"math add negative path", "States.MathAdd($.n, -1)", `2`},
		{"split", "States.StringSplit('1,2,3', ',')", `["1","2","3"]`},
		{"split drops empty", "States.StringSplit(',,,,', ',')", `[]`},
		{"split spaces kept", "States.StringSplit(', , ,', ',')", `[" "," "]`},
		{"split char set", "States.StringSplit('This.is+a,test=string', '.+,=')", `["This","is","a","test","string"]`},
		{"split newline", "States.StringSplit('split on T and \nnew line', 'T\n')", `["split on "," and ","new line"]`},
		{"split empty delims", "States.StringSplit('a,b', '')", `["a,b"]`},
		{"split context", "States.ArrayGetItem(States.StringSplit($$.StateMachine.Name, '-'), 1)", `"state"`},
		{"random seeded", "States.MathRandom(5, 6, 42)", `5`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := evalString(tc.call, input)
			if err != nil {
				t.Fatalf("%s: %v", tc.call, err)
			}
			if want := value.MustParse(tc.want); !value.Equal(got, want) || got.JSON() != want.JSON() {
				t.Errorf("%s: got %s, want %s", tc.call, got, want)
			}
		})
	}
}

func TestEvalRandom(t *testing.T) {
	input := value.EmptyObject()
	seen := map[float64]bool{}
	for range 200 {
		v, err := evalString("States.MathRandom(-2, 3)", input)
		if err != nil {
			t.Fatal(err)
		}
		if f := v.Float(); f < -2 || f >= 3 || !v.IsInteger() {
			t.Fatalf("got %s, want an integer in [-2, 3)", v)
		}
		seen[v.Float()] = true
	}
	if len(seen) != 5 {
		t.Errorf("got values %v, want all of -2..2", seen)
	}
	a, _ := evalString("States.MathRandom(1, 1000000, 7)", input)
	b, _ := evalString("States.MathRandom(1, 1000000, 7)", input)
	if !value.Equal(a, b) {
		t.Errorf("seeded: got %s and %s, want equal", a, b)
	}
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	u1, _ := evalString("States.UUID()", input)
	u2, _ := evalString("States.UUID()", input)
	if !uuid.MatchString(u1.Str()) || u1.Str() == u2.Str() {
		t.Errorf("UUID: got %s and %s, want two distinct v4 UUIDs", u1, u2)
	}
}

func TestEvalErrors(t *testing.T) {
	long := strings.Repeat("a", MaxEncodeInput+1)
	input := value.MustParse(`{"s": "x", "arr": [1, 2], "obj": {}, "long": "` + long + `", "badTmpl": "x={"}`)
	tests := []struct {
		name, call, cause string
	}{
		{"format count", "States.Format('{} {}', 1)", "Invalid arguments in States.Format: the template has 2 placeholders but 1 arguments"},
		{"format too many", "States.Format('{}', 1, 2)", "Invalid arguments in States.Format"},
		{"format unmatched {", "States.Format('Hello {', 1)", "Invalid template in States.Format: matching '}' not found for '{'."},
		{"format doubled braces", "States.Format('Hello {{}}', 1)", "matching '}' not found for '{'"},
		{"format lone }", "States.Format('}')", "matching '{' not found for '}'"},
		{"format path template", "States.Format($.badTmpl, 1)", "matching '}' not found for '{'"},
		{"format template not string", "States.Format($.arr)", "the template must be a string, got array"},
		{"string to json not string", "States.StringToJson(1)", "Invalid arguments in States.StringToJson: expected a string, got number"},
		{"string to json invalid", "States.StringToJson('{')", "not valid JSON"},
		{"partition not array", "States.ArrayPartition('x', 2)", "first argument must be an array, got string"},
		{"partition zero", "States.ArrayPartition($.arr, 0)", "chunk size must be a positive integer"},
		{"partition rounds to zero", "States.ArrayPartition($.arr, 0.4)", "chunk size must be a positive integer"},
		{"partition string size", "States.ArrayPartition($.arr, '2')", "chunk size must be a number"},
		{"contains not array", "States.ArrayContains($.obj, 1)", "must be an array, got object"},
		{"range step 0", "States.ArrayRange(1, 10, 0)", "step must not be 0"},
		{"range step rounds to 0", "States.ArrayRange(1, 10, 0.49)", "step must not be 0"},
		{"range too long", "States.ArrayRange(1, 1001, 1)", "1001 items, more than the limit of 1000"},
		{"range too long down", "States.ArrayRange(1001, 1, -1)", "more than the limit"},
		{"range string", "States.ArrayRange('a', 5, 1)", "must be numbers"},
		{"get item out of range", "States.ArrayGetItem($.arr, 2)", "index 2 is out of range for an array of length 2"},
		{"get item negative", "States.ArrayGetItem($.arr, -1)", "out of range"},
		{"get item string index", "States.ArrayGetItem($.arr, '1')", "index must be a number"},
		{"length not array", "States.ArrayLength($.s)", "expected an array, got string"},
		{"unique not array", "States.ArrayUnique(null)", "expected an array, got null"},
		{"base64 too long", "States.Base64Encode($.long)", "10001 characters, more than the limit of 10000"},
		{"base64 decode too long", "States.Base64Decode($.long)", "more than the limit"},
		{"base64 not string", "States.Base64Encode(123)", "expected a string, got number"},
		{"hash bad algorithm", "States.Hash('a', 'SHA256')", `unknown algorithm "SHA256"`},
		{"hash lower case", "States.Hash('a', 'sha-256')", "unknown algorithm"},
		{"hash algorithm not string", "States.Hash('a', 1)", "algorithm must be a string"},
		{"hash too long", "States.Hash($.long, 'MD5')", "more than the limit"},
		{"merge deep", "States.JsonMerge($.obj, $.obj, true)", "isDeep must be false"},
		{"merge not object", "States.JsonMerge($.obj, $.arr, false)", "both inputs must be objects, got array"},
		{"merge isDeep string", "States.JsonMerge($.obj, $.obj, 'false')", "isDeep must be a boolean"},
		{"random empty range", "States.MathRandom(1, 1)", "start 1 must be less than end 1"},
		{"random rounded empty", "States.MathRandom(1.6, 2.4)", "must be less than end"},
		{"random seed null", "States.MathRandom(1, 10, null)", "must be numbers"},
		{"math add string", "States.MathAdd(1, 'x')", "Invalid arguments in States.MathAdd: expected numbers, got string"},
		{"math add huge", "States.MathAdd(1, 3000000000)", "outside the 32-bit integer range"},
		{"split not string", "States.StringSplit(1, ',')", "expected two strings, got number"},
		{"nested error propagates", "States.Array(States.ArrayLength(1))", "States.ArrayLength"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := evalString(tc.call, input)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("%s: got %s, %v, want *Error", tc.call, got, err)
			}
			if e.Name != ErrorRuntime || !strings.Contains(e.Cause, tc.cause) {
				t.Errorf("%s: got %s: %q, want States.Runtime containing %q", tc.call, e.Name, e.Cause, tc.cause)
			}
		})
	}
}

func TestEvalResolverErrorPassesThrough(t *testing.T) {
	c, err := Parse("States.Array(States.Format('{}', $.missing))")
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Eval(&testResolver{paths: c.Paths(), input: value.EmptyObject()})
	if err != errNoPath {
		t.Errorf("got %v, want the resolver's error unchanged", err)
	}
}
