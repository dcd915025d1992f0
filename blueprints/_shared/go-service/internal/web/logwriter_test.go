package web

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// countingWriter records each Write call.
type countingWriter struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	writes int
	fail   error
}

func (c *countingWriter) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.writes++
	if c.fail != nil {
		return 0, c.fail
	}
	return c.buf.Write(p)
}

func (c *countingWriter) snapshot() (string, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.buf.String(), c.writes
}

func TestLogWriterBatchesInOrder(t *testing.T) {
	t.Parallel()
	out := &countingWriter{}
	lw := NewLogWriter(out, time.Hour, 1<<20)
	log := slog.New(slog.NewJSONHandler(lw, nil))
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 250 {
				log.InfoContext(t.Context(), "line", slog.Int("g", g), slog.Int("i", i))
			}
		})
	}
	wg.Wait()
	if _, writes := out.snapshot(); writes != 0 {
		t.Fatalf("%d writes before Flush, want 0", writes)
	}
	if err := lw.Close(); err != nil {
		t.Fatal(err)
	}
	text, writes := out.snapshot()
	if writes != 1 {
		t.Errorf("%d writes for 1000 lines, want 1", writes)
	}
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines) != 1000 {
		t.Fatalf("%d lines, want 1000", len(lines))
	}
	next := map[string]int{}
	for _, l := range lines {
		var g, i int
		if _, err := fmt.Sscanf(l[strings.Index(l, `"g":`):], `"g":%d,"i":%d}`, &g, &i); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		if key := fmt.Sprint(g); i != next[key] {
			t.Fatalf("goroutine %d: line %d after %d", g, i, next[key]-1)
		}
		next[fmt.Sprint(g)]++
	}
}

func TestLogWriterFlushesWhenFull(t *testing.T) {
	t.Parallel()
	out := &countingWriter{}
	lw := NewLogWriter(out, time.Hour, 100)
	line := []byte(strings.Repeat("x", 59) + "\n")
	for range 5 {
		if _, err := lw.Write(line); err != nil {
			t.Fatal(err)
		}
	}
	// 60, 120 (flush), 60, 120 (flush), 60 pending.
	if text, writes := out.snapshot(); writes != 2 || len(text) != 240 {
		t.Errorf("writes = %d, bytes = %d; want 2 and 240", writes, len(text))
	}
	if err := lw.Close(); err != nil {
		t.Fatal(err)
	}
	if text, _ := out.snapshot(); len(text) != 300 {
		t.Errorf("bytes after Close = %d, want 300", len(text))
	}
	if _, err := lw.Write(line); err != nil {
		t.Fatal(err)
	}
	if text, _ := out.snapshot(); len(text) != 360 {
		t.Errorf("a write after Close was not written through: %d bytes", len(text))
	}
}

func TestLogWriterFlushesAfterInterval(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		out := &countingWriter{}
		lw := NewLogWriter(out, 100*time.Millisecond, 1<<20)
		if _, err := lw.Write([]byte("one\n")); err != nil {
			t.Fatal(err)
		}
		time.Sleep(99 * time.Millisecond)
		synctest.Wait()
		if text, _ := out.snapshot(); text != "" {
			t.Fatalf("flushed after 99ms: %q", text)
		}
		time.Sleep(time.Millisecond)
		synctest.Wait()
		if text, writes := out.snapshot(); text != "one\n" || writes != 1 {
			t.Fatalf("after 100ms: %q in %d writes", text, writes)
		}
		if _, err := lw.Write([]byte("two\n")); err != nil {
			t.Fatal(err)
		}
		if err := lw.Close(); err != nil {
			t.Fatal(err)
		}
		// The bubble ends only when no timer or goroutine is left.
	})
}

var errDiskFull = errors.New("disk full")

func TestLogWriterReportsWriteErrors(t *testing.T) {
	t.Parallel()
	out := &countingWriter{fail: errDiskFull}
	lw := NewLogWriter(out, time.Hour, 1<<20)
	if _, err := lw.Write([]byte("lost\n")); err != nil {
		t.Fatal(err)
	}
	if err := lw.Flush(); !errors.Is(err, errDiskFull) {
		t.Errorf("Flush() = %v, want errDiskFull", err)
	}
	if err := lw.Close(); !errors.Is(err, errDiskFull) {
		t.Errorf("Close() = %v, want the first error", err)
	}
}

// BenchmarkLogWriter compares an access-log line per request written to a
// file directly (one write system call per line) and through a LogWriter.
func BenchmarkLogWriter(b *testing.B) {
	tests := []struct {
		name     string
		giveWrap func(f *os.File) (io.Writer, func() error)
	}{
		{name: "direct", giveWrap: func(f *os.File) (io.Writer, func() error) { return f, func() error { return nil } }},
		{name: "buffered", giveWrap: func(f *os.File) (io.Writer, func() error) {
			lw := NewLogWriter(f, 0, 0)
			return lw, lw.Close
		}},
	}
	for _, tt := range tests {
		b.Run(tt.name, func(b *testing.B) {
			f, err := os.Create(filepath.Join(b.TempDir(), "log.json"))
			if err != nil {
				b.Fatal(err)
			}
			defer f.Close()
			w, closeFn := tt.giveWrap(f)
			log := slog.New(slog.NewJSONHandler(w, nil))
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					log.LogAttrs(b.Context(), slog.LevelInfo, "request", slog.String("method", "GET"), slog.String("pattern", "GET /v1/users/{id}"), slog.Int("status", 200))
				}
			})
			if err := closeFn(); err != nil {
				b.Fatal(err)
			}
		})
	}
}
