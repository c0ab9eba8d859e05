// Package bench is the logic of `expressd bench`: load-testing a workflow
// on the VM alone (RunVM), end to end through JetStream and the real
// binding (RunE2E), and measuring the memory of executions parked in Wait
// (RunParked). The command in cmd/expressd only parses flags and prints.
//
// Every runner checks the workflow's output (against an expected value, or
// at least that it SUCCEEDED) before it measures anything: a fast wrong
// answer is not a result.
package bench
