package value

import (
	"errors"
	"math"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/google/go-cmp/cmp"
)

func TestParseValid(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string // AppendJSON of the result
	}{
		{"null", "null", "null"},
		{"true", "true", "true"},
		{"false", " false ", "false"},
		{"int", "42", "42"},
		{"negative zero keeps text", "-0", "-0"},
		{"fraction keeps text", "1.0", "1.0"},
		{"exponent keeps text", "1E+2", "1E+2"},
		{"big int keeps text", "12345678901234567890", "12345678901234567890"},
		{"out of range keeps text", "1e400", "1e400"},
		{"string", `"abc"`, `"abc"`},
		{"empty string", `""`, `""`},
		{"utf8 text", `"héllo ✓ 😀"`, `"héllo ✓ 😀"`},
		{"simple escapes", `"\"\\\/\b\f\n\r\t"`, `"\"\\/\b\f\n\r\t"`},
		{"unicode escape", `"\u00e9\u0041"`, `"éA"`},
		{"control escape kept escaped", `"\u0001"`, `"\u0001"`},
		{"surrogate pair", `"\ud83d\ude00"`, `"😀"`},
		{"surrogate pair upper hex", `"\uD83D\uDE00"`, `"😀"`},
		{"lone high surrogate", `"\ud83d"`, "\"\uFFFD\""},
		{"high surrogate then text", `"\ud83dx"`, "\"\uFFFDx\""},
		{"high surrogate then non-low", `"\ud83d\u0041"`, "\"\uFFFDA\""},
		{"lone low surrogate", `"\ude00"`, "\"\uFFFD\""},
		{"reversed pair", `"\ude00\ud83d"`, "\"\uFFFD\uFFFD\""},
		{"literal U+FFFD", "\"\xef\xbf\xbd\"", "\"\uFFFD\""},
		{"empty array", "[ ]", "[]"},
		{"empty object", "{ }", "{}"},
		{"nested", ` {"a" : [1, {"b":null}] , "c":"d"} `, `{"a":[1,{"b":null}],"c":"d"}`},
		{"duplicate keys last wins in place", `{"a":1,"b":2,"a":3}`, `{"a":3,"b":2}`},
		{"ws everywhere", "\t\r\n[\n1\n,\n2\n]\n", "[1,2]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := ParseString(tc.in)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tc.in, err)
			}
			if got := string(AppendJSON(nil, v)); got != tc.want {
				t.Errorf("Parse(%q) encodes as %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestParseDuplicateKeysLarge(t *testing.T) {
	// Past indexThreshold members the parser switches to a map; the last
	// duplicate still wins and keeps the first position.
	var b strings.Builder
	b.WriteString("{")
	for i := range indexThreshold + 4 {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`"k` + string(rune('a'+i)) + `":1`)
	}
	b.WriteString(`,"ka":2,"kb":3}`)
	v := MustParse(b.String())
	if got, want := v.Len(), indexThreshold+4; got != want {
		t.Fatalf("Len = %d, want %d", got, want)
	}
	if x, _ := v.Get("ka"); x.Float() != 2 {
		t.Errorf("ka = %v, want 2", x)
	}
	if x, _ := v.Get("kb"); x.Float() != 3 {
		t.Errorf("kb = %v, want 3", x)
	}
	if v.Key(0) != "ka" || v.Key(1) != "kb" {
		t.Errorf("keys start %q %q, want ka kb", v.Key(0), v.Key(1))
	}
}

func TestParseNumbers(t *testing.T) {
	tests := []struct {
		in      string
		f       float64
		integer bool
	}{
		{"0", 0, true},
		{"-12", -12, true},
		{"1.5", 1.5, false},
		{"1.0", 1, false},
		{"2e3", 2000, false},
		{"12345678901234567890", 12345678901234567890, true},
		{"1e400", math.Inf(1), false},
		{"-1e400", math.Inf(-1), false},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			v := MustParse(tc.in)
			if v.Kind() != Number {
				t.Fatalf("kind %v, want number", v.Kind())
			}
			if v.Float() != tc.f {
				t.Errorf("Float() = %v, want %v", v.Float(), tc.f)
			}
			if v.IsInteger() != tc.integer {
				t.Errorf("IsInteger() = %v, want %v", v.IsInteger(), tc.integer)
			}
			if v.NumberText() != tc.in {
				t.Errorf("NumberText() = %q, want %q", v.NumberText(), tc.in)
			}
		})
	}
}

func TestParseInvalid(t *testing.T) {
	tests := []struct {
		name   string
		in     string
		offset int
		msg    string // substring of the message
	}{
		{"empty", "", 0, "unexpected end of input"},
		{"only ws", "  ", 2, "unexpected end of input"},
		{"trailing data", "1 x", 2, "unexpected data after"},
		{"two values", "{} {}", 3, "unexpected data after"},
		{"leading zero", "01", 1, "unexpected data after"},
		{"minus only", "-", 1, "invalid number"},
		{"minus letter", "-a", 1, "invalid number"},
		{"dot without digits", "1.", 2, "digit expected after '.'"},
		{"dot then letter", "1.x", 2, "digit expected after '.'"},
		{"exponent without digits", "1e", 2, "digit expected in exponent"},
		{"exponent sign only", "1e+", 3, "digit expected in exponent"},
		{"plus sign", "+1", 0, "unexpected character"},
		{"leading dot", ".5", 0, "unexpected character"},
		{"bad literal", "tru", 0, "expected true"},
		{"bad literal case", "Null", 0, "unexpected character"},
		{"nul literal", "nul", 0, "expected null"},
		{"unterminated string", `"abc`, 4, "unterminated string"},
		{"unterminated after escape", `"a\`, 3, "unterminated string"},
		{"unterminated escaped", `"a\n`, 4, "unterminated string"},
		{"bad escape", `"a\x"`, 3, "invalid escape"},
		{"short unicode escape", `"\u12"`, 3, `invalid \u escape`},
		{"bad hex", `"\u12g4"`, 3, `invalid \u escape`},
		{"bad hex after high surrogate", `"\ud83d\uzzzz"`, 9, `invalid \u escape`},
		{"raw control char", "\"a\x01\"", 2, "control character"},
		{"raw newline", "\"a\n\"", 2, "control character"},
		{"raw control after escape", "\"\\n\x1f\"", 3, "control character"},
		{"invalid utf8", "\"\xff\"", 1, "invalid UTF-8"},
		{"invalid utf8 after escape", "\"\\n\xff\"", 3, "invalid UTF-8"},
		{"truncated utf8", "\"\xe2\x82\"", 1, "invalid UTF-8"},
		{"utf8 surrogate", "\"\xed\xa0\x80\"", 1, "invalid UTF-8"},
		{"overlong utf8", "\"\xc0\xaf\"", 1, "invalid UTF-8"},
		{"trailing comma array", "[1,]", 3, "unexpected character"},
		{"trailing comma object", `{"a":1,}`, 7, "expected a string for an object member name"},
		{"missing colon", `{"a" 1}`, 5, "expected ':'"},
		{"non-string key", `{1:2}`, 1, "expected a string"},
		{"missing comma array", "[1 2]", 3, "expected ',' or ']'"},
		{"missing comma object", `{"a":1 "b":2}`, 7, "expected ',' or '}'"},
		{"unclosed array", "[1,2", 4, "unexpected end of input in an array"},
		{"unclosed object", `{"a":1`, 6, "unexpected end of input in an object"},
		{"unclosed object after key", `{"a"`, 4, "expected ':'"},
		{"single quotes", `'a'`, 0, "unexpected character"},
		{"NaN", "NaN", 0, "unexpected character"},
		{"comment", "1 // x", 2, "unexpected data after"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseString(tc.in)
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q) error = %v, want a *SyntaxError", tc.in, err)
			}
			if se.Offset != tc.offset {
				t.Errorf("Parse(%q) offset = %d, want %d (%v)", tc.in, se.Offset, tc.offset, err)
			}
			if !strings.Contains(se.Msg, tc.msg) {
				t.Errorf("Parse(%q) message = %q, want it to contain %q", tc.in, se.Msg, tc.msg)
			}
		})
	}
}

func TestParseDepth(t *testing.T) {
	nested := func(n int, open, close string) string {
		return strings.Repeat(open, n) + strings.Repeat(close, n)
	}
	tests := []struct {
		name   string
		in     string
		depth  int
		ok     bool
		offset int
	}{
		{"arrays at limit", nested(3, "[", "]"), 3, true, 0},
		{"arrays over limit", nested(4, "[", "]"), 3, false, 3},
		{"objects at limit", nested(2, `{"a":`, "}") + "", 3, false, 0},
		{"scalar at depth 0", "1", 0, true, 0},
		{"array at depth 0", "[]", 0, false, 0},
	}
	// nested objects need a value at the innermost level
	tests[2] = struct {
		name   string
		in     string
		depth  int
		ok     bool
		offset int
	}{"objects at limit", `{"a":{"a":{}}}`, 3, true, 0}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseDepth([]byte(tc.in), tc.depth)
			if tc.ok {
				if err != nil {
					t.Fatalf("ParseDepth(%q, %d): %v", tc.in, tc.depth, err)
				}
				return
			}
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("ParseDepth(%q, %d) error = %v, want a *SyntaxError", tc.in, tc.depth, err)
			}
			if se.Offset != tc.offset || !strings.Contains(se.Msg, "nesting deeper") {
				t.Errorf("ParseDepth(%q, %d) = %v, want nesting error at offset %d", tc.in, tc.depth, err, tc.offset)
			}
		})
	}
	t.Run("MaxDepth", func(t *testing.T) {
		if _, err := ParseString(nested(MaxDepth, "[", "]")); err != nil {
			t.Errorf("Parse of %d nested arrays: %v", MaxDepth, err)
		}
		_, err := ParseString(nested(MaxDepth+1, "[", "]"))
		var se *SyntaxError
		if !errors.As(err, &se) || se.Offset != MaxDepth {
			t.Errorf("Parse of %d nested arrays = %v, want a nesting error at offset %d", MaxDepth+1, err, MaxDepth)
		}
	})
}

func TestSyntaxErrorString(t *testing.T) {
	_, err := ParseString("[1,")
	if got, want := err.Error(), "invalid JSON at offset 3: unexpected end of input"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestAppendJSONRoundTrip(t *testing.T) {
	docs := []string{
		`null`, `true`, `false`, `0`, `-0.5e-7`, `"x"`, `[]`, `{}`,
		`{"b":1,"a":[true,false,null,"s",{"c":{}}]}`,
		`"\u0000\u001f\"\\ é 😀 \u007f"`,
		`[1.0,1E2,100000000000000000000000]`,
		`{"":{"":[]}}`,
	}
	for _, doc := range docs {
		t.Run(doc, func(t *testing.T) {
			v := MustParse(doc)
			enc := AppendJSON(nil, v)
			w, err := Parse(enc)
			if err != nil {
				t.Fatalf("re-parse of %s: %v", enc, err)
			}
			if !Equal(v, w) {
				t.Errorf("round trip of %s gave %s", doc, AppendJSON(nil, w))
			}
			if enc2 := AppendJSON(nil, w); string(enc2) != string(enc) {
				t.Errorf("second encoding %s, want %s", enc2, enc)
			}
		})
	}
}

func TestAppendNumberComputed(t *testing.T) {
	pointOne, pointTwo := 0.1, 0.2 // variables: constant folding would give exactly 0.3
	tests := []struct {
		v    Value
		want string
	}{
		{FromInt(0), "0"},
		{FromFloat(math.Copysign(0, -1)), "0"},
		{FromInt(-42), "-42"},
		{FromFloat(1.5), "1.5"},
		{FromFloat(1e20), "100000000000000000000"},
		{FromFloat(1e21), "1e+21"},
		{FromFloat(pointOne + pointTwo), "0.30000000000000004"},
		{FromFloat(math.NaN()), "null"},
		{FromFloat(math.Inf(1)), "null"},
		{NumberText("1.50", 1.5), "1.50"},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			if got := string(AppendJSON(nil, tc.v)); got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
}

func TestEqual(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"1", "1.0", true},
		{"1", "1e0", true},
		{"100", "1E2", true},
		{"0", "-0", true},
		{"1", "2", false},
		{`"1"`, "1", false},
		{"null", "null", true},
		{"null", "false", false},
		{"true", "true", true},
		{"true", "false", false},
		{`{"a":1,"b":2}`, `{"b":2,"a":1.0}`, true},
		{`{"a":1}`, `{"a":1,"b":2}`, false},
		{`{"a":1,"b":2}`, `{"a":1}`, false},
		{`{"a":1}`, `{"b":1}`, false},
		{`[1,2]`, `[2,1]`, false},
		{`[1,2]`, `[1,2,3]`, false},
		{`[[{"x":[]}]]`, `[[{"x":[]}]]`, true},
		{`[]`, `{}`, false},
		{`""`, `null`, false},
	}
	for _, tc := range tests {
		t.Run(tc.a+"=="+tc.b, func(t *testing.T) {
			a, b := MustParse(tc.a), MustParse(tc.b)
			if got := Equal(a, b); got != tc.want {
				t.Errorf("Equal(%s, %s) = %v, want %v", tc.a, tc.b, got, tc.want)
			}
			if got := Equal(b, a); got != tc.want {
				t.Errorf("Equal(%s, %s) = %v, want %v", tc.b, tc.a, got, tc.want)
			}
		})
	}
	t.Run("computed vs parsed", func(t *testing.T) {
		if !Equal(FromInt(3), MustParse("3.0")) {
			t.Error("FromInt(3) != 3.0")
		}
		if !Equal(EmptyObject(), MustParse("{}")) {
			t.Error("EmptyObject() != {}")
		}
	})
}

func TestWithImmutable(t *testing.T) {
	old := MustParse(`{"a":1,"b":[1,2]}`)
	before := old.JSON()

	replaced := old.With("a", FromString("x"))
	added := old.With("c", True)
	if got := old.JSON(); got != before {
		t.Errorf("old value changed to %s, want %s", got, before)
	}
	if diff := cmp.Diff(`{"a":"x","b":[1,2]}`, replaced.JSON()); diff != "" {
		t.Errorf("With replace (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(`{"a":1,"b":[1,2],"c":true}`, added.JSON()); diff != "" {
		t.Errorf("With add (-want +got):\n%s", diff)
	}
	// Two derived values from the same parent do not see each other.
	a2 := old.With("z", FromInt(1))
	b2 := old.With("z", FromInt(2))
	if x, _ := a2.Get("z"); x.Float() != 1 {
		t.Errorf("a2.z = %v, want 1", x)
	}
	if x, _ := b2.Get("z"); x.Float() != 2 {
		t.Errorf("b2.z = %v, want 2", x)
	}
	if got := FromInt(1).With("k", True).JSON(); got != `{"k":true}` {
		t.Errorf("With on a non-object = %s, want {\"k\":true}", got)
	}
}

func TestWithLargeObjectIndex(t *testing.T) {
	v := EmptyObject()
	for i := range 40 {
		v = v.With("k"+string(rune('A'+i)), FromInt(int64(i)))
	}
	_, _ = v.Get("kA") // builds the lazy index
	w := v.With("kA", FromString("new"))
	if x, _ := v.Get("kA"); x.Float() != 0 {
		t.Errorf("old kA = %v, want 0", x)
	}
	if x, _ := w.Get("kA"); x.Str() != "new" {
		t.Errorf("new kA = %v, want \"new\"", x)
	}
	w2 := v.With("zz", True)
	if _, ok := v.Get("zz"); ok {
		t.Error("old object sees member added later")
	}
	if x, ok := w2.Get("zz"); !ok || !x.Bool() {
		t.Errorf("new zz = %v, %v; want true", x, ok)
	}
}

func TestSetIndexImmutable(t *testing.T) {
	old := MustParse(`[1,[2],3]`)
	nv := old.SetIndex(1, FromString("x"))
	if got, want := old.JSON(), `[1,[2],3]`; got != want {
		t.Errorf("old = %s, want %s", got, want)
	}
	if got, want := nv.JSON(), `[1,"x",3]`; got != want {
		t.Errorf("new = %s, want %s", got, want)
	}
}

func TestSize(t *testing.T) {
	vals := []Value{
		NullValue, True, False, FromInt(0), FromInt(-7), FromFloat(0.1), FromFloat(1e300),
		FromFloat(math.NaN()), FromFloat(math.Inf(-1)), FromFloat(1e21), FromFloat(-1e-9),
		FromString(""), FromString("\x00\x01\x1f\"\\\n\r\t\b\f/é😀\x7f"),
		EmptyObject(), FromArray([]Value{}), FromArray(nil),
		EmptyObject().With("a\"b", FromArray([]Value{NullValue, FromString("x")})).With("", EmptyObject()),
	}
	for _, doc := range []string{
		`{"a":[1,2,{"b":"c\u0002"}],"d":1.50,"e":-1E+5}`,
		`[[[[[]]]],{},""]`,
		`"\ud83d\ude00\u2028"`,
		`12345678901234567890123`,
	} {
		vals = append(vals, MustParse(doc))
	}
	for _, v := range vals {
		enc := AppendJSON(nil, v)
		if got := Size(v); got != len(enc) {
			t.Errorf("Size(%s) = %d, want %d", enc, got, len(enc))
		}
	}
}

// javaCompare compares as Java's String.compareTo: by UTF-16 code units.
func javaCompare(a, b string) int {
	ua, ub := utf16.Encode([]rune(a)), utf16.Encode([]rune(b))
	for i := 0; i < len(ua) && i < len(ub); i++ {
		if ua[i] != ub[i] {
			if ua[i] < ub[i] {
				return -1
			}
			return 1
		}
	}
	switch {
	case len(ua) < len(ub):
		return -1
	case len(ua) > len(ub):
		return 1
	}
	return 0
}

func TestCompareStrings(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"a", "b", -1},
		{"b", "a", 1},
		{"a", "ab", -1},
		{"ab", "a", 1},
		{"\uFF61", "\U0001F600", 1}, // Go byte order says <, Java says >
		{"\U0001F600", "\uFF61", -1},
		{"\uE000", "\U00010000", 1},
		{"\uD7FF", "\U00010000", -1},
		{"x\uFFFF", "x\U0001F600", 1},
		{"\U0001F600", "\U0001F601", -1},
		{"\U0001F600", "\U0001F600", 0},
		{"\U0001F600a", "\U0001F600", 1},
		{"é", "e", 1},
	}
	for _, tc := range tests {
		t.Run(tc.a+"_"+tc.b, func(t *testing.T) {
			if got := CompareStrings(tc.a, tc.b); got != tc.want {
				t.Errorf("CompareStrings(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
			}
			if got := javaCompare(tc.a, tc.b); got != tc.want {
				t.Errorf("test table disagrees with the UTF-16 reference for %q, %q", tc.a, tc.b)
			}
		})
	}
}

func TestCompareStringsMatchesUTF16(t *testing.T) {
	alphabet := []string{"", "a", "z", "\u00e9", "\u07ff", "\u0800", "\uD7FF", "\uE000", "\uFF61", "\uFFFF",
		"\U00010000", "\U0001F600", "\U0001F601", "\U0010FFFF"}
	var strs []string
	for _, x := range alphabet {
		for _, y := range alphabet {
			strs = append(strs, x+y)
		}
	}
	for _, a := range strs {
		for _, b := range strs {
			if got, want := CompareStrings(a, b), javaCompare(a, b); got != want {
				t.Fatalf("CompareStrings(%q, %q) = %d, want %d", a, b, got, want)
			}
		}
	}
}

func TestKindString(t *testing.T) {
	got := []string{Null.String(), Bool.String(), Number.String(), String.String(), Array.String(), Object.String(), Kind(9).String()}
	want := []string{"null", "boolean", "number", "string", "array", "object", "kind(9)"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Kind.String (-want +got):\n%s", diff)
	}
}

// TestParseObjectInsideArray is the regression test for the shared
// key/value stacks of the parser: an object nested in an array must not
// take (or truncate) the array's elements.
func TestParseObjectInsideArray(t *testing.T) {
	for _, doc := range []string{
		`[1,{"b":2}]`,
		`[1,2,{"b":[3,{"c":4}],"d":5},6]`,
		`{"a":[1,{"b":null}],"c":[{"d":[7,{}]},8]}`,
	} {
		if got := MustParse(doc).JSON(); got != doc {
			t.Errorf("Parse(%s) encodes as %s", doc, got)
		}
	}
}
