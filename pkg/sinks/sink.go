package sinks

import (
	"context"
	"errors"
)

// Sink receives execution log records in batches.
//
// Write may be called concurrently up to the maxInFlight its [Plugin]
// declared. The batch slice belongs to the caller and is reused after Write
// returns: a sink may keep the Records (they are immutable) but not the
// slice. Write returns an error wrapping [ErrNotConnected] to ask the
// [Dispatcher] to retry the same batch later (a reconnect is under way);
// any other error is retried a few times and then the batch is dropped.
// A retried batch may be written twice when a sink fails half-way, so
// delivery is at least once.
//
// Close flushes buffered data and releases the sink. It is called once,
// after the last Write has returned, and must respect ctx.
type Sink interface {
	Write(ctx context.Context, batch []Record) error
	Close(ctx context.Context) error
}

// FilterCounter is implemented by sinks whose filter may drop records (the
// built-in ones, through their [Encoder]): the dispatcher counts those as
// filtered, not written.
type FilterCounter interface {
	TakeFiltered() int64
}

// ErrNotConnected is returned (possibly wrapped) by [Sink.Write] when the
// destination is temporarily unreachable; the batch is retried with back-off
// until the sink recovers or the [Dispatcher] is closed.
var ErrNotConnected = errors.New("sinks: not connected")

// Options configures one sink. It mirrors the flat config.Sink so that
// plugins do not depend on the config package: cmd/expressd maps one to the
// other. Which fields apply depends on Type; zero values mean the defaults
// listed in each plugin's Spec.
type Options struct {
	Type   string // plugin name: "stdout", "file", "discard", "nats", …
	Filter string // jq expression; "" writes every record as is
	Buffer int    // queue length in the Dispatcher (0: DefaultBuffer)

	Path        string // file: the current file; rotated files get .1, .2, …
	Compression string // file: CompressionNone, CompressionGzip or CompressionZstd
	MaxBytes    int64  // file: rotate before a file exceeds this many uncompressed bytes
	MaxFiles    int    // file: rotated files kept besides the current one

	Subject string // nats: "" means expressd.logs.<machine>
	Stream  string // nats: publish with JetStream into this existing stream

	// Machine is the state machine the sink serves when it was configured
	// per machine, "" for the global sinks. The nats sink uses it for its
	// default subject.
	Machine string
}

// Plugin is a sink implementation as a value: its type name, the config
// fields it reads (the single source for parsing, validation and the
// reference docs) and its constructor.
//
// New builds a sink from o and returns the number of Writes the sink
// accepts concurrently (maxInFlight, at least 1). Invalid options, an
// invalid filter or an unreachable destination are errors at New, never at
// the first Write.
type Plugin struct {
	Name string
	Spec []Field
	New  func(o Options) (Sink, int, error)
}

// Field describes one config key a plugin reads: the single source of its
// parsing, validation and reference docs (pkg/config builds its sink keys
// from the plugins' Specs).
type Field struct {
	Name        string   // config key, e.g. "max_bytes"
	Type        string   // TypeString, TypeInteger or TypeSize
	Default     string   // YAML text of the default, "" when none
	DefaultNote string   // a default that is not a constant, in words
	Doc         string   // one or two sentences
	Example     string   // YAML text of an example value
	Required    bool     // the key must be set for this sink type
	NotEmpty    bool     // may be left out, but not written empty
	Enum        []string // allowed values of a string
	Min, Max    int64    // range of an integer or size (Max 0: no upper bound)
	Format      string   // FormatSubject or FormatName for strings with a syntax
}

// Field types.
const (
	TypeString  = "string"
	TypeInteger = "integer"
	TypeSize    = "size" // bytes, or a number with a unit: KB, MB, GB, KiB, MiB, GiB
)

// String formats checked by the config.
const (
	FormatSubject = "subject" // a NATS subject without wildcards
	FormatName    = "name"    // a JetStream name: letters, digits, _ and -
)

// Config field names shared by the plugins' specs.
const (
	FieldType        = "type"
	FieldFilter      = "filter"
	FieldBuffer      = "buffer"
	FieldPath        = "path"
	FieldCompression = "compression"
	FieldMaxBytes    = "max_bytes"
	FieldMaxFiles    = "max_files"
	FieldSubject     = "subject"
	FieldStream      = "stream"
)

// File sink compressions.
const (
	CompressionNone = "none"
	CompressionGzip = "gzip"
	CompressionZstd = "zstd"
)

// MaxBuffer bounds a sink's queue: at 65536 (the default) records of a
// few hundred bytes a queue holds some tens of MiB; 2^24 is a generous
// ceiling that still keeps a typo from reserving gigabytes.
const MaxBuffer = 1 << 24

// CommonSpec returns the fields every sink type accepts (type, filter,
// buffer); plugins start their Spec with it.
func CommonSpec() []Field {
	return []Field{
		{Name: FieldType, Type: TypeString, Required: true, Doc: "Sink type: the name of a registered plugin.", Example: "stdout"},
		{Name: FieldFilter, Type: TypeString, NotEmpty: true, Doc: "jq expression applied to each record (compiled once at startup): records it yields nothing for are dropped (and counted as filtered), the others are replaced by its outputs. Must not be empty when given.", Example: `'select(.type | endswith("Failed"))'`},
		{Name: FieldBuffer, Type: TypeInteger, Default: "65536", Min: 1, Max: MaxBuffer, Doc: "Records queued for this sink. When the sink falls behind and the queue is full, new records are dropped and counted; executions never wait for logging.", Example: "65536"},
	}
}

// FileSpec is the file plugin's Spec.
func FileSpec() []Field {
	return append(CommonSpec(),
		Field{Name: FieldPath, Type: TypeString, Required: true, Doc: "File to write; rotated files get a numeric suffix: path.1 is the newest, path.<max_files> the oldest. Relative to the working directory (like nats.embedded.store_dir).", Example: "./logs/expressd.jsonl.zst"},
		Field{Name: FieldCompression, Type: TypeString, Default: CompressionNone, Enum: []string{CompressionNone, CompressionGzip, CompressionZstd}, Doc: "Compression of each file: `none`, `gzip` or `zstd`. Every file is one complete stream.", Example: CompressionZstd},
		Field{Name: FieldMaxBytes, Type: TypeSize, Default: "100MiB", Min: 1, Doc: "Rotate before the file exceeds this size (before compression). A size is bytes or a number with a unit: KB, MB, GB (powers of 1000), KiB, MiB, GiB (powers of 1024).", Example: "100MiB"},
		Field{Name: FieldMaxFiles, Type: TypeInteger, Default: "10", Min: 1, Max: 100_000, Doc: "Rotated files kept besides the current one; older ones are deleted.", Example: "10"},
	)
}

// NATSSpec is the nats plugin's Spec (sinks/natssink). It is declared here
// so that a config can be checked without a NATS connection or importing
// NATS.
func NATSSpec() []Field {
	return append(CommonSpec(),
		Field{Name: FieldSubject, Type: TypeString, Format: FormatSubject, DefaultNote: "expressd.logs.<machine>", Doc: "Subject to publish records on (no wildcards). By default expressd.logs.<machine>, the machine the record comes from.", Example: "expressd.logs.telemetry"},
		Field{Name: FieldStream, Type: TypeString, Format: FormatName, Doc: "When set, records are published with JetStream (PubAcks awaited per batch) into this stream, which must exist and capture the subject; when empty, with core NATS.", Example: "EXPRESSD_LOGS"},
	)
}

// BuiltinSpecs returns the Specs of the built-in plugins by name: stdout,
// file, discard (this package) and nats (sinks/natssink).
func BuiltinSpecs() map[string][]Field {
	return map[string][]Field{
		"stdout":  CommonSpec(),
		"file":    FileSpec(),
		"discard": CommonSpec(),
		"nats":    NATSSpec(),
	}
}
