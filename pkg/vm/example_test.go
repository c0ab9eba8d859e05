package vm_test

import (
	"fmt"

	"github.com/expressd/expressd/pkg/asl"
	"github.com/expressd/expressd/pkg/compile"
	"github.com/expressd/expressd/pkg/value"
	"github.com/expressd/expressd/pkg/vm"
)

// A Machine runs an Execution until it ends or yields; a Task yields to the
// caller, which performs the call and resumes the execution with its result.
func ExampleMachine_Run() {
	sm, diags := asl.Load("greet.asl.json", []byte(`{
		"StartAt": "Lookup",
		"States": {
			"Lookup": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
				"Parameters": {"FunctionName": "names", "Payload.$": "$"},
				"ResultSelector": {"name.$": "$.Payload"}, "ResultPath": "$.who", "Next": "Greet"},
			"Greet": {"Type": "Pass", "Parameters": {"text.$": "States.Format('Hello, {}!', $.who.name)"}, "End": true}
		}}`))
	if len(diags) > 0 {
		panic(diags)
	}
	prog, diags := compile.StateMachine(sm)
	if len(diags) > 0 {
		panic(diags)
	}
	var m vm.Machine
	e := vm.NewExecution(prog, value.MustParse(`{"id": 7}`), nil)
	for {
		st := m.Run(e, 0)
		switch st.Kind {
		case vm.Yield:
			fmt.Println("task", prog.Tasks[st.Task].Resource, "input", st.Input.JSON())
			e.ResumeValue(value.MustParse(`{"StatusCode": 200, "Payload": "Ada"}`))
			continue
		case vm.Succeeded:
			fmt.Println("output", st.Output.JSON())
		case vm.Failed:
			fmt.Println("failed", st.Failure.Error, st.Failure.Cause)
		}
		return
	}
	// Output:
	// task arn:aws:states:::lambda:invoke input {"FunctionName":"names","Payload":{"id":7}}
	// output {"text":"Hello, Ada!"}
}
