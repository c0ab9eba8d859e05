// Package asl decodes and validates Amazon States Language definitions.
//
// Its job is the first phase of the expressd pipeline: turn a definition
// file (JSON, or YAML) into a [StateMachine] and report every problem in it
// at once, each as a [Diagnostic] rendered "file:line:col: /json/pointer:
// message" with AWS wording and codes where AWS has them. [Decode] is a
// strict decoder with positions (syntax, unknown fields, field types);
// [Validate] checks structure and semantics (transitions, reachability,
// terminal states, fields per state type and query language, ranges,
// Retry/Catch, Choice rules, payload template keys, Express restrictions);
// [Load] does both. Raw payload templates stay as position-carrying [Node]
// trees for the compiler.
//
// Place in the pipeline: definition text → asl → pkg/compile → pkg/vm.
// Paths, intrinsic functions and JSONata expressions are only checked for
// their JSON shape here; pkg/compile parses them. So asl imports only
// pkg/value, the standard library and go.yaml.in/yaml/v3; it must not import
// pkg/jsonpath, pkg/intrinsic, pkg/jsonata, pkg/compile or anything later.
//
// Concurrency: Decode, Validate and Load are safe for concurrent use. A
// decoded StateMachine (and its States, Nodes, Retriers …) is never
// modified after Decode returns, so it is safe for concurrent reads.
//
// Inputs are bounded: see [MaxDefinitionBytes], [MaxStates],
// [MaxNestingDepth] and [MaxStateNameLength].
package asl
