package config

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/expressd/expressd/pkg/sinks"
)

// Config keys (STYLE: field names are package constants).
const (
	fieldNATS                 = "nats"
	fieldEmbedded             = "embedded"
	fieldListen               = "listen"
	fieldStoreDir             = "store_dir"
	fieldURL                  = "url"
	fieldUser                 = "user"
	fieldPassword             = "password"
	fieldToken                = "token"
	fieldCreds                = "creds"
	fieldNKey                 = "nkey"
	fieldTLS                  = "tls"
	fieldCA                   = "ca"
	fieldCert                 = "cert"
	fieldKey                  = "key"
	fieldServerName           = "server_name"
	fieldName                 = "name"
	fieldHTTP                 = "http"
	fieldRegion               = "region"
	fieldAccount              = "account"
	fieldMachines             = "machines"
	fieldDefinition           = "definition"
	fieldTrigger              = "trigger"
	fieldStream               = "stream"
	fieldSubjects             = "subjects"
	fieldConsumer             = "consumer"
	fieldMaxDeliver           = "max_deliver"
	fieldAckWait              = "ack_wait"
	fieldConcurrency          = "concurrency"
	fieldSyncConcurrency      = "sync_concurrency"
	fieldResults              = "results"
	fieldSubject              = "subject"
	fieldTimeout              = "timeout"
	fieldLogging              = "logging"
	fieldIntegrations         = "integrations"
	fieldLambda               = "lambda"
	fieldFunctions            = "functions"
	fieldSubjectPrefix        = "subject_prefix"
	fieldRequestTimeout       = "request_timeout"
	fieldLevel                = "level"
	fieldIncludeExecutionData = "include_execution_data"
	fieldSinks                = "sinks"
	fieldType                 = "type"
	fieldFilter               = "filter"
	fieldBuffer               = "buffer"
	fieldPath                 = "path"
	fieldCompression          = "compression"
	fieldMaxBytes             = "max_bytes"
	fieldMaxFiles             = "max_files"
	fieldShutdown             = "shutdown"
	fieldDrainTimeout         = "drain_timeout"
	fieldTelemetry            = "telemetry"
	fieldOTLPEndpoint         = "otlp_endpoint"
	fieldServiceName          = "service_name"
	fieldReplicas             = "replicas"
)

// Limits with their reasons.
const (
	// maxConcurrency bounds a machine's in-flight executions (the
	// consumer's MaxAckPending). Each in-flight execution holds its event
	// and state in memory; a million 1 KiB events is already a gigabyte.
	maxConcurrency = 1_000_000
)

var (
	machineNamePattern  = regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`)
	natsNamePattern     = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
	functionPattern     = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	regionPattern       = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)
	accountPattern      = regexp.MustCompile(`^[0-9]{12}$`)
	otlpEndpointPattern = regexp.MustCompile(`^https?://[^\s]+$`)
)

// sinkSpec is built from the sink plugins' own Specs (sinks.BuiltinSpecs):
// each key's type, default, documentation, enumeration and range come
// from the plugin that reads it; a key applies to the sink types whose Spec
// lists it. Only where the value is stored is declared here (sinkSlots).
var sinkSpec = buildSinkSpec(sinks.BuiltinSpecs())

// sinkSlots binds each sink key to its field of Sink. A plugin key without
// a slot is a programming error caught at start (and by a test).
var sinkSlots = map[string]func(field) *field{
	sinks.FieldType:   func(f field) *field { return scalar(fieldType, func(s *Sink) *string { return &s.Type }, f) },
	sinks.FieldFilter: func(f field) *field { return scalar(fieldFilter, func(s *Sink) *string { return &s.Filter }, f) },
	sinks.FieldBuffer: func(f field) *field { return scalar(fieldBuffer, func(s *Sink) *int { return &s.Buffer }, f) },
	sinks.FieldPath:   func(f field) *field { return scalar(fieldPath, func(s *Sink) *string { return &s.Path }, f) },
	sinks.FieldCompression: func(f field) *field {
		return scalar(fieldCompression, func(s *Sink) *string { return &s.Compression }, f)
	},
	sinks.FieldMaxBytes: func(f field) *field { return scalar(fieldMaxBytes, func(s *Sink) *Size { return &s.MaxBytes }, f) },
	sinks.FieldMaxFiles: func(f field) *field { return scalar(fieldMaxFiles, func(s *Sink) *int { return &s.MaxFiles }, f) },
	sinks.FieldSubject:  func(f field) *field { return scalar(fieldSubject, func(s *Sink) *string { return &s.Subject }, f) },
	sinks.FieldStream:   func(f field) *field { return scalar(fieldStream, func(s *Sink) *string { return &s.Stream }, f) },
}

func buildSinkSpec(specs map[string][]sinks.Field) *object {
	types := make([]string, 0, len(specs))
	for t := range specs {
		types = append(types, t)
	}
	sort.Strings(types)
	// Keys in the order the plugins list them, each with the types that
	// read it; the first plugin (by name) to list a key documents it.
	var order []string
	first := map[string]sinks.Field{}
	readers := map[string][]string{}
	for _, t := range types {
		for _, f := range specs[t] {
			if _, seen := first[f.Name]; !seen {
				first[f.Name] = f
				order = append(order, f.Name)
			}
			readers[f.Name] = append(readers[f.Name], t)
		}
	}
	sort.SliceStable(order, func(a, b int) bool { return len(readers[order[a]]) > len(readers[order[b]]) })
	o := &object{doc: "One execution log destination. `type` picks the sink; the other keys apply to the types listed with them."}
	for _, name := range order {
		sf := first[name]
		slot, ok := sinkSlots[name]
		if !ok {
			panic("config: sink key " + name + " has no field in config.Sink")
		}
		f := field{doc: sf.Doc, def: sf.Default, defNote: sf.DefaultNote, example: sf.Example,
			required: sf.Required, notEmpty: sf.NotEmpty, enum: sf.Enum, intMin: sf.Min, intMax: sf.Max}
		switch sf.Format {
		case sinks.FormatSubject:
			f.check, f.checkDoc = checkLiteralSubject, "a NATS subject without wildcards"
		case sinks.FormatName:
			f.pattern, f.patternDoc = natsNamePattern, "letters, digits, _ and -"
		}
		if name == sinks.FieldType {
			f.enum = types
			f.doc = "Sink type, the name of a sink plugin: `" + strings.Join(types, "`, `") + "` (stdout: JSON lines on standard output; file: JSON lines, rotated by size, optionally compressed; nats: one message per record; discard: nothing). Each key below says the types it applies to."
			f.example = SinkFile
		} else if len(readers[name]) < len(types) {
			f.sinkTypes = readers[name]
		}
		o.fields = append(o.fields, slot(f))
	}
	o.applies = func(parent any, f *field) (bool, string) {
		if f.sinkTypes == nil {
			return true, ""
		}
		t := parent.(*Sink).Type
		if _, known := specs[t]; !known {
			return false, "" // the type itself is reported
		}
		if slices.Contains(f.sinkTypes, t) {
			return true, ""
		}
		return false, fmt.Sprintf("only applies to sink type %s, not %s", strings.Join(f.sinkTypes, ", "), t)
	}
	return o
}

var loggingSpec = &object{
	doc: "Execution logs in the CloudWatch Logs format of Express executions.",
	fields: []*field{
		scalar(fieldLevel, func(l *Logging) *Level { return &l.Level }, field{
			doc: "Log level as in Step Functions Express: `ALL` (every event), `ERROR` (failures only), `FATAL` (execution failures only) or `OFF`.",
			def: string(LevelError), enum: []string{string(LevelAll), string(LevelError), string(LevelFatal), string(LevelOff)},
			example: string(LevelAll),
		}),
		scalar(fieldIncludeExecutionData, func(l *Logging) *bool { return &l.IncludeExecutionData }, field{
			doc: "Include input and output (as JSON strings) in the records' `details`.",
			def: "false", example: "true",
		}),
		list(fieldSinks, func(l *Logging) *[]Sink { return &l.Sinks }, sinkSpec, field{
			doc:     "Where records go. An explicit empty list sends them nowhere.",
			def:     "[{type: stdout}]",
			example: "[{type: stdout}, {type: file, path: ./logs/expressd.jsonl.zst, compression: zstd}]",
		}),
	},
}

var spec = &object{
	doc: "The config file of `expressd serve`.",
	fields: []*field{
		obj(fieldNATS, func(c *Config) *NATS { return &c.NATS }, natsSpec, field{
			doc: "The NATS server: `embedded` (an in-process nats-server with JetStream; the default) or `url` (an external server or cluster). They are mutually exclusive. The authentication and TLS keys apply to `url` only.",
		}),
		obj(fieldHTTP, func(c *Config) *HTTP { return &c.HTTP }, httpSpec, field{
			doc: "The HTTP listener: /healthz, /readyz and /metrics.",
		}),
		scalar(fieldRegion, func(c *Config) *string { return &c.Region }, field{
			doc: "AWS region used in execution ARNs.", def: "us-east-1",
			pattern: regionPattern, patternDoc: "an AWS region such as us-east-1", example: "eu-west-1",
		}),
		scalar(fieldAccount, func(c *Config) *string { return &c.Account }, field{
			doc: "AWS account id used in execution ARNs.", def: `"123456789012"`,
			pattern: accountPattern, patternDoc: "12 digits", example: `"123456789012"`,
		}),
		list(fieldMachines, func(c *Config) *[]Machine { return &c.Machines }, machineSpec, field{
			doc: "The state machines to run. At least one.", required: true,
		}),
		obj(fieldIntegrations, func(c *Config) *Integrations { return &c.Integrations }, integrationsSpec, field{
			doc: "Task integrations.",
		}),
		obj(fieldLogging, func(c *Config) *Logging { return &c.Logging }, loggingSpec, field{
			doc: "Execution logs of every machine (a machine's own `logging` overrides it key by key).",
		}),
		obj(fieldShutdown, func(c *Config) *Shutdown { return &c.Shutdown }, shutdownSpec, field{
			doc: "Graceful shutdown on SIGINT/SIGTERM.",
		}),
		obj(fieldTelemetry, func(c *Config) *Telemetry { return &c.Telemetry }, telemetrySpec, field{
			doc: "Metrics and traces. Prometheus metrics are always served at /metrics on `http.listen`; traces are exported only when `otlp_endpoint` is set.",
		}),
	},
}

var telemetrySpec = &object{
	doc: "Telemetry.",
	fields: []*field{
		scalar(fieldOTLPEndpoint, func(t *Telemetry) *string { return &t.OTLPEndpoint }, field{
			doc:     "OTLP/HTTP endpoint that receives a span per execution and per task call (W3C trace context is taken from event headers and passed on to NATS and HTTP task calls). Empty: no trace export.",
			pattern: otlpEndpointPattern, patternDoc: "an http:// or https:// URL", example: "http://127.0.0.1:4318",
		}),
		scalar(fieldServiceName, func(t *Telemetry) *string { return &t.ServiceName }, field{
			doc: "service.name of the exported spans and metrics.", def: "expressd", example: "expressd-edge",
		}),
	},
}

var natsSpec = &object{
	doc: "NATS connection.",
	fields: []*field{
		optional(fieldEmbedded, func(n *NATS) **Embedded { return &n.Embedded }, embeddedSpec, field{
			doc:     "Run an in-process nats-server with JetStream (file storage). `embedded:` with no keys takes the defaults.",
			defNote: "used with its defaults when `url` is not set",
		}),
		scalar(fieldURL, func(n *NATS) *string { return &n.URL }, field{
			doc:   "External server or cluster: comma-separated URLs with scheme nats, tls, ws or wss.",
			check: checkURLs, checkDoc: "comma-separated nats://, tls://, ws:// or wss:// URLs",
			example: "nats://h1:4222,nats://h2:4222",
		}),
		scalar(fieldUser, func(n *NATS) *string { return &n.User }, field{
			doc: "User name; needs `password`.", example: "expressd",
		}),
		scalar(fieldPassword, func(n *NATS) *Secret { return &n.Password }, field{
			doc: "Password; needs `user`. Never printed.", secret: true, example: "s3cret",
		}),
		scalar(fieldToken, func(n *NATS) *Secret { return &n.Token }, field{
			doc: "Authentication token. Never printed.", secret: true, example: "t0ken",
		}),
		scalar(fieldCreds, func(n *NATS) *string { return &n.Creds }, field{
			doc: "Credentials file (user JWT and nkey seed), relative to the config file.", file: true,
			example: "./nats/expressd.creds",
		}),
		scalar(fieldNKey, func(n *NATS) *string { return &n.NKey }, field{
			doc: "File holding the nkey seed, relative to the config file. Give the path, not the seed itself.", file: true, noEcho: true,
			example: "./nats/expressd.nk",
		}),
		optional(fieldTLS, func(n *NATS) **TLS { return &n.TLS }, tlsSpec, field{
			doc: "TLS towards the external server.",
		}),
		scalar(fieldName, func(n *NATS) *string { return &n.Name }, field{
			doc: "Client connection name shown in the server's monitoring.", def: "expressd", example: "expressd-eu1",
		}),
		scalar(fieldReplicas, func(n *NATS) *int { return &n.Replicas }, field{
			doc: "Replicas of the streams expressd creates when they are absent (trigger streams, EXPRESSD_RESULTS, EXPRESSD_DLQ): 3 on a cluster so that losing a node loses nothing. Existing streams are used as they are.",
			def: "1", intMin: 1, intMax: 5, example: "3",
		}),
	},
}

var embeddedSpec = &object{
	doc: "Embedded nats-server.",
	fields: []*field{
		scalar(fieldListen, func(e *Embedded) *string { return &e.Listen }, field{
			doc: "Client listener (host:port). Keep it on loopback unless the server is secured.",
			def: "127.0.0.1:4222", check: checkHostPort, checkDoc: "host:port", example: "127.0.0.1:4222",
		}),
		scalar(fieldStoreDir, func(e *Embedded) *string { return &e.StoreDir }, field{
			doc: "JetStream storage directory, relative to the working directory.", def: "./data/nats",
			example: "/var/lib/expressd/nats",
		}),
	},
}

var tlsSpec = &object{
	doc: "Client TLS.",
	fields: []*field{
		scalar(fieldCA, func(t *TLS) *string { return &t.CA }, field{
			doc: "PEM file of the CAs that sign the server certificate, relative to the config file.", file: true, example: "./tls/ca.pem",
		}),
		scalar(fieldCert, func(t *TLS) *string { return &t.Cert }, field{
			doc: "Client certificate (PEM), relative to the config file; needs `key`.", file: true, example: "./tls/client.pem",
		}),
		scalar(fieldKey, func(t *TLS) *string { return &t.Key }, field{
			doc: "Client private key (PEM), relative to the config file; needs `cert`.", file: true, example: "./tls/client-key.pem",
		}),
		scalar(fieldServerName, func(t *TLS) *string { return &t.ServerName }, field{
			doc: "Server name checked against the server certificate.", defNote: "the host of the URL", example: "nats.internal",
		}),
	},
}

var httpSpec = &object{
	doc: "HTTP listener.",
	fields: []*field{
		scalar(fieldListen, func(h *HTTP) *string { return &h.Listen }, field{
			doc: "Address (host:port) of /healthz, /readyz and /metrics. `\"\"` or `off` disables the listener.",
			def: "127.0.0.1:8080", check: checkListen, checkDoc: "host:port, \"\" or off", example: "0.0.0.0:8080",
		}),
	},
}

var machineSpec = &object{
	doc: "A state machine.",
	fields: []*field{
		scalar(fieldName, func(m *Machine) *string { return &m.Name }, field{
			doc: "Machine name, unique; used in ARNs, subjects (expressd.sync.<name>) and the results subject.", required: true,
			pattern: machineNamePattern, patternDoc: "1-80 characters of A-Z a-z 0-9 _ -", example: "telemetry",
		}),
		scalar(fieldDefinition, func(m *Machine) *string { return &m.Definition }, field{
			doc: "ASL definition file (.asl.json or .asl.yaml), relative to the config file.", required: true, file: true,
			example: "machines/telemetry.asl.json",
		}),
		optional(fieldTrigger, func(m *Machine) **Trigger { return &m.Trigger }, triggerSpec, field{
			doc: "JetStream trigger: every event on the subjects runs one execution. Without it the machine serves only sync requests on expressd.sync.<name>.",
		}),
		scalar(fieldConcurrency, func(m *Machine) *int { return &m.Concurrency }, field{
			doc: "Maximum in-flight executions of this machine per consumer (the consumer's MaxAckPending).",
			def: "1024", intMin: 1, intMax: maxConcurrency, example: "4096",
		}),
		scalar(fieldSyncConcurrency, func(m *Machine) *int { return &m.SyncConcurrency }, field{
			doc: "Maximum sync executions (requests on expressd.sync.<name>) of this machine in flight in one process; a request beyond it is answered at once with ExecutionLimitExceeded.",
			def: "1024", intMin: 1, intMax: maxConcurrency, example: "256",
		}),
		obj(fieldResults, func(m *Machine) *Results { return &m.Results }, resultsSpec, field{
			doc: "Where result messages go (stored in the EXPRESSD_RESULTS stream).",
		}),
		scalar(fieldTimeout, func(m *Machine) *time.Duration { return &m.Timeout }, field{
			doc: "Execution cap; an execution still running ends TIMED_OUT with States.Timeout. At most 5m, the Express limit.",
			def: "5m", positive: true, durMax: MaxTimeout, example: "30s",
		}),
		optional(fieldLogging, func(m *Machine) **Logging { return &m.Logging }, loggingSpec, field{
			doc:     "Logging for this machine, with the keys of the top-level `logging`; keys it sets override the top-level ones, keys it leaves out are inherited.",
			inherit: true, defNote: "the top-level logging",
		}),
	},
}

var triggerSpec = &object{
	doc: "JetStream trigger.",
	fields: []*field{
		scalar(fieldStream, func(t *Trigger) *string { return &t.Stream }, field{
			doc: "Stream holding the events; created (file storage) when absent.", required: true,
			pattern: natsNamePattern, patternDoc: "letters, digits, _ and -", example: "TELEMETRY",
		}),
		scalar(fieldSubjects, func(t *Trigger) *[]string { return &t.Subjects }, field{
			doc: "Subjects of the events (wildcards allowed). They must not capture traffic the daemon or NATS publish themselves: expressd.>, _INBOX.>, $JS.>, $KV.>, $O.>, $SYS.> and the like, Lambda target subjects, nats log sink subjects.", required: true,
			check: checkSubject, checkDoc: "a NATS subject", example: `["iot.telemetry.>"]`,
		}),
		scalar(fieldConsumer, func(t *Trigger) *string { return &t.Consumer }, field{
			doc: "Durable pull consumer, shared by every expressd process running this machine.", defNote: "expressd-<name>",
			pattern: natsNamePattern, patternDoc: "letters, digits, _ and -", example: "expressd-telemetry",
		}),
		scalar(fieldMaxDeliver, func(t *Trigger) *int { return &t.MaxDeliver }, field{
			doc: "Runs of an event without a stored result before it goes to the DLQ (expressd.dlq.<name>): the next delivery is copied to the DLQ instead of run. The consumer itself redelivers without limit.",
			def: "5", intMin: 1, intMax: 1 << 31, example: "10",
		}),
		scalar(fieldAckWait, func(t *Trigger) *time.Duration { return &t.AckWait }, field{
			doc: "Time an unacked delivery waits before it is redelivered; long executions send in-progress acks before it runs out. Short values make recovery after a crash fast.",
			def: "30s", durMin: time.Second, example: "10s",
		}),
	},
}

var resultsSpec = &object{
	doc: "Results.",
	fields: []*field{
		scalar(fieldSubject, func(r *Results) *string { return &r.Subject }, field{
			doc:     "Subject of the result messages; must be under expressd.results. so the EXPRESSD_RESULTS stream stores them.",
			defNote: "expressd.results.<name>", check: checkResultsSubject, checkDoc: "a subject under expressd.results.",
			example: "expressd.results.telemetry",
		}),
	},
}

var integrationsSpec = &object{
	doc: "Task integrations.",
	fields: []*field{
		obj(fieldLambda, func(i *Integrations) *Lambda { return &i.Lambda }, lambdaSpec, field{
			doc: "Lambda tasks (arn:aws:states:::lambda:invoke and legacy arn:aws:lambda:REGION:ACCOUNT:function:NAME) mapped to NATS or HTTP.",
		}),
		obj(fieldHTTP, func(i *Integrations) *HTTPInvoke { return &i.HTTP }, httpInvokeSpec, field{
			doc: "arn:aws:states:::http:invoke.",
		}),
		obj(fieldNATS, func(i *Integrations) *NATSRequest { return &i.NATS }, natsRequestSpec, field{
			doc: "arn:aws:states:::nats:request.",
		}),
	},
}

var lambdaSpec = &object{
	doc: "Lambda mapping.",
	fields: []*field{
		mapping(fieldFunctions, func(l *Lambda) *map[string]LambdaTarget { return &l.Functions }, lambdaTargetSpec, field{
			doc:     "Function NAME → target. NAME is the bare function name: from arn:aws:lambda:…:function:NAME[:alias] or a FunctionName that is a name, NAME:alias or an ARN.",
			example: "{price-lookup: {subject: svc.price}, charge-card: {url: \"http://127.0.0.1:9000/charge\"}}",
		}),
		scalar(fieldSubjectPrefix, func(l *Lambda) *string { return &l.SubjectPrefix }, field{
			doc:   "When set, a function without a mapping is requested on <subject_prefix><NAME>. When empty, a definition naming an unmapped function (a function ARN as Resource, or a literal FunctionName) is rejected when it is loaded; a FunctionName computed at run time fails that execution with Lambda.ResourceNotFoundException.",
			check: checkSubjectPrefix, checkDoc: "a subject prefix without wildcards", example: "lambda.",
		}),
	},
}

var lambdaTargetSpec = &object{
	doc: "Lambda target: exactly one of subject and url.",
	fields: []*field{
		scalar(fieldSubject, func(t *LambdaTarget) *string { return &t.Subject }, field{
			doc: "NATS request-reply subject; the payload is the function input.", check: checkLiteralSubject,
			checkDoc: "a NATS subject without wildcards", example: "svc.price",
		}),
		scalar(fieldURL, func(t *LambdaTarget) *string { return &t.URL }, field{
			doc: "HTTP(S) URL the function input is POSTed to.", check: checkHTTPURL, checkDoc: "an http:// or https:// URL",
			example: "http://127.0.0.1:9000/charge",
		}),
	},
}

var httpInvokeSpec = &object{
	doc: "HTTP task.",
	fields: []*field{
		scalar(fieldTimeout, func(h *HTTPInvoke) *time.Duration { return &h.Timeout }, field{
			doc: "Socket timeout of an HTTP task call (AWS uses 60 seconds).", def: "60s", positive: true, example: "10s",
		}),
	},
}

var natsRequestSpec = &object{
	doc: "NATS request task.",
	fields: []*field{
		scalar(fieldRequestTimeout, func(n *NATSRequest) *time.Duration { return &n.RequestTimeout }, field{
			doc: "Reply timeout of a nats:request task without TimeoutSeconds.", def: "30s", positive: true, example: "5s",
		}),
	},
}

var shutdownSpec = &object{
	doc: "Shutdown.",
	fields: []*field{
		scalar(fieldDrainTimeout, func(s *Shutdown) *time.Duration { return &s.DrainTimeout }, field{
			doc: "How long in-flight executions may run after a signal before the rest are nak'ed for redelivery.",
			def: "30s", positive: true, example: "1m",
		}),
	},
}
