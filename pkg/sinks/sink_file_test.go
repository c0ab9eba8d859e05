package sinks

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// readFile decompresses one file completely and returns its lines.
func readFile(t *testing.T, path, compression string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var r io.Reader = f
	switch compression {
	case CompressionGzip:
		zr, err := gzip.NewReader(f)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		zr.Multistream(false) // each file must be exactly one member
		r = zr
	case CompressionZstd:
		zr, err := zstd.NewReader(f)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		defer zr.Close()
		r = zr
	}
	var lines []string
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if compression == CompressionGzip {
		// After the single member: nothing but EOF.
		if rest, _ := io.ReadAll(f); len(rest) != 0 {
			t.Fatalf("%s: %d bytes after the gzip member", path, len(rest))
		}
	}
	return lines
}

func TestFileRotation(t *testing.T) {
	const (
		records  = 3000
		maxBytes = 32 << 10
	)
	for _, compression := range []string{CompressionNone, CompressionGzip, CompressionZstd} {
		t.Run("compression="+compression, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "logs", "expressd.jsonl")
			s, inFlight, err := FilePlugin().New(Options{Path: path, Compression: compression, MaxBytes: maxBytes, MaxFiles: 1000})
			if err != nil {
				t.Fatal(err)
			}
			if inFlight != 1 {
				t.Errorf("maxInFlight = %d, want 1", inFlight)
			}
			ctx := context.Background()
			for from := 0; from < records; from += 100 {
				if err := s.Write(ctx, testBatch(from, 100)); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.Close(ctx); err != nil {
				t.Fatal(err)
			}
			if err := s.Write(ctx, testBatch(0, 1)); err == nil {
				t.Error("Write after Close: got nil error")
			}

			// Oldest first: path.N … path.1, then path.
			var files []string
			for k := 1; ; k++ {
				if _, err := os.Stat(path + "." + strconv.Itoa(k)); err != nil {
					break
				}
				files = append([]string{path + "." + strconv.Itoa(k)}, files...)
			}
			files = append(files, path)
			if len(files) < 4 {
				t.Fatalf("got %d files, want several rotations", len(files))
			}
			next := 0
			for _, f := range files {
				lines := readFile(t, f, compression)
				size := 0
				for _, l := range lines {
					size += len(l) + 1
					if want := recordLine(testRecord(next)); l != want {
						t.Fatalf("%s: got line %q, want %q", f, l, want)
					}
					next++
				}
				if size > maxBytes {
					t.Errorf("%s: %d uncompressed bytes, want at most %d", f, size, maxBytes)
				}
			}
			if next != records {
				t.Errorf("read %d records, want %d", next, records)
			}
		})
	}
}

func TestFileMaxFiles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.jsonl.zst")
	s, _, err := FilePlugin().New(Options{Path: path, Compression: CompressionZstd, MaxBytes: 1024, MaxFiles: 3})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i := range 100 {
		if err := s.Write(ctx, testBatch(i*5, 5)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	want := []string{"x.jsonl.zst", "x.jsonl.zst.1", "x.jsonl.zst.2", "x.jsonl.zst.3"}
	if len(names) != len(want) {
		t.Fatalf("got files %q, want %q", names, want)
	}
	for i := range want {
		if names[i] != want[i] {
			t.Fatalf("got files %q, want %q", names, want)
		}
	}
	// The newest records are in the current file, the file before it in .1.
	cur := readFile(t, path, CompressionZstd)
	if want := recordLine(testRecord(499)); cur[len(cur)-1] != want {
		t.Errorf("last line: got %q, want %q", cur[len(cur)-1], want)
	}
	prev := readFile(t, path+".1", CompressionZstd)
	var a, b struct{ ID string }
	json.Unmarshal([]byte(prev[len(prev)-1]), &a)
	json.Unmarshal([]byte(cur[0]), &b)
	ia, _ := strconv.Atoi(a.ID)
	ib, _ := strconv.Atoi(b.ID)
	if ib != ia+1 {
		t.Errorf("path.1 ends at id %d, path starts at id %d: want consecutive", ia, ib)
	}
}

func TestFileRestart(t *testing.T) {
	ctx := context.Background()
	for _, compression := range []string{CompressionNone, CompressionGzip} {
		t.Run("compression="+compression, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "x.jsonl")
			for run := range 2 {
				s, _, err := FilePlugin().New(Options{Path: path, Compression: compression})
				if err != nil {
					t.Fatal(err)
				}
				if err := s.Write(ctx, testBatch(run*10, 10)); err != nil {
					t.Fatal(err)
				}
				if err := s.Close(ctx); err != nil {
					t.Fatal(err)
				}
			}
			var got []string
			if compression == CompressionNone {
				got = readFile(t, path, compression) // appended
			} else {
				got = append(readFile(t, path+".1", compression), readFile(t, path, compression)...) // rotated at start
			}
			if len(got) != 20 {
				t.Fatalf("got %d lines, want 20", len(got))
			}
			for i, l := range got {
				if want := recordLine(testRecord(i)); l != want {
					t.Fatalf("line %d: got %q, want %q", i, l, want)
				}
			}
		})
	}
}

func TestFileOptionErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		o    Options
	}{
		{"no path", Options{}},
		{"bad compression", Options{Path: filepath.Join(t.TempDir(), "x"), Compression: "lz4"}},
		{"bad filter", Options{Path: filepath.Join(t.TempDir(), "x"), Filter: "select("}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, _, err := FilePlugin().New(tc.o); err == nil {
				t.Error("got nil error")
			}
		})
	}
}
