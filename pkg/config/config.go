package config

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// MaxFileBytes bounds the size of a config file. Real configs are a few
// kilobytes; a megabyte leaves room for hundreds of machines and lambda
// mappings while keeping a mistaken path (a log file, a binary) from being
// read into memory whole.
const MaxFileBytes = 1 << 20

// MaxTimeout is the longest a machine's executions may run: the Step Functions
// Express execution limit of five minutes.
const MaxTimeout = 5 * time.Minute

// Names of the streams and subject spaces the daemon owns. Trigger streams
// and subjects must stay out of them.
const (
	ResultsStream = "EXPRESSD_RESULTS"
	DLQStream     = "EXPRESSD_DLQ"
	ResultsPrefix = "expressd.results."
)

// reservedSubjects are the subject spaces a trigger must not capture, with
// why: the daemon publishes on them itself (so a stream capturing them
// stores its own traffic as new events, each running an execution that
// publishes again: `_INBOX.>` once stored 776,000 events in 15 s), or NATS
// uses them internally.
var reservedSubjects = []struct{ subject, why string }{
	{"expressd.>", "the daemon's own subjects (results, DLQ, sync requests, logs)"},
	{"_INBOX.>", "the reply subjects of NATS requests (PubAcks, task replies)"},
	{"$JS.>", "the JetStream API, acks and advisories"},
	{"$JSC.>", "JetStream's internal subjects"},
	{"$KV.>", "JetStream key-value buckets"},
	{"$O.>", "JetStream object stores"},
	{"$SYS.>", "the NATS system account"},
	{"$MQTT.>", "the MQTT listener's internal subjects"},
	{"$NRG.>", "JetStream cluster (Raft) traffic"},
	{"_R_.>", "NATS service import replies"},
}

// Config is the configuration of `expressd serve`: the typed tree of the
// YAML file. Build one with [Load] (or [Parse], [Config.ApplyDefaults] and
// [Config.Validate]). A Config is not modified by the daemon after Load
// returns, so it is safe for concurrent reads.
type Config struct {
	NATS         NATS
	HTTP         HTTP
	Region       string // AWS region used in ARNs
	Account      string // AWS account id used in ARNs
	Machines     []Machine
	Integrations Integrations
	Logging      Logging
	Shutdown     Shutdown
	Telemetry    Telemetry

	// File is the path the config was loaded from. Relative input files
	// (definitions, creds, nkey seeds, TLS files) are relative to its
	// directory.
	File string

	pos      map[string]position // value positions by path, filled by Parse
	resolved bool                // input paths already joined with File's directory
}

// NATS says which NATS server the daemon uses: an embedded one (Embedded
// set) or an external server or cluster (URL set). They are mutually
// exclusive; the other fields only apply to an external server, except Name.
type NATS struct {
	Embedded *Embedded
	URL      string // comma-separated server URLs: nats://h1:4222,nats://h2:4222
	User     string
	Password Secret
	Token    Secret
	Creds    string // path of a .creds file (JWT + nkey seed)
	NKey     string // path of an nkey seed file
	TLS      *TLS
	Name     string // client connection name
	Replicas int    // replicas of the streams the daemon creates
}

// Embedded configures the in-process nats-server with JetStream.
type Embedded struct {
	Listen   string // host:port of the client listener
	StoreDir string // JetStream file storage; relative to the working directory
}

// TLS configures the client side of a TLS connection to an external server.
type TLS struct {
	CA         string // PEM file of the CAs that sign the server certificate
	Cert       string // client certificate (PEM); needs Key
	Key        string // client private key (PEM); needs Cert
	ServerName string // overrides the name checked in the server certificate
}

// HTTP configures the daemon's HTTP listener (/healthz, /readyz, /metrics).
type HTTP struct {
	Listen string // host:port; "" or "off" disables the listener
}

// Enabled reports whether the HTTP listener should run.
func (h HTTP) Enabled() bool { return h.Listen != "" && h.Listen != ListenOff }

// ListenOff is the http.listen value that disables the listener.
const ListenOff = "off"

// Machine is one state machine the daemon runs.
type Machine struct {
	Name        string
	Definition  string   // path of the ASL definition
	Trigger     *Trigger // nil: the machine only serves sync requests
	Concurrency int      // max in-flight executions (= consumer MaxAckPending)
	// SyncConcurrency bounds the machine's sync executions in flight.
	SyncConcurrency int
	Results         Results
	Timeout         time.Duration // execution cap, at most [MaxTimeout]
	Logging         *Logging      // overrides the top-level logging key by key; nil inherits it
}

// Trigger binds a machine to the subjects of a JetStream stream.
type Trigger struct {
	Stream     string
	Subjects   []string
	Consumer   string // durable pull consumer shared by every expressd process
	MaxDeliver int
	AckWait    time.Duration
}

// Results says where a machine's result messages are published.
type Results struct {
	Subject string
}

// Integrations configures the task integrations.
type Integrations struct {
	Lambda Lambda
	HTTP   HTTPInvoke
	NATS   NATSRequest
}

// Lambda maps Lambda function names (from arn:aws:lambda:…:function:NAME or
// the FunctionName of arn:aws:states:::lambda:invoke) to NATS or HTTP
// targets.
type Lambda struct {
	Functions map[string]LambdaTarget
	// SubjectPrefix, when set, routes an unmapped function NAME to a NATS
	// request on SubjectPrefix+NAME. When empty, unmapped functions are an
	// error.
	SubjectPrefix string
}

// LambdaTarget is where a Lambda function call goes: exactly one of Subject
// (NATS request-reply) and URL (HTTP POST) is set.
type LambdaTarget struct {
	Subject string
	URL     string
}

// HTTPInvoke configures arn:aws:states:::http:invoke.
type HTTPInvoke struct {
	Timeout time.Duration
}

// NATSRequest configures arn:aws:states:::nats:request.
type NATSRequest struct {
	RequestTimeout time.Duration // used when a task sets no TimeoutSeconds
}

// Level is an Express execution log level.
type Level string

// The log levels of Step Functions Express.
const (
	LevelAll   Level = "ALL"
	LevelError Level = "ERROR"
	LevelFatal Level = "FATAL"
	LevelOff   Level = "OFF"
)

// Logging configures execution logs.
type Logging struct {
	Level                Level
	IncludeExecutionData bool
	Sinks                []Sink

	includeSet bool // IncludeExecutionData was written (matters for machine overrides)
}

// Sink types.
const (
	SinkStdout  = "stdout"
	SinkFile    = "file"
	SinkNATS    = "nats"
	SinkDiscard = "discard"
)

// File sink compressions.
const (
	CompressionNone = "none"
	CompressionGzip = "gzip"
	CompressionZstd = "zstd"
)

// Sink is one execution log destination. Which fields apply depends on Type.
type Sink struct {
	Type   string // SinkStdout, SinkFile, SinkNATS or SinkDiscard
	Filter string // jq expression applied to each record; "" keeps every record
	Buffer int    // records queued before new ones are dropped

	Path        string // file: relative to the working directory
	Compression string // file: CompressionNone, CompressionGzip or CompressionZstd
	MaxBytes    Size   // file: rotate when a file reaches this size
	MaxFiles    int    // file: rotated files kept

	Subject string // nats: "" means expressd.logs.<machine>
	Stream  string // nats: publish with JetStream into this stream; "" is core NATS
}

// Telemetry configures metrics and traces.
type Telemetry struct {
	OTLPEndpoint string // OTLP/HTTP endpoint for traces; "" = no trace export
	ServiceName  string
}

// Shutdown configures graceful shutdown.
type Shutdown struct {
	DrainTimeout time.Duration
}

// Load reads the config file at path, decodes it strictly, applies defaults
// and validates it. The error is an [ErrorList] with every problem when the
// file is readable but wrong.
func Load(path string) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("config: read %s: %w", path, err)
	}
	if len(data) > MaxFileBytes {
		return nil, fmt.Errorf("config: %s is larger than %d bytes", path, MaxFileBytes)
	}
	c, err := Parse(path, data)
	if err != nil {
		return nil, err
	}
	c.ApplyDefaults()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// Machine returns the machine called name, or nil.
func (c *Config) Machine(name string) *Machine {
	for i := range c.Machines {
		if c.Machines[i].Name == name {
			return &c.Machines[i]
		}
	}
	return nil
}

// EffectiveLogging returns the logging config of m: global overridden key by
// key by m.Logging (a level, sinks or include_execution_data written for the
// machine win; keys left out are inherited).
func (m *Machine) EffectiveLogging(global Logging) Logging {
	l := global
	if m.Logging == nil {
		return l
	}
	if m.Logging.Level != "" {
		l.Level = m.Logging.Level
	}
	if m.Logging.includeSet || m.Logging.IncludeExecutionData {
		l.IncludeExecutionData = m.Logging.IncludeExecutionData
		l.includeSet = true
	}
	if m.Logging.Sinks != nil {
		l.Sinks = m.Logging.Sinks
	}
	return l
}

// resolve returns p joined with the config file's directory when p is a
// relative input path that has not been resolved yet.
func (c *Config) resolve(p string) string {
	if c.resolved || p == "" || filepath.IsAbs(p) || c.File == "" {
		return p
	}
	return filepath.Join(filepath.Dir(c.File), p)
}
