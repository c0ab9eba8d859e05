// Package httptask serves AWS's HTTP Task, "arn:aws:states:::http:invoke"
// ([Resource]), with the AWS request and response shapes, so definitions
// that call HTTPS APIs run unchanged.
//
// # Parameters
//
// The effective input (after InputPath and Parameters) is an object with:
//
//   - ApiEndpoint (string, required): an http or https URL.
//   - Method (string, required): GET, POST, PUT, DELETE, PATCH, OPTIONS or HEAD.
//   - Headers (object, optional): name → string or array of strings
//     (numbers and booleans are sent as their JSON text).
//   - QueryParameters (object, optional): name → string or array of
//     strings, appended to the query of ApiEndpoint.
//   - RequestBody (any JSON, optional): sent as compact JSON text, a string
//     as its raw text; Content-Type defaults to
//     "application/json; charset=UTF-8" when a body is sent.
//   - Authentication / InvocationConfig (optional): accepted and ignored.
//     expressd has no EventBridge connections, so ConnectionArn is unused;
//     put credentials in Headers (from the execution input or a variable).
//
// Transform (URL-encoded bodies) is not supported and fails with
// States.Runtime, as do unknown fields and missing or mistyped ones.
//
// # Result and errors
//
// A 2xx response yields {"Headers": {name: [values…]}, "ResponseBody": …,
// "StatusCode": 200, "StatusText": "OK"}; ResponseBody is the parsed body
// when Content-Type is application/json (or *+json) and valid, else the
// body as a string. Failures are task.Error values:
//
//   - States.Http.StatusCode.<code> ([ErrStatusCodePrefix]) for a non-2xx
//     status; the cause is the JSON text of the response object above.
//   - States.Http.Socket ([ErrSocket]) when the call times out
//     ([WithTimeout], default 60s as AWS) or the connection fails.
//   - States.DataLimitExceeded when the body exceeds [MaxResponseBytes].
//   - States.Runtime ([ErrRuntime]) for Parameters that cannot start the
//     call: "The Parameters '<json>' could not be used to start the Task:
//     [The field 'Method' is required]". It is not caught, as on AWS.
//
// # Concurrency
//
// A [Handler] is safe for concurrent use. net/http blocks, so each call
// in flight runs on a goroutine of its own, which calls done; invalid
// Parameters call done before Invoke returns.
//
// httptask imports task and value and the standard library.
package httptask
