package intrinsic

import (
	"strconv"

	"github.com/expressd/expressd/pkg/states"
)

// ErrorRuntime is the ASL error name of every runtime failure of an intrinsic
// function. AWS reserves States.IntrinsicFailure, but recorded executions show
// States.Runtime, which Retry and Catch cannot handle.
const ErrorRuntime = states.Runtime

// Error is a runtime failure of an intrinsic function, reported to the state
// machine as the ASL error Name with the text Cause.
type Error struct {
	Name  states.Name // ASL error name, always ErrorRuntime today
	Cause string      // human-readable cause, "Invalid arguments in States.X: …"
}

// Error returns "Name: Cause".
func (e *Error) Error() string { return string(e.Name) + ": " + e.Cause }

// invalidArgs returns the runtime error AWS raises for bad arguments. AWS's
// cause starts with "Invalid arguments in <function>"; the detail after the
// colon is ours.
func invalidArgs(f Func, detail string) *Error {
	return &Error{Name: ErrorRuntime, Cause: "Invalid arguments in " + f.String() + ": " + detail}
}

// SyntaxError reports an intrinsic call that cannot be parsed. AWS rejects such
// definitions at create time ("The value for the field 'x.$' must be a valid
// JSONPath or a valid intrinsic function call").
type SyntaxError struct {
	Input  string // the whole call text
	Offset int    // byte offset in Input where the problem was found
	Msg    string // what is wrong
}

// Error returns the message with the offset and the input.
func (e *SyntaxError) Error() string {
	return "invalid intrinsic function call at offset " + strconv.Itoa(e.Offset) + ": " + e.Msg +
		" in " + strconv.Quote(e.Input)
}
