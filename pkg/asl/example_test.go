package asl_test

import (
	"fmt"

	"github.com/expressd/expressd/pkg/asl"
)

func ExampleLoad() {
	def := `{
  "StartAt": "Check",
  "States": {
    "Check": {"Type": "Choice", "Choices": [{"Variable": "$.ok", "BooleanEquals": true, "Next": "Done"}], "Default": "Chek"},
    "Done": {"Type": "Succeed"}
  }
}`
	m, diags := asl.Load("order.asl.json", []byte(def))
	for _, d := range diags {
		fmt.Println(d)
	}
	fmt.Println(m.State("Check").Choices[0].Operator)
	// Output:
	// order.asl.json:4:118: /States/Check/Default: Missing 'Next' target: Chek
	// BooleanEquals
}
