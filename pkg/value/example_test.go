package value_test

import (
	"fmt"

	"github.com/expressd/expressd/pkg/value"
)

func ExampleParse() {
	v, err := value.Parse([]byte(`{"id": 7, "price": 1.50, "tags": ["a"], "id": 8}`))
	if err != nil {
		panic(err)
	}
	fmt.Println(v.JSON())
	fmt.Println(value.Size(v))
	// Output:
	// {"id":8,"price":1.50,"tags":["a"]}
	// 34
}

func ExampleValue_With() {
	v := value.MustParse(`{"a":1}`)
	w := v.With("b", value.True)
	fmt.Println(v, w)
	// Output: {"a":1} {"a":1,"b":true}
}

func ExampleCompareStrings() {
	// U+FF61 sorts after U+1F600 in UTF-16 order (as AWS compares), though
	// before it in UTF-8 byte order.
	fmt.Println(value.CompareStrings("\uFF61", "\U0001F600"), "\uFF61" < "\U0001F600")
	// Output: 1 true
}
