// Package engine runs executions of compiled state machines independently
// of any transport: it drives the VM, performs Task calls through the task
// registry, keeps Wait and retry back-off deadlines in one timer queue,
// fans Parallel branches and Map iterations out as child executions, and
// enforces the 5-minute Express cap. It also produces each execution's log
// records in the CloudWatch format of Express logs (log.go): AWS event
// types, ids and previous ids, filtered by level, handed to a non-blocking
// emitter (sinks.Dispatcher.Emit).
//
// Goroutines and ownership: one goroutine runs the loop (Run or Drain) and
// owns every execution, the run queue and the timers; nothing else touches
// them. Start and task completions may be called from any goroutine: they
// post closures to the inbox (guarded by Engine.mu, the only lock) and wake
// the loop. No goroutine is created per execution, state or Wait; a Task
// integration may use goroutines for its own I/O.
//
// engine imports vm, task, value, states, telemetry and sinks (for the
// Record type of log records); never NATS or config.
package engine
