// Package value is the one JSON value type of expressd, shared by jsonpath,
// intrinsic, the VM, the engine, task integrations and sinks.
//
// Each payload is decoded once into a [Value] (see [Parse]) and encoded once
// at egress (see [AppendJSON]). A Value is immutable: "updates" such as
// [Value.With] build a new Value that shares the unchanged parts, so Values
// may be shared between executions, branches and goroutines without copying
// or locking. Objects keep member order, numbers keep their source text.
//
// value imports only the standard library.
package value
