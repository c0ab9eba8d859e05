package value

import (
	"strconv"
	"strings"
	"testing"
)

// benchDoc builds an order-like payload of about size bytes.
func benchDoc(size int) []byte {
	var b strings.Builder
	b.WriteString(`{"orderId":"o-123","customer":{"id":42,"name":"Ada Lovelace","tier":"gold"},"items":[`)
	for i := 0; b.Len() < size; i++ {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`{"sku":"sku-` + strconv.Itoa(i) + `","qty":` + strconv.Itoa(i%7+1) + `,"price":19.99,"tags":["a","b\n"],"gift":false}`)
	}
	b.WriteString(`],"total":1234.5}`)
	return []byte(b.String())
}

var benchSizes = []int{256, 1 << 10, 16 << 10, 256 << 10}

func BenchmarkParse(b *testing.B) {
	for _, size := range benchSizes {
		doc := benchDoc(size)
		b.Run("payload="+sizeName(size), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(doc)))
			for b.Loop() {
				if _, err := Parse(doc); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkAppendJSON(b *testing.B) {
	for _, size := range benchSizes {
		v := MustParse(string(benchDoc(size)))
		buf := make([]byte, 0, Size(v))
		b.Run("payload="+sizeName(size), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(Size(v)))
			for b.Loop() {
				buf = AppendJSON(buf[:0], v)
			}
		})
	}
}

func BenchmarkSize(b *testing.B) {
	v := MustParse(string(benchDoc(16 << 10)))
	b.ReportAllocs()
	b.SetBytes(int64(Size(v)))
	for b.Loop() {
		_ = Size(v)
	}
}

func sizeName(n int) string {
	if n >= 1<<10 {
		return strconv.Itoa(n>>10) + "KiB"
	}
	return strconv.Itoa(n) + "B"
}
