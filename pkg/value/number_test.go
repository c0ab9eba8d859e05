package value

import (
	"math/rand/v2"
	"strconv"
	"testing"
)

// TestNumberFastPathMatchesStrconv checks the parser's exact fast path
// against strconv.ParseFloat on many decimal texts.
func TestNumberFastPathMatchesStrconv(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	texts := []string{"0", "-0", "0.0", "1", "-1", "31.5", "0.1", "0.3", "123456789012345", "1234567890123456", "0.000000000000001", "99999999999999.9", "-12.3400", "1.7976931348623157", "0.0000000000000000000001"}
	for i := 0; i < 20000; i++ {
		n := r.Uint64N(1 << 53)
		frac := r.IntN(20)
		s := strconv.FormatUint(n, 10)
		if frac > 0 && frac < len(s) {
			s = s[:len(s)-frac] + "." + s[len(s)-frac:]
		}
		if r.IntN(2) == 0 {
			s = "-" + s
		}
		texts = append(texts, s)
	}
	for _, s := range texts {
		v, err := Parse([]byte(s))
		if err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		want, _ := strconv.ParseFloat(s, 64)
		if v.Float() != want {
			t.Fatalf("%s: got %v, want %v", s, v.Float(), want)
		}
	}
}
