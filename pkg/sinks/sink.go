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

// Field documents one config field a plugin reads.
type Field struct {
	Name    string // config key, e.g. "max_bytes"
	Type    string // "string", "integer", "size", …
	Default string // "" when the field has no default
	Doc     string // one or two sentences
	Example string // a YAML snippet, e.g. "max_bytes: 100MiB"
}

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

// CommonSpec returns the fields every sink type accepts (type, filter,
// buffer); plugins start their Spec with it.
func CommonSpec() []Field {
	return []Field{
		{Name: FieldType, Type: "string", Doc: "Sink type: the name of a registered plugin.", Example: "type: stdout"},
		{Name: FieldFilter, Type: "string", Doc: "jq expression applied to each record (compiled once at startup): records it yields nothing for are dropped, the others are replaced by its outputs.", Example: `filter: 'select(.type | endswith("Failed"))'`},
		{Name: FieldBuffer, Type: "integer", Default: "65536", Doc: "Records queued for this sink. When the sink falls behind and the queue is full, new records are dropped and counted; executions never wait for logging.", Example: "buffer: 65536"},
	}
}
