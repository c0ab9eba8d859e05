package sinks_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/expressd/expressd/pkg/sinks"
	"github.com/expressd/expressd/pkg/telemetry"
	"github.com/expressd/expressd/pkg/value"
)

func Example() {
	reg := sinks.Builtin() // cmd/expressd also registers natssink.Plugin(nc)
	out, err := sinks.NewWriter(os.Stdout, `select(.type | endswith("Failed")) | {type, id}`)
	if err != nil {
		fmt.Println(err)
		return
	}
	discard, err := reg.New(sinks.Options{Type: "discard"})
	if err != nil {
		fmt.Println(err)
		return
	}
	d := sinks.NewDispatcher([]sinks.Named{{Name: "stdout", Sink: out}, discard}, telemetry.Nop{}, nil)
	for i, typ := range []string{"TaskStateEntered", "TaskFailed", "ExecutionFailed"} {
		d.Emit(sinks.Record{ID: int64(i + 2), PreviousID: int64(i + 1), Type: typ, Timestamp: time.Now(), Details: value.EmptyObject()})
	}
	if err := d.Close(context.Background()); err != nil {
		fmt.Println(err)
	}
	fmt.Println(d.Stats())
	// Output:
	// {"id":"3","type":"TaskFailed"}
	// {"id":"4","type":"ExecutionFailed"}
	// [{stdout 2 1 0} {discard 3 0 0}]
}

func ExampleCompileFilter() {
	_, err := sinks.CompileFilter(`select(.type == )`)
	fmt.Println(err)
	// Output:
	// sinks: filter "select(.type == )": unexpected token ")"
}
