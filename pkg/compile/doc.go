// Package compile turns a decoded ASL definition ([asl.StateMachine]) into a
// [vm.Program]: state names are resolved to code labels, paths and
// intrinsic calls are parsed once into typed pools, payload templates are
// folded into constants where they have no dynamic part, Choice rules become
// compare-and-jump sequences, and Retry/Catch become a handler table that
// the VM consults only on failure.
//
// Problems are reported as [asl.Diagnostics], all at once, with the file
// position and JSON Pointer of each.
//
// compile imports asl, value, jsonpath, intrinsic and vm; never the engine,
// tasks, sinks or NATS. Compilation is a pure function and safe to run
// concurrently.
package compile
