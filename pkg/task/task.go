package task

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/expressd/expressd/pkg/states"
	"github.com/expressd/expressd/pkg/value"
)

// Request is one Task state invocation.
type Request struct {
	Resource string      // the Task's Resource ARN
	State    string      // the Task state's name
	Input    value.Value // the effective input (after InputPath and Parameters)
	// Invocation counts the calls of this state in this execution, from 0
	// (retries count as new invocations), as Step Functions Local mocks use.
	Invocation     int
	Execution      string // execution ARN
	Machine        string // state machine name
	TimeoutSeconds int64  // the Task's timeout, 0 when none
}

// Error is an ASL-visible task failure: it is matched by Retry and Catch.
type Error struct {
	Name  states.Name
	Cause string
}

func (e *Error) Error() string { return string(e.Name) + ": " + e.Cause }

// Result is the outcome of a Task call: Output, or Err when the task failed.
type Result struct {
	Output value.Value
	Err    *Error
}

// Handler performs Task calls for the resources it was registered for.
type Handler interface {
	// Invoke starts the call and arranges for done to be called exactly
	// once with its outcome, from any goroutine, possibly before Invoke
	// returns. Invoke must not block on I/O.
	Invoke(ctx context.Context, req *Request, done func(Result))
}

// Checker is implemented by handlers that can tell at compile time that a
// Task will fail on every call: a resource they match but cannot serve, or
// static arguments that cannot work (a Lambda function with no mapping).
// The compiler reports the error as a definition problem, so that
// `expressd validate --config` and `serve` refuse the definition instead of
// failing each execution.
type Checker interface {
	// Check checks a Task's resource and its static arguments: the
	// Parameters (or Arguments) template as written, with "k.$" keys whose
	// values are only known at run time; args is undefined when there are
	// none.
	Check(resource string, args value.Value) error
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, req *Request, done func(Result))

// Invoke calls f.
func (f HandlerFunc) Invoke(ctx context.Context, req *Request, done func(Result)) { f(ctx, req, done) }

// Match decides whether a handler serves a resource.
type Match func(resource string) bool

// Exact matches one resource.
func Exact(s string) Match { return func(r string) bool { return r == s } }

// ErrUnknownResource is returned by Resolve when no handler serves a resource.
var ErrUnknownResource = errors.New("task: no integration serves this resource")

type entry struct {
	name    string
	match   Match
	handler Handler
}

// Registry maps Task resources to handlers. It is built once (Register)
// and read-only afterwards; reads are safe for concurrent use.
type Registry struct {
	entries []entry
}

// Register adds a handler under a unique name; the first registered match
// wins when several match a resource.
func (r *Registry) Register(name string, m Match, h Handler) error {
	for _, e := range r.entries {
		if e.name == name {
			return fmt.Errorf("task: integration %q registered twice", name)
		}
	}
	r.entries = append(r.entries, entry{name: name, match: m, handler: h})
	return nil
}

// Resolve returns the id of the handler serving resource. It implements
// compile.TaskResolver.
func (r *Registry) Resolve(resource string) (int, error) {
	names := make([]string, 0, len(r.entries))
	for i, e := range r.entries {
		if e.match(resource) {
			return i, nil
		}
		names = append(names, e.name)
	}
	if len(names) == 0 {
		return -1, ErrUnknownResource
	}
	return -1, fmt.Errorf("%w (integrations: %s)", ErrUnknownResource, strings.Join(names, ", "))
}

// CheckTask runs the [Checker] of the handler with the given id, if it has
// one. It implements compile.TaskChecker.
func (r *Registry) CheckTask(id int, resource string, args value.Value) error {
	if c, ok := r.Handler(id).(Checker); ok {
		return c.Check(resource, args)
	}
	return nil
}

// Handler returns the handler with the given id, nil when out of range.
func (r *Registry) Handler(id int) Handler {
	if r == nil || id < 0 || id >= len(r.entries) {
		return nil
	}
	return r.entries[id].handler
}

// Name returns the name the handler with the given id was registered under.
func (r *Registry) Name(id int) string {
	if r == nil || id < 0 || id >= len(r.entries) {
		return ""
	}
	return r.entries[id].name
}
