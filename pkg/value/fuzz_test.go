package value

import (
	"encoding/json"
	"testing"
	"unicode/utf8"
)

// FuzzParse checks that Parse never panics, that what it accepts encodes to
// text that parses back to an Equal value of the same Size, and that it
// accepts exactly what encoding/json.Valid accepts, with two intentional
// differences:
//
//   - Parse rejects invalid UTF-8 inside strings (RFC 8259 §8.1 requires
//     UTF-8; AWS rejects such payloads), while encoding/json.Valid accepts
//     any bytes >= 0x20 there;
//   - Parse rejects nesting deeper than MaxDepth (512); encoding/json's limit
//     is 10000.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		`{"a":1,"b":[1,2,3],"s":"x"}`,
		`[1, {"b":null}]`,
		`{"a":{"b":[true,false,null]},"c":"\ud83d\ude00\u0000"}`,
		`12345678901234567890`,
		`-0.0e-0`,
		`1e400`,
		`"\ud83d\u0041"`,
		`{"a":1,"a":2}`,
		"\"\xff\"",
		`[[[[[[[[[[]]]]]]]]]]`,
		` {"k0":0,"k1":1,"k2":2,"k3":3,"k4":4,"k5":5,"k6":6,"k7":7,"k8":8,"k9":9,"ka":10,"kb":11,"kc":12,"kd":13,"ke":14,"kf":15,"kg":16,"k0":17} `,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := Parse(data)
		valid := json.Valid(data)
		if err != nil {
			if valid && utf8.Valid(data) && depth(data) <= MaxDepth {
				t.Fatalf("Parse(%q) = %v, but encoding/json accepts it", data, err)
			}
			return
		}
		if !valid {
			t.Fatalf("Parse(%q) accepted what encoding/json rejects: %s", data, AppendJSON(nil, v))
		}
		enc := AppendJSON(nil, v)
		if Size(v) != len(enc) {
			t.Fatalf("Size = %d, len(AppendJSON) = %d for %s", Size(v), len(enc), enc)
		}
		w, err := Parse(enc)
		if err != nil {
			t.Fatalf("re-parse of %s (from %q): %v", enc, data, err)
		}
		if !Equal(v, w) {
			t.Fatalf("round trip of %q: %s != %s", data, enc, AppendJSON(nil, w))
		}
		if !json.Valid(enc) {
			t.Fatalf("AppendJSON produced invalid JSON %q", enc)
		}
		// Compare with encoding/json's decoding of the same text: both must
		// describe the same value (numbers as float64).
		var ref any
		if err := json.Unmarshal(enc, &ref); err == nil {
			refEnc, _ := json.Marshal(ref)
			rv, err := Parse(refEnc)
			if err == nil && !equalLoose(v, rv) {
				t.Fatalf("Parse(%q) = %s, encoding/json gives %s", data, enc, refEnc)
			}
		}
	})
}

// equalLoose is Equal, except that numbers encoding/json could not hold
// (out of float64 range) are skipped.
func equalLoose(a, b Value) bool {
	if a.Kind() == Number && b.Kind() == Number {
		return a.Float() == b.Float()
	}
	return Equal(a, b)
}

// depth returns the bracket nesting depth of JSON text (ignoring strings).
func depth(data []byte) int {
	d, maxd, inStr, esc := 0, 0, false, false
	for _, c := range data {
		switch {
		case inStr && esc:
			esc = false
		case inStr && c == '\\':
			esc = true
		case inStr && c == '"':
			inStr = false
		case inStr:
		case c == '"':
			inStr = true
		case c == '[' || c == '{':
			d++
			maxd = max(maxd, d)
		case c == ']' || c == '}':
			d--
		}
	}
	return maxd
}
