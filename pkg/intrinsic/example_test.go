package intrinsic_test

import (
	"fmt"

	"github.com/expressd/expressd/pkg/intrinsic"
	"github.com/expressd/expressd/pkg/value"
)

// fixedPaths resolves path i to vals[i]; a VM resolves the compiled paths.
type fixedPaths []value.Value

func (f fixedPaths) ResolvePath(i int) (value.Value, error) { return f[i], nil }

func Example() {
	c, err := intrinsic.Parse("States.Format('{} has {} items', $.name, States.ArrayLength($.items))")
	if err != nil {
		panic(err)
	}
	fmt.Println(c.Func, c.Paths())

	v, err := c.Eval(fixedPaths{value.FromString("order-7"), value.MustParse(`[1, 2, 3]`)})
	fmt.Println(v, err)
	// Output:
	// States.Format [$.name $.items]
	// "order-7 has 3 items" <nil>
}

func ExampleIsCall() {
	fmt.Println(intrinsic.IsCall("States.UUID()"), intrinsic.IsCall("$.States"))
	// Output: true false
}

func ExampleParse_error() {
	_, err := intrinsic.Parse(`States.Format('say \"hi\"')`)
	fmt.Println(err)
	// Output: invalid intrinsic function call at offset 19: illegal escape \'"' in string literal: only \', \{, \} and \\ are allowed in "States.Format('say \\\"hi\\\"')"
}

func ExampleCall_Eval_error() {
	c, _ := intrinsic.Parse("States.ArrayGetItem($.items, 5)")
	_, err := c.Eval(fixedPaths{value.MustParse(`[1, 2]`)})
	fmt.Println(err)
	// Output: States.Runtime: Invalid arguments in States.ArrayGetItem: index 5 is out of range for an array of length 2
}
