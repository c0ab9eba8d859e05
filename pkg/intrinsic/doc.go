// Package intrinsic parses and evaluates the States.* intrinsic functions of
// the Amazon States Language (JSONPath mode), such as
// States.Format('order {}', $.id) or States.ArrayGetItem($.items, 0).
//
// Pipeline: the compiler calls [IsCall] on the value of every "key.$" field of
// Parameters, ResultSelector, ItemSelector and Assign, and [Parse] on those that
// look like calls. A parsed [Call] goes into the program's intrinsic pool; the VM
// evaluates it with [Call.Eval] once per state execution.
//
// Path arguments ($.x, $$.Execution.Id, $var.y, $) are not compiled here: this
// package must not import pkg/jsonpath. Parse collects their source texts in
// [Call.Paths]; the compiler compiles them, and at run time the VM resolves them
// through the [Resolver] it passes to Eval. Runtime failures (wrong argument
// types, out-of-range values) are returned as *[Error] with the ASL error name
// States.Runtime; definition problems are *[SyntaxError] at parse time.
//
// intrinsic imports only pkg/value and the standard library.
//
// Concurrency: a Call is immutable after Parse and safe for concurrent use;
// Eval keeps all its state on the stack of the calling goroutine.
package intrinsic
