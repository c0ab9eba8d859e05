package intrinsic

import (
	"testing"

	"github.com/expressd/expressd/pkg/value"
)

func BenchmarkEval(b *testing.B) {
	input := value.MustParse(`{"name": "order-7", "items": [1, 2, 3, 4], "a": 1.5, "b": 2}`)
	for _, bc := range []struct{ name, call string }{
		{"fn=MathAdd", "States.MathAdd($.a, $.b)"},
		{"fn=Format", "States.Format('{} has {} items', $.name, States.ArrayLength($.items))"},
		{"fn=ArrayGetItem/nested", "States.ArrayGetItem(States.StringSplit($.name, '-'), 1)"},
		{"fn=Hash", "States.Hash($.name, 'SHA-256')"},
	} {
		c, err := Parse(bc.call)
		if err != nil {
			b.Fatal(err)
		}
		r := &testResolver{paths: c.Paths(), input: input}
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.Eval(r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkParse(b *testing.B) {
	s := "States.ArrayGetItem(States.StringSplit($$.StateMachine.Name, '-'), States.MathAdd(States.ArrayLength(States.StringSplit($$.StateMachine.Name, '-')), -1))"
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(s); err != nil {
			b.Fatal(err)
		}
	}
}
