// Package vm is the bytecode machine that runs compiled state machines.
//
// A [Program] (built by package compile) is one code array of [Inst] plus
// typed pools: paths, payload templates, intrinsic calls, comparisons,
// tasks, waits, Parallel and Map descriptors, and the Retry/Catch handler
// table consulted only on failure. Parallel branches and Map item
// processors are entry points into the same code. A Program is immutable
// and safe for concurrent use.
//
// A [Machine] runs an [Execution] until it ends or yields: a Task yields
// [Yield], a Wait or retry back-off yields [Sleep], Parallel and Map yield
// [Fork], and a long run yields [Budget]. The caller (package engine)
// performs the I/O, keeps the timers and runs the children, then resumes
// the Execution. No goroutine ever waits inside the VM. A Machine holds only
// scratch space and is not safe for concurrent use: one per worker.
//
// Data moves through four value registers per state (raw input, effective
// input, result, output) instead of an operand stack; values are immutable
// [value.Value]s, with one exception: an object the execution built itself
// and never shared is updated in place by ResultPath (see Execution.owned).
// ASL runtime failures are data ([Failure]) matched by Retry and Catch,
// never Go errors or panics; an invalid program is an invariant violation
// that [Verify] rules out, and the engine recovers from as States.Runtime.
//
// vm imports value, jsonpath, intrinsic and asl (for error names) only;
// never task, engine, sinks, config or NATS.
package vm
