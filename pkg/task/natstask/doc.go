// Package natstask serves Task states that talk to NATS: request-reply
// calls to services (including services written with nats.go/micro, which
// work unchanged) and JetStream publishes.
//
// # Resources
//
// [ResourceRequest] "arn:aws:states:::nats:request" is served by a
// [Requester] ([NewRequest]); its effective input (after InputPath and
// Parameters) is an object with:
//
//   - Subject (string, required): the subject to request on; no wildcards.
//   - Payload (any JSON, optional): the request body. A string is sent as
//     its raw text (so text, or a JSON document held as a string, goes out
//     unchanged); any other value is sent as its compact JSON text; an
//     absent Payload sends an empty body.
//   - Headers (object, optional): header name → string or array of strings.
//   - TimeoutSeconds (number > 0, at most 300, optional): how long to wait
//     for the reply; default [WithTimeout] (30s).
//
// The result is the reply body parsed as JSON when it is valid JSON, else
// the body as a JSON string (an empty body is null). Reply headers are
// dropped: the bare body is what a Step Functions user expects to reach
// with ResultSelector / ResultPath, like a Lambda legacy-ARN result.
//
// [ResourcePublish] "arn:aws:states:::nats:publish" is served by a
// [Publisher] ([NewPublish]): Subject, Payload and Headers as above, plus
// MsgId (string, optional) sent as the Nats-Msg-Id header for JetStream's
// duplicate window. The result is the PubAck:
// {"Stream": "<name>", "Sequence": n, "Duplicate": bool}.
//
// # Errors
//
// Failures are task.Error values with these names:
//
//   - NATS.ServiceError.<code> ([ErrServiceErrorPrefix]): the reply has the
//     micro error headers Nats-Service-Error-Code / Nats-Service-Error
//     (req.Error("400", "bad input", body) → NATS.ServiceError.400);
//     NATS.ServiceError ([ErrServiceError]) when the code is empty. The
//     cause is the JSON text {"Code": "400", "Description": "bad input",
//     "Body": <body as a result would hold it>}.
//   - NATS.NoResponders ([ErrNoResponders]): nobody listens on Subject.
//   - States.Timeout ([ErrTimeout]): no reply, or no PubAck, in time.
//   - NATS.NoStream ([ErrNoStream]): no stream captures a publish subject.
//   - NATS.RequestFailed / NATS.PublishFailed: the message could not be
//     sent, JetStream refused it (for example a sealed stream), the
//     connection dropped before the PubAck, or the handler was closed.
//   - States.Runtime ([ErrRuntime]): the Parameters cannot start the task
//     (missing Subject, wrong type, unknown field). The cause follows AWS:
//     "The Parameters '<json>' could not be used to start the Task:
//     [The field 'Subject' is required]". Like AWS's, it is not caught.
//
// # Concurrency
//
// A Requester and a Publisher are safe for concurrent use and start no
// goroutine per call. The Requester subscribes once to a unique inbox
// wildcard (<inbox>.*), sends each request with reply <inbox>.<token>,
// finds the pending call by token under a mutex, and times out with a
// runtime timer; done runs on the subscription's goroutine or the timer's.
// The Publisher's JetStream context reports PubAcks and errors through
// its async handlers; done runs on nats.go's ack goroutine or timer.
// done may also run before Invoke returns (invalid Parameters, publish
// errors). Both must be closed by their owner; the connection stays the
// caller's.
//
// natstask imports task, value and nats.go; the engine does not import it.
package natstask
