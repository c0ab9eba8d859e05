// Package config is the typed configuration of `expressd serve`: the
// [Config] tree, a strict YAML decoder, defaults, validation and the
// generated reference.
//
// One spec table (spec.go) lists every key with its YAML name, shape,
// default, documentation, example and per-key rules. It drives [Parse]
// (a walk of the yaml.Node tree that reports unknown and duplicate keys,
// wrong types, durations without a unit and bad sizes, each with its
// line:col), [Config.ApplyDefaults], [Config.Validate] (which adds the
// rules that relate keys), [Config.String] and [Reference], so the docs
// cannot drift from the code. [Load] does all of it for a file. Every
// problem is reported at once as an [ErrorList], one per line:
//
//	configs/x.yaml:12:5: machines[0].trigger.ack_wait: must be at least 1s
//
// Secrets ([Secret] fields and passwords in URLs) never appear in messages,
// in String/GoString or in [Config.Redacted].
//
// Place in the pipeline: cmd/expressd calls Load and hands the parts of the
// Config to the registries, the engine and engine/natsjs. config imports
// only the standard library and go.yaml.in/yaml/v3; it must not import any
// other expressd package (the sinks package compiles the jq filters, the
// task packages resolve the lambda mapping, asl checks the definitions).
//
// Concurrency: Parse, Load and Reference are safe for concurrent use. A
// Config is not safe for concurrent modification; once ApplyDefaults has
// run it is only read, so concurrent reads are safe.
package config
