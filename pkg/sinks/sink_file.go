package sinks

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"sync"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// File sink defaults (config.Sink applies the same ones; Options are
// config-agnostic, so New applies them again for zero values).
const (
	DefaultMaxBytes = 100 << 20 // 100 MiB before compression
	DefaultMaxFiles = 10
)

// fileBufferSize is the write buffer between the compressor and the file:
// large enough that a 512-record batch is a handful of write(2) calls.
const fileBufferSize = 256 << 10

// FilePlugin returns the "file" plugin: JSON lines written to Options.Path,
// optionally compressed, rotated by size.
//
// Rotation: before a line would take the current file past MaxBytes
// (counted before compression), the file is finalized and renamed, in the
// logrotate way: path → path.1, path.1 → path.2, …; path.<MaxFiles> and
// anything older is deleted, and a new path is started. So path is always
// the newest file, path.1 the next newest and path.<MaxFiles> the oldest.
// A single line larger than MaxBytes gets a file of its own.
//
// Compression none | gzip | zstd: every file holds exactly one complete
// gzip member or zstd frame, decodable on its own (zcat, zstd -d).
// The compressor is flushed after every batch (gzip sync flush, zstd block),
// so lines reach the disk at batch pace without ending the stream; readers
// of the current file may see a stream that is not yet terminated.
//
// At start-up an existing non-empty compressed file is rotated first
// (a crashed process may have left its stream unterminated); an
// uncompressed file is appended to.
func FilePlugin() Plugin {
	spec := FileSpec()
	return Plugin{Name: "file", Spec: spec, New: func(o Options) (Sink, int, error) {
		s, err := newFileSink(o)
		return s, 1, err
	}}
}

// compressor is the part of gzip.Writer and zstd.Encoder the sink uses.
type compressor interface {
	io.WriteCloser
	Flush() error
	Reset(w io.Writer)
}

type fileSink struct {
	path     string
	maxBytes int64
	maxFiles int
	enc      *Encoder

	mu     sync.Mutex // serializes Write, Close and rotation
	f      *os.File   // nil after an I/O error: the next Write reopens
	bw     *bufio.Writer
	comp   compressor // nil for CompressionNone
	w      io.Writer  // comp or bw
	size   int64      // uncompressed bytes in the current file
	closed bool
}

func newFileSink(o Options) (*fileSink, error) {
	if o.Path == "" {
		return nil, errors.New("sinks: file: path is required")
	}
	s := &fileSink{path: o.Path, maxBytes: o.MaxBytes, maxFiles: o.MaxFiles}
	if s.maxBytes <= 0 {
		s.maxBytes = DefaultMaxBytes
	}
	if s.maxFiles <= 0 {
		s.maxFiles = DefaultMaxFiles
	}
	switch o.Compression {
	case "", CompressionNone:
	case CompressionGzip:
		gz, err := gzip.NewWriterLevel(nil, gzip.DefaultCompression)
		if err != nil {
			return nil, fmt.Errorf("sinks: file %s: %w", o.Path, err)
		}
		s.comp = gz
	case CompressionZstd:
		// One encoder goroutine at most: log batches are small and the
		// sink writes one batch at a time. Zero frames: an empty file is
		// still a valid stream.
		zs, err := zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1), zstd.WithZeroFrames(true))
		if err != nil {
			return nil, fmt.Errorf("sinks: file %s: %w", o.Path, err)
		}
		s.comp = zs
	default:
		return nil, fmt.Errorf("sinks: file %s: unknown compression %q (want none, gzip or zstd)", o.Path, o.Compression)
	}
	enc, err := NewEncoder(o.Filter)
	if err != nil {
		return nil, err
	}
	s.enc = enc
	s.bw = bufio.NewWriterSize(nil, fileBufferSize)
	if err := s.open(); err != nil {
		return nil, err
	}
	return s, nil
}

// open starts writing path, rotating a compressed leftover first.
func (s *fileSink) open() error {
	if err := os.MkdirAll(filepath.Dir(s.path), 0o755); err != nil {
		return fmt.Errorf("sinks: file: %w", err)
	}
	if s.comp != nil {
		if fi, err := os.Stat(s.path); err == nil && fi.Size() > 0 {
			if err := s.shift(); err != nil {
				return err
			}
		}
	}
	f, err := os.OpenFile(s.path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("sinks: file: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("sinks: file: %w", err)
	}
	s.f, s.size = f, fi.Size()
	s.bw.Reset(f)
	s.w = s.bw
	if s.comp != nil {
		s.comp.Reset(s.bw)
		s.w = s.comp
	}
	return nil
}

// finish terminates the compressed stream and closes the current file.
func (s *fileSink) finish() error {
	var err error
	if s.comp != nil {
		err = s.comp.Close()
	}
	err = errors.Join(err, s.bw.Flush(), s.f.Close())
	s.f = nil
	if err != nil {
		return fmt.Errorf("sinks: file %s: %w", s.path, err)
	}
	return nil
}

// abort drops the current file after an I/O error; the next Write reopens.
func (s *fileSink) abort() {
	if s.f != nil {
		s.f.Close()
		s.f = nil
	}
}

// rotate finalizes the current file, shifts the numbered files and starts
// a new one.
func (s *fileSink) rotate() error {
	if err := s.finish(); err != nil {
		return err
	}
	if err := s.shift(); err != nil {
		return err
	}
	return s.open()
}

// shift renames path.k to path.k+1 for the existing files, newest last,
// deletes those past maxFiles and renames path to path.1. It touches only
// existing files: the scan stops at the first missing number.
func (s *fileSink) shift() error {
	name := func(k int) string { return s.path + "." + strconv.Itoa(k) }
	last := 0 // path.1 … path.last exist
	for {
		if _, err := os.Lstat(name(last + 1)); err != nil {
			break
		}
		last++
	}
	for k := last; k >= s.maxFiles; k-- {
		if err := os.Remove(name(k)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("sinks: file: %w", err)
		}
	}
	for k := min(last, s.maxFiles-1); k >= 1; k-- {
		if err := os.Rename(name(k), name(k+1)); err != nil {
			return fmt.Errorf("sinks: file: %w", err)
		}
	}
	if err := os.Rename(s.path, name(1)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("sinks: file: %w", err)
	}
	return nil
}

func (s *fileSink) Write(ctx context.Context, batch []Record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return fmt.Errorf("sinks: file %s: write after close", s.path)
	}
	lines := s.enc.Encode(ctx, batch)
	if lines.Len() == 0 {
		return nil
	}
	if s.f == nil {
		if err := s.open(); err != nil {
			return err
		}
	}
	if err := s.write(lines); err != nil {
		s.abort()
		return err
	}
	return nil
}

// write writes lines, rotating between two lines when the next one would
// pass maxBytes; runs of lines that fit go out in one call.
func (s *fileSink) write(lines *Lines) error {
	buf := lines.Bytes()
	from := 0 // start of the run not yet written
	for i := range lines.Len() {
		start, end := lines.start(i), lines.ends[i]
		n := int64(end - start)
		if s.size > 0 && s.size+n > s.maxBytes {
			if _, err := s.w.Write(buf[from:start]); err != nil {
				return fmt.Errorf("sinks: file %s: %w", s.path, err)
			}
			if err := s.rotate(); err != nil {
				return err
			}
			from = start
		}
		s.size += n
	}
	if _, err := s.w.Write(buf[from:]); err != nil {
		return fmt.Errorf("sinks: file %s: %w", s.path, err)
	}
	if s.comp != nil {
		if err := s.comp.Flush(); err != nil {
			return fmt.Errorf("sinks: file %s: %w", s.path, err)
		}
	}
	if err := s.bw.Flush(); err != nil {
		return fmt.Errorf("sinks: file %s: %w", s.path, err)
	}
	return nil
}

// Close terminates the compressed stream and closes the file. Later Writes
// fail.
func (s *fileSink) Close(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	if s.f == nil {
		return nil
	}
	return s.finish()
}

// TakeFiltered implements FilterCounter.
func (s *fileSink) TakeFiltered() int64 { return s.enc.TakeFiltered() }
