package jsonpath

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/expressd/expressd/pkg/internal/corpus"
	"github.com/expressd/expressd/pkg/value"
)

var doc = value.MustParse(`{
  "a": {"b": [10, 20, {"c": "x"}]},
  "store": {"book": [
    {"category": "reference", "author": "Nigel Rees", "title": "Sayings", "price": 8.95},
    {"category": "fiction", "author": "Evelyn Waugh", "title": "Sword", "price": 12.99, "isbn": "0-553"},
    {"category": "fiction", "author": "Herman Melville", "title": "Moby Dick", "isbn": "0-553-21311-3", "price": 8.99},
    {"category": "fiction", "author": "J. R. R. Tolkien", "title": "LOTR", "isbn": "0-395", "price": 22.99}
  ], "bicycle": {"color": "red", "price": 19.95}},
  "a b": 1, "a-b": 2, "a$b": 3, "q'": 4, "ü": 5, "n": null, "s": "str",
  "items": [{"v": 1, "f": true}, {"v": 2}, {"v": "2"}, {"v": 3, "f": false}],
  "limit": 2
}`)

func TestParse(t *testing.T) {
	tests := []struct {
		in       string
		root     Root
		varName  string
		norm     string
		definite bool
		ref      bool
	}{
		{"$", RootInput, "", "$", true, true},
		{"$$", RootContext, "", "$", true, false},
		{"$x", RootVariable, "x", "$", true, false},
		{"$x.y", RootVariable, "x", "$['y']", true, false},
		{"$$.Execution.Input", RootContext, "", "$['Execution']['Input']", true, false},
		{"$.a.b[0]", RootInput, "", "$['a']['b'][0]", true, true},
		{"$['a b']", RootInput, "", "$['a b']", true, true},
		{`$["a b"]`, RootInput, "", `$["a b"]`, true, true},
		{`$['q\'']`, RootInput, "", `$['q\'']`, true, true},
		{"$.a-b", RootInput, "", "$['a-b']", true, true},
		{"$.a$b", RootInput, "", "$['a$b']", true, true},
		{"$.ü", RootInput, "", "$['ü']", true, true},
		{" $.a ", RootInput, "", "$['a']", true, true},
		{"$.a[-1]", RootInput, "", "$['a'][-1]", true, false},
		{"$.a[*]", RootInput, "", "$['a'][*]", false, false},
		{"$.a.*", RootInput, "", "$['a'][*]", false, false},
		{"$.a[1:3]", RootInput, "", "$['a'][1:3]", false, false},
		{"$.a[1:]", RootInput, "", "$['a'][1:]", false, false},
		{"$.a[:2]", RootInput, "", "$['a'][:2]", false, false},
		{"$.a[-2:]", RootInput, "", "$['a'][-2:]", false, false},
		{"$.a[0,1]", RootInput, "", "$['a'][0,1]", false, false},
		{"$['a','b']", RootInput, "", "$['a','b']", true, false},
		{"$['a','b'].c", RootInput, "", "$['a','b']['c']", false, false},
		{"$..price", RootInput, "", "$..['price']", false, false},
		{"$..*", RootInput, "", "$..[*]", false, false},
		{"$.a[?(@.x > 1)]", RootInput, "", "$['a'][?]", false, false},
		{"$.[?(@.x)]", RootInput, "", "$[?]", false, false},
		{"$.['a']", RootInput, "", "$['a']", true, true},
		{"$.a[?(@.x == 's' && (@.y || !@.z))]", RootInput, "", "$['a'][?]", false, false},
		{"$.a[?(@.x =~ /a.*/i)]", RootInput, "", "$['a'][?]", false, false},
		{"$.a[?(@.x in [1,2])]", RootInput, "", "$['a'][?]", false, false},
		// A function call is looked up as a member at run time, as AWS does,
		// but it is not a Reference Path (AWS guide, Reference Paths).
		{"$.list.length()", RootInput, "", "$['list']['length()']", true, false},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			p, err := Parse(tc.in)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if p.String() != tc.in || p.Root() != tc.root || p.Var() != tc.varName ||
				p.Normalized() != tc.norm || p.Definite() != tc.definite || p.IsReference() != tc.ref {
				t.Errorf("got %q root=%v var=%q norm=%q definite=%v ref=%v, want root=%v var=%q norm=%q definite=%v ref=%v",
					p.String(), p.Root(), p.Var(), p.Normalized(), p.Definite(), p.IsReference(),
					tc.root, tc.varName, tc.norm, tc.definite, tc.ref)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ in, msg string }{
		{"", "path must start with '$'"},
		{"a.b", "path must start with '$'"},
		{"$.", "Path must not end with a '.' or '..'"},
		{"$..", "Path must not end with a '.' or '..'"},
		{"$...a", "Character '.' on position 3 is not valid."},
		{"$.a b", "Use bracket notion ['my prop'] if your property contains blank characters. position: 2"},
		{"$a b", "invalid character in variable name"},
		{"$['a'", "Property has not been closed - missing closing ]"},
		{"$['a]", "Property has not been closed - missing closing '"},
		{"$['a' 'b']", "Property must be separated by comma or Property must be terminated close square bracket at index 4"},
		{"$[x]", "Could not parse token starting at position 1. Expected ?, ', 0-9, * "},
		{"$[1a]", "Could not parse token starting at position 1. Expected ?, ', 0-9, * "},
		{"$[*x]", "Expected wildcard token to end with ']' on position 3"},
		{"$[:]", "Failed to parse SliceOperation: :"},
		{"$[1,]", "Failed to parse token in ArrayIndexOperation: "},
		{"$[99999999999]", "Failed to parse token in ArrayIndexOperation: 99999999999"},
		{"$[?(@.a ==)]", "unexpected character ')' in filter"},
		{"$[?(@.a == 1]", "expected ')' to close the filter"},
		{"$[?(@.a =~ 'x')]", "=~ needs a /regex/ on one side"},
		{"$[?(1)]", "expected a path before the end of the filter expression"},
		{"$.a" + strings.Repeat("[0]", MaxSteps), "path has more than 256 steps"},
		{"$" + strings.Repeat("[?(@", 40) + strings.Repeat(")]", 40), "filters nested deeper than 32"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			_, err := Parse(tc.in)
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("got %v, want a *SyntaxError", err)
			}
			if se.Msg != tc.msg {
				t.Errorf("got %q, want %q", se.Msg, tc.msg)
			}
		})
	}
	if _, err := Parse("$" + strings.Repeat(".a", MaxPathLen)); err == nil {
		t.Error("got no error for an over-long path")
	}
}

func TestParseReference(t *testing.T) {
	for _, ok := range []string{"$", "$.a", "$['a b'].c[0]", "$.a[2].b"} {
		if _, err := ParseReference(ok); err != nil {
			t.Errorf("ParseReference(%q): %v", ok, err)
		}
	}
	for _, bad := range []string{"$$", "$x", "$.a[*]", "$.a[-1]", "$..a", "$.a[0:1]", "$.a[?(@.b)]", "$['a','b']", "$.a[0,1]", "$.a."} {
		if _, err := ParseReference(bad); err == nil {
			t.Errorf("ParseReference(%q): got no error", bad)
		}
	}
}

func TestGet(t *testing.T) {
	tests := []struct{ path, want string }{
		{"$", doc.JSON()},
		{"$.a.b[0]", "10"},
		{"$.a.b[-1].c", `"x"`},
		{"$['a b']", "1"},
		{"$.a-b", "2"},
		{"$.a$b", "3"},
		{`$['q\'']`, "4"},
		{"$.ü", "5"},
		{"$.n", "null"},
		{"$['a b','a-b','zz']", `{"a b":1,"a-b":2}`},
		{"$.a.b[*]", `[10,20,{"c":"x"}]`},
		{"$.a.b[1:]", `[20,{"c":"x"}]`},
		{"$.a.b[:1]", `[10]`},
		{"$.a.b[:-1]", `[10,20]`},
		{"$.a.b[-2:]", `[20,{"c":"x"}]`},
		{"$.a.b[0:9]", `[10,20,{"c":"x"}]`},
		{"$.a.b[0,2,7]", `[10,{"c":"x"}]`},
		{"$.a.b[5:]", `[]`},
		{"$.nothing[*]", `[]`},
		{"$.nothing.deeper[*]", `[]`},
		{"$[*].b[0]", `[10]`},
		{"$.store.book[*].author", `["Nigel Rees","Evelyn Waugh","Herman Melville","J. R. R. Tolkien"]`},
		{"$..author", `["Nigel Rees","Evelyn Waugh","Herman Melville","J. R. R. Tolkien"]`},
		{"$.store..price", `[8.95,12.99,8.99,22.99,19.95]`},
		{"$..book[2].title", `["Moby Dick"]`},
		{"$.store.book[?(@.isbn)].title", `["Sword","Moby Dick","LOTR"]`},
		{"$.store.book[?(!@.isbn)].title", `["Sayings"]`},
		{"$.store.book[?(@.price < 10)].title", `["Sayings","Moby Dick"]`},
		{"$.store.book[?(@.price <= 8.99 && @.category == 'fiction')].title", `["Moby Dick"]`},
		{"$.store.book[?(@.price > 20 || @.author == \"Nigel Rees\")].title", `["Sayings","LOTR"]`},
		{"$.store.book[?(@.author =~ /.*melville/i)].title", `["Moby Dick"]`},
		{"$.store.book[?(@.category != 'fiction')].title", `["Sayings"]`},
		{"$.store.book[?(@.title in ['LOTR','Sword'])].price", `[12.99,22.99]`},
		{"$.items[?(@.v == 2)]", `[{"v":2},{"v":"2"}]`},
		{"$.items[?(@.v === 2)]", `[{"v":2}]`},
		{"$.items[?(@.v > 1)].v", `[2,"2",3]`},
		{"$.items[?(@.f == true)].v", `[1]`},
		{"$.items[?(@.f)].v", `[1,3]`},
		{"$.items[?(@.missing != 1)].v", `[1,2,"2",3]`},
		{"$.items[?(@.v == $.limit)].v", `[2,"2"]`},
		{"$.[?(@.s == 'str')].limit", `[2]`},
		{"$.store.book[?(@.price > 100)]", `[]`},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			p := MustParse(tc.path)
			got, err := p.Get(doc)
			if err != nil {
				t.Fatalf("Get: %v", err)
			}
			if want := value.MustParse(tc.want); !value.Equal(got, want) || (got.Kind() == value.Array && got.JSON() != want.JSON()) {
				t.Errorf("got %s, want %s", got.JSON(), tc.want)
			}
		})
	}
}

// TestNotFoundMessages checks the Jayway messages AWS embeds in causes. The
// first three are recorded in the AWS conformance corpus.
func TestNotFoundMessages(t *testing.T) {
	tests := []struct{ path, input, cause string }{
		{"$.NoSuchInputPath", `{}`, "Invalid path '$.NoSuchInputPath' : No results for path: $['NoSuchInputPath']"},
		{"$.NoSuchOutputPath", `{"a":1}`, "Invalid path '$.NoSuchOutputPath' : No results for path: $['NoSuchOutputPath']"},
		{"$.no.such.result.path", `{"x":1}`, "Invalid path '$.no.such.result.path' : Missing property in path $['no']"},
		{"$.a.b[5]", `{"a":{"b":[1]}}`, "Invalid path '$.a.b[5]' : No results for path: $['a']['b'][5]"},
		{"$.a[0].x", `{"a":[]}`, "Invalid path '$.a[0].x' : No results for path: $['a'][0]['x']"},
		{"$.a.b", `{"a":"s"}`, "Invalid path '$.a.b' : Expected to find an object with property ['b'] in path $['a'] but found 'java.lang.String'. This is not a json object according to the JsonProvider: 'com.jayway.jsonpath.spi.json.JacksonJsonProvider'."},
		{"$.a.b", `{"a":null}`, "Invalid path '$.a.b' : Expected to find an object with property ['b'] in path $['a'] but found 'null'. This is not a json object according to the JsonProvider: 'com.jayway.jsonpath.spi.json.JacksonJsonProvider'."},
		{"$.a[0]", `{"a":null}`, "Invalid path '$.a[0]' : The path $['a'] is null"},
		{"$.a[0].b", `{"a":{"k":[1, 2.5]}}`, "Invalid path '$.a[0].b' : Filter: [0]['b'] can only be applied to arrays. Current context is: {k=[1, 2.5]}"},
		{"$.list.length()", `{"list":[1]}`, "Invalid path '$.list.length()' : Expected to find an object with property ['length()'] in path $['list'] but found 'java.util.ArrayList'. This is not a json object according to the JsonProvider: 'com.jayway.jsonpath.spi.json.JacksonJsonProvider'."},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			p := MustParse(tc.path)
			_, err := p.Get(value.MustParse(tc.input))
			var nf *NotFoundError
			if !errors.As(err, &nf) {
				t.Fatalf("got %v, want a *NotFoundError", err)
			}
			if got := "Invalid path '" + p.String() + "' : " + nf.Error(); got != tc.cause {
				t.Errorf("got  %s\nwant %s", got, tc.cause)
			}
			if nf.Normalized() != p.Normalized() {
				t.Errorf("Normalized: got %s, want %s", nf.Normalized(), p.Normalized())
			}
		})
	}
}

func TestSet(t *testing.T) {
	tests := []struct{ path, in, x, want string }{
		{"$", `{"a":1}`, `5`, `5`},
		{"$.r", `{"a":1}`, `5`, `{"a":1,"r":5}`},
		{"$.a", `{"a":1}`, `[1]`, `{"a":[1]}`},
		{"$.x.y.z", `{"a":1}`, `true`, `{"a":1,"x":{"y":{"z":true}}}`},
		{"$.a.b", `{"a":{"c":1}}`, `2`, `{"a":{"c":1,"b":2}}`},
		{"$.l[1].v", `{"l":[{},{}]}`, `"s"`, `{"l":[{},{"v":"s"}]}`},
		{"$['a b']", `{}`, `1`, `{"a b":1}`},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			in := value.MustParse(tc.in)
			before := in.JSON()
			got, err := MustParseReference(tc.path).Set(in, value.MustParse(tc.x))
			if err != nil {
				t.Fatalf("Set: %v", err)
			}
			if !value.Equal(got, value.MustParse(tc.want)) {
				t.Errorf("got %s, want %s", got.JSON(), tc.want)
			}
			if in.JSON() != before {
				t.Errorf("input changed: got %s, want %s", in.JSON(), before)
			}
		})
	}
	errTests := []struct{ path, in, msg string }{
		{"$.a", `"str"`, "at $: expected an object with member 'a' but found a string"},
		{"$.a.b", `{"a":3}`, "at $['a']: expected an object with member 'b' but found a number"},
		{"$.a[0]", `{"a":{}}`, "at $['a']: expected an array for index 0 but found an object"},
		{"$.a[3]", `{"a":[1]}`, "at $['a']: index 3 out of range for array of length 1"},
		{"$.a[0]", `{}`, "at $['a']: expected an array for index 0 but found an object"},
	}
	for _, tc := range errTests {
		t.Run("error/"+tc.path, func(t *testing.T) {
			_, err := MustParseReference(tc.path).Set(value.MustParse(tc.in), value.True)
			var se *SetError
			if !errors.As(err, &se) {
				t.Fatalf("got %v, want a *SetError", err)
			}
			if se.Msg != tc.msg {
				t.Errorf("got %q, want %q", se.Msg, tc.msg)
			}
		})
	}
	if _, err := MustParse("$.a[*]").Set(value.EmptyObject(), value.True); err == nil {
		t.Error("Set on an indefinite path: got no error")
	}
}

func MustParseReference(s string) *Path {
	p, err := ParseReference(s)
	if err != nil {
		panic(err)
	}
	return p
}

func TestGetAllocs(t *testing.T) {
	p := MustParse("$.a.b[0]")
	q := MustParse("$.store.book[-1]['title']")
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := p.Get(doc); err != nil {
			t.Fatal(err)
		}
		if _, err := q.Get(doc); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("got %v allocs per Get, want 0", allocs)
	}
}

func TestComplexityLimit(t *testing.T) {
	deep := value.FromInt(1)
	for range 400 {
		deep = value.FromObject([]string{"a"}, []value.Value{deep})
	}
	_, err := MustParse("$..*..*..*").Get(deep)
	if !errors.Is(err, ErrTooComplex) {
		t.Errorf("got %v, want ErrTooComplex", err)
	}
}

func BenchmarkGet(b *testing.B) {
	for _, path := range []string{"$.a.b[0]", "$.store.book[*].author", "$..price", "$.store.book[?(@.price < 10)].title"} {
		p := MustParse(path)
		b.Run("path="+path, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := p.Get(doc); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func ExamplePath_Get() {
	p, err := Parse("$.order.items[?(@.qty > 1)].sku")
	if err != nil {
		panic(err)
	}
	in := value.MustParse(`{"order":{"items":[{"sku":"a","qty":1},{"sku":"b","qty":3}]}}`)
	out, _ := p.Get(in)
	fmt.Println(out)

	_, err = MustParse("$.order.missing").Get(in)
	fmt.Println("Invalid path '$.order.missing' : " + err.Error())
	// Output:
	// ["b"]
	// Invalid path '$.order.missing' : No results for path: $['order']['missing']
}

func ExamplePath_Set() {
	p, err := ParseReference("$.result.value")
	if err != nil {
		panic(err)
	}
	out, _ := p.Set(value.MustParse(`{"in":1}`), value.FromInt(42))
	fmt.Println(out)
	// Output: {"in":1,"result":{"value":42}}
}

// corpusPaths collects strings that look like paths from the AWS conformance
// corpus. It returns nil when the corpus is absent.
func corpusPaths(tb testing.TB) []string {
	dir := corpus.ConformanceSeeds(tb)
	if dir == "" {
		return nil
	}
	seen := map[string]bool{}
	var out []string
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case string:
			if strings.HasPrefix(v, "$") && !seen[v] {
				seen[v] = true
				out = append(out, v)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		case map[string]any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".json") {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return nil
		}
		var c struct {
			Definition any `json:"definition"`
		}
		if json.Unmarshal(data, &c) == nil {
			walk(c.Definition)
		}
		return nil
	})
	return out
}

// TestCorpusPathsParse checks that every path-like string of the corpus
// definitions parses: all of them are paths AWS accepted.
func TestCorpusPathsParse(t *testing.T) {
	corpus.Conformance(t) // skip (or fail under CI) without the corpus
	paths := corpusPaths(t)
	if len(paths) < 100 {
		t.Fatalf("only %d paths found in the corpus", len(paths))
	}
	for _, s := range paths {
		if _, err := Parse(s); err != nil {
			t.Errorf("%q: %v", s, err)
		}
	}
}

var fuzzDocs = []value.Value{
	doc,
	value.NullValue,
	value.MustParse(`[1,"a",[2,[3]],{"x":{"y":[null,true]}}]`),
	value.MustParse(`{"":{"":[{"":0}]}}`),
	value.MustParse(`"str"`),
}

func FuzzJSONPath(f *testing.F) {
	for _, s := range corpusPaths(f) {
		f.Add(s)
	}
	for _, s := range []string{"$", "$.a.b[0]", "$..*", "$[?(@.a == 1 || !(@.b))]", "$['a','b']", "$[-1:]", "$[1:2:3]",
		"$$.Execution.Input", "$x.y[0]", "$.a[?(@.b =~ /x+/i)]", "$.a[?(@.b in [1,{\"x\":2}])]", "$..[0].a", "$..[?(@.x)]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := Parse(s)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Parse(%q): error %T, want *SyntaxError", s, err)
			}
			return
		}
		_ = p.Normalized()
		for _, d := range fuzzDocs {
			v, err := p.Get(d)
			if err == nil && !p.Definite() && v.Kind() != value.Array {
				t.Fatalf("Get(%q): indefinite path gave %s, want an array", s, v.JSON())
			}
			if err != nil && !p.Definite() && !errors.Is(err, ErrTooComplex) {
				t.Fatalf("Get(%q): indefinite path gave error %v", s, err)
			}
			if p.IsReference() {
				out, err := p.Set(d, value.True)
				if err == nil {
					if got, err := p.Get(out); err != nil || !value.Equal(got, value.True) {
						t.Fatalf("Get after Set(%q) = %v, %v; want true", s, got, err)
					}
				}
			}
		}
	})
}

// TestSingleNode: the Reference Path syntax over any root, for ItemsPath,
// SecondsPath, a Choice rule's Variable and the like (issue 11: filters,
// slices and wildcards were accepted there).
func TestSingleNode(t *testing.T) {
	for in, want := range map[string]bool{
		"$": true, "$.a.b": true, "$['a b'][0].c": true, "$$.Execution.Input.x": true, "$$": true, "$v": true, "$v.a[2]": true,
		"$.a[?(@.b)]": false, "$.a[0:1]": false, "$.a[*]": false, "$.a.*": false, "$.a[0,1]": false, "$..a": false,
		"$.a[-1]": false, "$.a.length()": false, "$$.Execution.Input[*]": false, "$v.items[*]": false, "$['a','b']": false,
	} {
		p, err := Parse(in)
		if err != nil {
			t.Fatalf("Parse(%q): %v", in, err)
		}
		if p.SingleNode() != want {
			t.Errorf("%q: SingleNode = %v, want %v", in, p.SingleNode(), want)
		}
	}
}
