package compile_test

import (
	"fmt"
	"os"

	"github.com/expressd/expressd/pkg/asl"
	"github.com/expressd/expressd/pkg/compile"
)

func ExampleStateMachine() {
	sm, diags := asl.Load("hello.asl.json", []byte(`{"StartAt":"Hello","States":{"Hello":{"Type":"Pass","Result":"world","End":true}}}`))
	if len(diags) > 0 {
		panic(diags)
	}
	p, diags := compile.StateMachine(sm, compile.WithName("hello"))
	if len(diags) > 0 {
		panic(diags)
	}
	_ = p.Disassemble(os.Stdout)
	// Output:
	//
	// Hello (Pass /States/Hello line 1):
	//      0  Enter       "Hello"
	//      1  Const       "world" -> res
	//      2  Move        res -> out
	//      3  CheckSize   out
	//      4  Succeed
}

func ExampleWithTasks() {
	sm, _ := asl.Load("t.asl.json", []byte(`{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage","End":true}}}`))
	_, diags := compile.StateMachine(sm, compile.WithFile("t.asl.json"), compile.WithTasks(rejectAll))
	for _, d := range diags {
		fmt.Println(d)
	}
	// Output:
	// t.asl.json:1:56: /States/T/Resource: state "T": resource "arn:aws:states:::sqs:sendMessage": no integration serves this resource
}
