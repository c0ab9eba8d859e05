package asl

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// diagStrings renders diagnostics one per string.
func diagStrings(ds Diagnostics) []string {
	out := []string{}
	for _, d := range ds {
		out = append(out, d.String())
	}
	return out
}

// wrap builds a one-machine definition from a States body.
func wrap(start, states string) string {
	return `{"StartAt":"` + start + `","States":{` + states + `}}`
}

func TestDecodeSyntax(t *testing.T) {
	tests := []struct {
		name, file, src string
		want            []string
	}{
		{"after member", "a.json", "{\n  \"StartAt\": \"A\",\n  \"States\": {\"A\": {\"Type\": \"Pass\" \"End\": true}}\n}",
			[]string{`a.json:3:35: /: invalid character '"' after object member value`}},
		{"missing value", "a.json", `{"StartAt": }`, []string{`a.json:1:13: /: invalid character '}' looking for beginning of value`}},
		{"trailing comma", "a.json", `{"a": 1,}`, []string{`a.json:1:9: /: invalid character '}' looking for beginning of object key string`}},
		{"eof", "a.json", `{"a": [1, 2`, []string{`a.json:1:12: /: unexpected end of JSON input`}},
		{"empty", "a.json", ` `, []string{`a.json:1:2: /: unexpected end of JSON input`}},
		{"not json", "a.json", `not a definition`, []string{`a.json:1:2: /: invalid character 'o' in literal null (expecting 'u')`}},
		{"bad literal", "a.json", `{"a": tru}`, []string{`a.json:1:10: /: invalid character '}' in literal true (expecting 'e')`}},
		{"bad escape", "a.json", `{"a": "\q"}`, []string{`a.json:1:9: /: invalid character 'q' in string escape code`}},
		{"control char", "a.json", "{\"a\": \"x\ty\"}", []string{`a.json:1:9: /: invalid character '\t' in string literal`}},
		{"bad number", "a.json", `{"a": 01}`, []string{`a.json:1:8: /: invalid character '1' after object member value`}},
		{"number dot", "a.json", `{"a": 1.}`, []string{`a.json:1:9: /: invalid character '}' in numeric literal`}},
		{"after top", "a.json", `{} {}`, []string{`a.json:1:4: /: invalid character '{' after top-level value`}},
		{"not an object", "a.json", `[1]`, []string{`a.json:1:1: /: Definition must be a valid JSON object`}},
		{"duplicate member", "a.json", `{"StartAt":"A","StartAt":"B","States":{"A":{"Type":"Succeed"}}}`,
			[]string{`a.json:1:16: /StartAt: duplicate member name "StartAt"`}},
		{"yaml syntax", "a.yaml", "StartAt: A\nStates:\n  A: {Type: Pass\n", []string{`a.yaml:3: /: did not find expected ',' or '}'`}},
		{"yaml non-string key", "a.yaml", "StartAt: A\nStates:\n  A: {Type: Succeed}\n1: x\n",
			[]string{`a.yaml:4:1: /: mapping keys must be strings`}},
		{"yaml duplicate", "a.yaml", "StartAt: A\nStartAt: B\nStates:\n  A: {Type: Succeed}\n",
			[]string{`a.yaml:2:1: /StartAt: duplicate member name "StartAt"`}},
		{"yaml not an object", "a.yaml", "- 1\n", []string{`a.yaml:1:1: /: Definition must be a valid JSON object`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, diags := Decode(tc.file, []byte(tc.src))
			if diff := cmp.Diff(tc.want, diagStrings(diags)); diff != "" {
				t.Errorf("Decode diagnostics (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLoad(t *testing.T) {
	tests := []struct {
		name, src string
		want      []string
	}{
		{"valid", wrap("A", `"A":{"Type":"Pass","Next":"B"},"B":{"Type":"Succeed"}`), nil},
		{"required", `{}`, []string{`1:1: /: These fields are required: [States, StartAt]`}},
		{"required StartAt", `{"States":{"A":{"Type":"Succeed"}}}`, []string{`1:1: /: These fields are required: [StartAt]`}},
		{"unknown top field", `{"StartAt":"A","Foo":1,"States":{"A":{"Type":"Succeed"}}}`,
			[]string{`1:16: /Foo: The field "Foo" is not supported by Step Functions`}},
		{"wrong type", `{"StartAt":1,"States":{"A":{"Type":"Succeed"}}}`,
			[]string{`1:12: /StartAt: Field 'StartAt' must be of type string, got number`}},
		{"missing StartAt target", wrap("X", `"A":{"Type":"Succeed"}`), []string{
			`1:12: /StartAt: Missing 'StartAt' target: X`}},
		{"missing Next target", wrap("A", `"A":{"Type":"Pass","Next":"Nope"}`), []string{
			`1:25: /States: Workflow has no terminal state`,
			`1:52: /States/A/Next: Missing 'Next' target: Nope`}},
		{"unreachable", wrap("A", `"A":{"Type":"Succeed"},"B":{"Type":"Succeed"}`), []string{
			`1:49: /States/B: State "B" is not reachable.`}},
		{"no terminal", wrap("A", `"A":{"Type":"Pass","Next":"B"},"B":{"Type":"Pass","Next":"A"}`), []string{
			`1:25: /States: Workflow has no terminal state`}},
		{"next and end", wrap("A", `"A":{"Type":"Pass","Next":"A","End":true}`), []string{
			`1:56: /States/A/End: Fields 'Next' and 'End' are mutually exclusive`}},
		{"neither next nor end", wrap("A", `"A":{"Type":"Pass"},"B":{"Type":"Succeed"}`), []string{
			`1:30: /States/A: One of these fields is required: [Next, End]`,
			`1:46: /States/B: State "B" is not reachable.`}},
		{"field not for type", wrap("A", `"A":{"Type":"Pass","Resource":"x","End":true}`), []string{
			`1:45: /States/A/Resource: Field 'Resource' is not supported`}},
		{"choice with end", wrap("A", `"A":{"Type":"Choice","End":true,"Choices":[{"Variable":"$.x","IsNull":true,"Next":"B"}]},"B":{"Type":"Succeed"}`), []string{
			`1:47: /States/A/End: Field 'End' is not supported`}},
		{"unknown state field", wrap("A", `"A":{"Type":"Succeed","Foo":1}`), []string{
			`1:48: /States/A/Foo: The field "Foo" is not supported by Step Functions`}},
		{"bad type", wrap("A", `"A":{"Type":"Nope"}`), []string{
			`1:38: /States/A/Type: Invalid state type "Nope": must be one of Pass, Task, Choice, Wait, Succeed, Fail, Parallel, Map`}},
		{"missing type", wrap("A", `"A":{"End":true}`), []string{
			`1:30: /States/A: These fields are required: [Type]`}},
		{"duplicate nested name", wrap("A", `"A":{"Type":"Parallel","End":true,"Branches":[{"StartAt":"A","States":{"A":{"Type":"Succeed"}}}]}`), []string{
			`1:97: /States/A/Branches/0/States/A: Duplicate state name "A": already defined at /States/A`}},
		{"long name", wrap(strings.Repeat("n", 81), `"`+strings.Repeat("n", 81)+`":{"Type":"Succeed"}`), []string{
			`1:106: /States/` + strings.Repeat("n", 81) + `: State name "` + strings.Repeat("n", 81) + `" is longer than 80 characters`}},
		{"transition out of branch", wrap("P", `"P":{"Type":"Parallel","Next":"Z","Branches":[{"StartAt":"B","States":{"B":{"Type":"Pass","Next":"Z"}}}]},"Z":{"Type":"Succeed"}`), []string{
			`1:96: /States/P/Branches/0/States: Workflow has no terminal state`,
			`1:123: /States/P/Branches/0/States/B/Next: Missing 'Next' target: Z`}},
		{"empty branches", wrap("P", `"P":{"Type":"Parallel","End":true,"Branches":[]}`), []string{
			`1:71: /States/P/Branches: Field 'Branches' must be a non-empty array`}},
		{"version", `{"Version":"2.0","StartAt":"A","States":{"A":{"Type":"Succeed"}}}`, []string{
			`1:12: /Version: Field 'Version' must be "1.0"`}},
		{"timeout", `{"TimeoutSeconds":-1,"StartAt":"A","States":{"A":{"Type":"Succeed"}}}`, []string{
			`1:19: /TimeoutSeconds: Field 'TimeoutSeconds' must be an integer between 0 and 99999999`}},

		// Query language.
		{"downgrade", `{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Pass","QueryLanguage":"JSONPath","End":true}}}`, []string{
			`1:87: /States/A/QueryLanguage: 'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine`}},
		{"jsonpath field in jsonata", `{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Pass","InputPath":"$","End":true}}}`, []string{
			`1:71: /States/A/InputPath: Field 'InputPath' is not supported when QueryLanguage is JSONata`}},
		{"jsonata field in jsonpath", wrap("A", `"A":{"Type":"Pass","Output":{},"End":true}`), []string{
			`1:45: /States/A/Output: Field 'Output' is not supported when QueryLanguage is JSONPath`}},
		{"jsonata valid", `{"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Wait","Seconds":"{% 1 %}","Next":"B"},"B":{"Type":"Choice","Choices":[{"Condition":"{% true %}","Next":"C"}]},"C":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Arguments":"{% $states.input %}","TimeoutSeconds":"{% 3 %}","End":true}}}`, nil},

		// Wait.
		{"wait none", wrap("A", `"A":{"Type":"Wait","End":true}`), []string{
			`1:30: /States/A: One of these fields is required: [Seconds, SecondsPath, Timestamp, TimestampPath]`}},
		{"wait two", wrap("A", `"A":{"Type":"Wait","Seconds":1,"SecondsPath":"$.s","End":true}`), []string{
			`1:57: /States/A/SecondsPath: Only one of these fields may be set: [Seconds, SecondsPath, Timestamp, TimestampPath]`}},
		{"wait negative", wrap("A", `"A":{"Type":"Wait","Seconds":-1,"End":true}`), []string{
			`1:55: /States/A/Seconds: Field 'Seconds' must be an integer between 0 and 99999999`}},
		{"wait fraction", wrap("A", `"A":{"Type":"Wait","Seconds":1.5,"End":true}`), []string{
			`1:55: /States/A/Seconds: Field 'Seconds' must be an integer between 0 and 99999999`}},
		{"wait timestamp", wrap("A", `"A":{"Type":"Wait","Timestamp":"2016-12-05t21:29:29Z","End":true}`), []string{
			`1:57: /States/A/Timestamp: String does not match RFC3339 timestamp`}},

		// Fail.
		{"fail pairs", wrap("A", `"A":{"Type":"Fail","Error":"E","ErrorPath":"$.e","Cause":"c","CausePath":"$.c"}`), []string{
			`1:57: /States/A/ErrorPath: Only one of these fields may be set: [Error, ErrorPath]`,
			`1:87: /States/A/CausePath: Only one of these fields may be set: [Cause, CausePath]`}},

		// Task.
		{"task resource required", wrap("A", `"A":{"Type":"Task","End":true}`), []string{
			`1:30: /States/A: These fields are required: [Resource]`}},
		{"sync", wrap("A", `"A":{"Type":"Task","Resource":"arn:aws:states:::ecs:runTask.sync","End":true}`), []string{
			`1:56: /States/A/Resource: Express state machine does not support '.sync' service integration`}},
		{"sync2", wrap("A", `"A":{"Type":"Task","Resource":"arn:aws:states:::states:startExecution.sync:2","End":true}`), []string{
			`1:56: /States/A/Resource: Express state machine does not support '.sync' service integration`}},
		{"wftt", wrap("A", `"A":{"Type":"Task","Resource":"arn:aws:states:::sqs:sendMessage.waitForTaskToken","End":true}`), []string{
			`1:56: /States/A/Resource: Express state machine does not support '.waitForTaskToken' service integration`}},
		{"activity", wrap("A", `"A":{"Type":"Task","Resource":"arn:aws:states:us-east-1:123456789012:activity:x","End":true}`), []string{
			`1:56: /States/A/Resource: Express state machine does not support Activity ARN`}},
		{"task timeouts", wrap("A", `"A":{"Type":"Task","Resource":"r","TimeoutSeconds":0,"HeartbeatSeconds":5,"HeartbeatSecondsPath":"$.h","End":true}`), []string{
			`1:77: /States/A/TimeoutSeconds: Field 'TimeoutSeconds' must be an integer between 1 and 99999999`,
			`1:100: /States/A/HeartbeatSecondsPath: Only one of these fields may be set: [HeartbeatSeconds, HeartbeatSecondsPath]`}},
		{"heartbeat not below timeout", wrap("A", `"A":{"Type":"Task","Resource":"r","TimeoutSeconds":5,"HeartbeatSeconds":5,"End":true}`), []string{
			`1:98: /States/A/HeartbeatSeconds: Field 'HeartbeatSeconds' must be smaller than 'TimeoutSeconds'`}},

		// Retry and Catch.
		{"retry on pass", wrap("A", `"A":{"Type":"Pass","Retry":[],"End":true}`), []string{
			`1:45: /States/A/Retry: Field 'Retry' is not supported`}},
		{"retrier fields", wrap("A", `"A":{"Type":"Task","Resource":"r","End":true,"Retry":[{"ErrorEquals":[],"IntervalSeconds":0,"MaxAttempts":-1,"BackoffRate":0.5,"MaxDelaySeconds":0,"JitterStrategy":"HALF"}]}`), []string{
			`1:95: /States/A/Retry/0/ErrorEquals: Field 'ErrorEquals' must be a non-empty array`,
			`1:116: /States/A/Retry/0/IntervalSeconds: Field 'IntervalSeconds' must be an integer between 1 and 99999999`,
			`1:132: /States/A/Retry/0/MaxAttempts: Field 'MaxAttempts' must be an integer between 0 and 99999999`,
			`1:149: /States/A/Retry/0/BackoffRate: Field 'BackoffRate' must be a number greater than or equal to 1.0`,
			`1:171: /States/A/Retry/0/MaxDelaySeconds: Field 'MaxDelaySeconds' must be an integer between 1 and 31622400`,
			`1:190: /States/A/Retry/0/JitterStrategy: Field 'JitterStrategy' must be "FULL" or "NONE"`}},
		{"states.all", wrap("A", `"A":{"Type":"Task","Resource":"r","End":true,"Retry":[{"ErrorEquals":["States.ALL","X"]},{"ErrorEquals":["Y"]}]}`), []string{
			`1:96: /States/A/Retry/0/ErrorEquals/0: A retrier with States.ALL must be the last one`,
			`1:96: /States/A/Retry/0/ErrorEquals/0: States.ALL must be the only element of ErrorEquals`}},
		{"catcher", wrap("A", `"A":{"Type":"Task","Resource":"r","End":true,"Catch":[{"ErrorEquals":["States.ALL"],"Next":"Nope"},{"Next":"A"}]}`), []string{
			`1:96: /States/A/Catch/0/ErrorEquals/0: A catcher with States.ALL must be the last one`,
			`1:117: /States/A/Catch/0/Next: Missing 'Next' target: Nope`,
			`1:125: /States/A/Catch/1: These fields are required: [ErrorEquals]`}},
		{"unknown retrier field", wrap("A", `"A":{"Type":"Task","Resource":"r","End":true,"Retry":[{"ErrorEquals":["X"],"Foo":1}]}`), []string{
			`1:101: /States/A/Retry/0/Foo: The field "Foo" is not supported by Step Functions`}},

		// Choice.
		{"choice empty", wrap("A", `"A":{"Type":"Choice","Choices":[]}`), []string{
			`1:25: /States: Workflow has no terminal state`,
			`1:57: /States/A/Choices: Field 'Choices' must be a non-empty array`}},
		{"choice rules", wrap("A", `"A":{"Type":"Choice","Default":"Nope","Choices":[`+
			`{"Variable":"$.x","NumericEquals":"1","Next":"B"},`+
			`{"Variable":"$.x","Next":"B"},`+
			`{"Variable":"$.x","StringEquals":"a","IsNull":true,"Next":"B"},`+
			`{"And":[],"Next":"B"},`+
			`{"Not":{"Variable":"$.x","IsNull":true,"Next":"B"},"Next":"B"},`+
			`{"Variable":"$.t","TimestampEquals":"2020-01-01T00:00:00","Next":"B"},`+
			`{"Variable":"$.t","BooleanEquals":true}`+
			`]},"B":{"Type":"Succeed"}`), []string{
			`1:57: /States/A/Default: Missing 'Next' target: Nope`,
			`1:109: /States/A/Choices/0/NumericEquals: Field 'NumericEquals' must be of type number, got string`,
			`1:125: /States/A/Choices/1: A Choice rule must have exactly one comparison operator or one of And, Or, Not`,
			`1:192: /States/A/Choices/2/IsNull: A Choice rule must have exactly one comparison operator or one of And, Or, Not`,
			`1:225: /States/A/Choices/3/And: Field 'And' must be a non-empty array`,
			`1:279: /States/A/Choices/4/Not/Next: Field 'Next' is only supported on top-level Choice rules`,
			`1:339: /States/A/Choices/5/TimestampEquals: String does not match RFC3339 timestamp`,
			`1:373: /States/A/Choices/6: These fields are required: [Next]`}},

		// Map.
		{"distributed", wrap("M", `"M":{"Type":"Map","End":true,"ItemReader":{},"ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED"},"StartAt":"P","States":{"P":{"Type":"Succeed"}}}}`), []string{
			`1:55: /States/M/ItemReader: Field 'ItemReader' belongs to a Distributed Map: expressd runs inline Map only (an Express engine has no S3 access and no child executions)`,
			`1:114: /States/M/ItemProcessor/ProcessorConfig/Mode: Distributed Map is not supported: expressd runs inline Map only (an Express engine has no S3 access and no child executions)`}},
		{"map both selectors", wrap("M", `"M":{"Type":"Map","End":true,"Parameters":{},"ItemSelector":{},"ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Succeed"}}}}`), []string{
			`1:55: /States/M/Parameters: Fields 'Parameters' and 'ItemSelector' are mutually exclusive; use ItemSelector`}},
		{"map both processors", wrap("M", `"M":{"Type":"Map","End":true,"Iterator":{"StartAt":"P","States":{"P":{"Type":"Succeed"}}},"ItemProcessor":{"StartAt":"Q","States":{"Q":{"Type":"Succeed"}}}}`), []string{
			`1:55: /States/M/Iterator: Fields 'Iterator' and 'ItemProcessor' are mutually exclusive; use ItemProcessor`}},
		{"map no processor", wrap("M", `"M":{"Type":"Map","End":true,"MaxConcurrency":-1}`), []string{
			`1:30: /States/M: These fields are required: [ItemProcessor]`,
			`1:72: /States/M/MaxConcurrency: Field 'MaxConcurrency' must be an integer greater than or equal to 0`}},
		{"items in jsonpath", wrap("M", `"M":{"Type":"Map","End":true,"Items":[],"ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Succeed"}}}}`), []string{
			`1:55: /States/M/Items: Field 'Items' is not supported when QueryLanguage is JSONPath`}},

		// Payload templates and variables.
		{"template", wrap("A", `"A":{"Type":"Pass","Parameters":{"a.$":1,"a":2,"n":[{"b.$":true}]},"Assign":{"x.y":1,"ok.$":"$.v"},"End":true}`), []string{
			`1:65: /States/A/Parameters/a.$: The value for the field 'a.$' must be a valid JSONPath or a valid intrinsic function call`,
			`1:67: /States/A/Parameters/a: Fields 'a.$' and 'a' produce the same field 'a'`,
			`1:85: /States/A/Parameters/n/0/b.$: The value for the field 'b.$' must be a valid JSONPath or a valid intrinsic function call`,
			`1:103: /States/A/Assign/x.y: Invalid variable name "x.y": a variable name is not a path`}},
		{"result is literal", wrap("A", `"A":{"Type":"Pass","Result":{"a.$":1},"End":true}`), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, diags := Load("", []byte(tc.src))
			if diff := cmp.Diff(tc.want, diagStrings(diags), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Load(%s) diagnostics (-want +got):\n%s", tc.src, diff)
			}
		})
	}
}
