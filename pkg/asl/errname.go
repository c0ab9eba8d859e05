package asl

// ErrorName is an ASL error name, as matched by Retry and Catch ErrorEquals.
type ErrorName = string

// The error names defined by the States Language. Runtime failures carry one
// of these or a user-defined name (Fail state Error, task errors).
const (
	StatesALL                    ErrorName = "States.ALL"
	StatesRuntime                ErrorName = "States.Runtime"
	StatesTimeout                ErrorName = "States.Timeout"
	StatesHeartbeatTimeout       ErrorName = "States.HeartbeatTimeout"
	StatesTaskFailed             ErrorName = "States.TaskFailed"
	StatesPermissions            ErrorName = "States.Permissions"
	StatesResultPathMatchFailure ErrorName = "States.ResultPathMatchFailure"
	StatesParameterPathFailure   ErrorName = "States.ParameterPathFailure"
	StatesBranchFailed           ErrorName = "States.BranchFailed"
	StatesNoChoiceMatched        ErrorName = "States.NoChoiceMatched"
	StatesIntrinsicFailure       ErrorName = "States.IntrinsicFailure"
	StatesDataLimitExceeded      ErrorName = "States.DataLimitExceeded"
	StatesQueryEvaluationError   ErrorName = "States.QueryEvaluationError"
	StatesExceedToleratedFailure ErrorName = "States.ExceedToleratedFailureThreshold"
)
