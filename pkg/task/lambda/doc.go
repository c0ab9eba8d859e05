// Package lambda runs Lambda Task states against functions that live on
// NATS or HTTP, so definitions written for AWS run unchanged: each
// function name maps (in the config) to a NATS subject, served by
// request-reply (a nats.go/micro endpoint works unchanged), or to an HTTP
// URL, called with POST.
//
// # Resources
//
//   - "arn:aws:states:::lambda:invoke" ([ResourceInvoke]). Parameters:
//     FunctionName (required: NAME, NAME:ALIAS, ACCOUNT:function:NAME or
//     arn:aws:lambda:REGION:ACCOUNT:function:NAME[:ALIAS]), Payload (any
//     JSON; a string is sent as its raw text and an absent or null Payload
//     sends {}, as AWS does), Qualifier; LogType and ClientContext are
//     accepted and ignored; InvocationType must be RequestResponse. The
//     result is AWS's Invoke response:
//     {"ExecutedVersion": "$LATEST", "Payload": <function result>,
//     "SdkHttpMetadata": {"AllHttpHeaders": {…}, "HttpHeaders": {…},
//     "HttpStatusCode": 200}, "SdkResponseMetadata": {"RequestId": "<uuid>"},
//     "StatusCode": 200}, with the header set AWS records.
//   - arn:aws:lambda:REGION:ACCOUNT:function:NAME[:ALIAS] (legacy): the
//     Task's effective input, as JSON text, is the payload; the result is
//     the function's result only.
//
// Functions are resolved at invocation time, through [Options.Functions]
// (full ARN, then NAME:QUALIFIER, then NAME), then [Options.SubjectPrefix].
// The target receives the payload with headers Lambda-Request-Id and
// Lambda-Function-Name; a reply body that is JSON is the result, any
// other body is a JSON string (an empty body is null).
//
// # Errors
//
// A function failure is a reply with the nats.go/micro error headers, a
// reply with header Lambda-Function-Error (or X-Amz-Function-Error), or an
// HTTP status outside 2xx. Like AWS, the error is the payload's errorType
// and the cause is the payload's JSON text (for example
// {"errorMessage":"…","errorType":"CustomException","requestId":"…",
// "stackTrace":[…]}). A micro error without such a payload uses its code
// as errorType (req.Error("CustomException", "it broke", nil) →
// CustomException) with a cause {"errorMessage","errorType","requestId"}.
// Without an error type the error is Lambda.Unknown with AWS's cause
// "The cause could not be determined because Lambda did not return an
// error type. Returned payload: …". Other failures:
//
//   - Lambda.ResourceNotFoundException: no target for the function, or no
//     responders on its SubjectPrefix subject. The cause has AWS's text:
//     "Function not found: arn:aws:lambda:REGION:ACCOUNT:function:NAME:$LATEST
//     (Service: AWSLambda; Status Code: 404; Error Code:
//     ResourceNotFoundException; Request ID: <uuid>; Proxy: null)".
//   - Lambda.ServiceException: the target is unreachable (no responders on
//     a mapped subject, connection refused or closed).
//   - States.Timeout with an empty cause: no reply within the Task's
//     TimeoutSeconds (else [Options.Timeout], default 5 minutes).
//   - States.DataLimitExceeded: an HTTP reply over 256 KiB.
//   - States.Runtime: Parameters that cannot start the task.
//
// # Concurrency
//
// A [Handler] is safe for concurrent use. NATS targets use one shared
// natstask.Requester (one response subscription, timers, no goroutine per
// call); an HTTP call runs on a goroutine of its own because net/http
// blocks. done is called from those goroutines, or before Invoke returns
// for invalid Parameters and unknown functions.
//
// lambda imports task, value and natstask, and not NATS itself (the
// dependency rule): NATS targets go through a natstask.Requester.
package lambda
