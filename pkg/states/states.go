// Package states is the one catalogue of the error names expressd raises
// and matches: those the States Language defines (States.Runtime, …), those
// of the Task integrations (NATS.*, Lambda.*, States.Http.*) and those of
// event and request intake. Every other package takes its names from here;
// a test (names_test.go) fails on an error-name string literal anywhere
// else. It imports nothing, so every package may import it.
package states

// Name is an error name: what an execution or a Task call fails with, and
// what Retry and Catch match in ErrorEquals. Names outside this catalogue
// come from definitions (a Fail state's Error) and services (a Lambda
// function's errorType, a micro service's error).
type Name string

// The error names the States Language defines.
const (
	ALL                             Name = "States.ALL"
	Runtime                         Name = "States.Runtime"
	Timeout                         Name = "States.Timeout"
	HeartbeatTimeout                Name = "States.HeartbeatTimeout"
	TaskFailed                      Name = "States.TaskFailed"
	Permissions                     Name = "States.Permissions"
	ResultPathMatchFailure          Name = "States.ResultPathMatchFailure"
	ParameterPathFailure            Name = "States.ParameterPathFailure"
	BranchFailed                    Name = "States.BranchFailed"
	NoChoiceMatched                 Name = "States.NoChoiceMatched"
	IntrinsicFailure                Name = "States.IntrinsicFailure"
	DataLimitExceeded               Name = "States.DataLimitExceeded"
	QueryEvaluationError            Name = "States.QueryEvaluationError"
	ExceedToleratedFailureThreshold Name = "States.ExceedToleratedFailureThreshold"
)

// Cancelled ends the Task call of a Parallel branch or Map iteration that
// was stopped because a sibling failed. It never reaches an execution's
// result (the sibling's error does), and only logs show it.
const Cancelled Name = "States.Cancelled"

// The names of the HTTP Task integration (arn:aws:states:::http:invoke), as
// AWS raises them.
const (
	// HTTPStatusCodePrefix + the status code: a response outside 2xx.
	HTTPStatusCodePrefix Name = "States.Http.StatusCode."
	// HTTPSocket: the connection failed or timed out.
	HTTPSocket Name = "States.Http.Socket"
)

// The names of the NATS Task integrations (nats:request, nats:publish).
const (
	// NATSNoResponders: no service listens on the subject.
	NATSNoResponders Name = "NATS.NoResponders"
	// NATSServiceErrorPrefix + the service's error code: a nats.go/micro
	// service answered with an error (Nats-Service-Error-Code header).
	NATSServiceErrorPrefix Name = "NATS.ServiceError."
	// NATSServiceError: a micro service error without a code.
	NATSServiceError Name = "NATS.ServiceError"
	// NATSNoStream: no JetStream stream captures the subject published to.
	NATSNoStream Name = "NATS.NoStream"
	// NATSRequestFailed: the request could not be sent (connection down).
	NATSRequestFailed Name = "NATS.RequestFailed"
	// NATSPublishFailed: JetStream refused the message or sent no PubAck.
	NATSPublishFailed Name = "NATS.PublishFailed"
)

// The names of the Lambda integration, as AWS raises them.
const (
	LambdaResourceNotFound Name = "Lambda.ResourceNotFoundException"
	LambdaUnknown          Name = "Lambda.Unknown"
	LambdaServiceException Name = "Lambda.ServiceException"
)

// The names of events and sync requests that do not start an execution.
const (
	// InvalidExecutionInput: the event or request is not JSON (AWS's
	// StartExecution refuses such input with this name).
	InvalidExecutionInput Name = "InvalidExecutionInput"
	// ExecutionLimitExceeded: a sync request found its machine's sync
	// executions at their limit.
	ExecutionLimitExceeded Name = "ExecutionLimitExceeded"
	// ServiceUnavailable: the daemon is shutting down.
	ServiceUnavailable Name = "ServiceUnavailable"
)
