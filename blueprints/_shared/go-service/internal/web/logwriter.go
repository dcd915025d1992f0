package web

import (
	"io"
	"sync"
	"time"
)

// LogWriter defaults.
const (
	DefaultLogFlushInterval = 100 * time.Millisecond
	DefaultLogBufferBytes   = 256 << 10
)

// A LogWriter batches log output in memory and writes it to the underlying
// writer in few large writes instead of one write per line: a synchronous
// write per access-log line is a system call on the request path, and a
// slow log consumer (a pipe to a log shipper) would stall every request.
//
// Lines are written in order, whole, at most FlushInterval after they were
// logged, as soon as BufferBytes are pending (the writing request pays for
// that flush, which bounds memory), and on Flush and Close. Lines logged
// within FlushInterval of a crash are lost; call Close before exiting.
// It starts no goroutine of its own: a pending flush is a time.AfterFunc
// timer, stopped by Close.
type LogWriter struct {
	out      io.Writer
	interval time.Duration
	limit    int

	wmu sync.Mutex // held while writing to out, so batches stay in order

	mu     sync.Mutex // guards the fields below
	buf    []byte
	spare  []byte
	timer  *time.Timer
	closed bool
	err    error // the first write error, reported by Flush and Close
}

// NewLogWriter returns a LogWriter over out. interval <= 0 means
// DefaultLogFlushInterval and bufferBytes <= 0 DefaultLogBufferBytes.
func NewLogWriter(out io.Writer, interval time.Duration, bufferBytes int) *LogWriter {
	if interval <= 0 {
		interval = DefaultLogFlushInterval
	}
	if bufferBytes <= 0 {
		bufferBytes = DefaultLogBufferBytes
	}
	return &LogWriter{out: out, interval: interval, limit: bufferBytes}
}

// Write appends p (one log line, as slog handlers write them) to the
// buffer. After Close it writes through.
func (l *LogWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		l.wmu.Lock()
		defer l.wmu.Unlock()
		return l.out.Write(p)
	}
	l.buf = append(l.buf, p...)
	if l.timer == nil {
		l.timer = time.AfterFunc(l.interval, l.flushQuietly)
	}
	full := len(l.buf) >= l.limit
	l.mu.Unlock()
	if full {
		if err := l.Flush(); err != nil {
			return len(p), err
		}
	}
	return len(p), nil
}

func (l *LogWriter) flushQuietly() { _ = l.Flush() } // The error is recorded and reported by Close.

// Flush writes everything buffered so far.
func (l *LogWriter) Flush() error {
	l.wmu.Lock()
	defer l.wmu.Unlock()
	l.mu.Lock()
	batch := l.buf
	l.buf = l.spare[:0]
	l.spare = nil
	if l.timer != nil {
		l.timer.Stop()
		l.timer = nil
	}
	l.mu.Unlock()
	var err error
	if len(batch) > 0 {
		_, err = l.out.Write(batch)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if cap(batch) <= 2*l.limit {
		l.spare = batch[:0] // Reuse the buffer unless one huge line grew it.
	}
	if err != nil && l.err == nil {
		l.err = err
	}
	return err
}

// Close flushes and stops buffering; later writes go straight through. It
// returns the first error any flush met.
func (l *LogWriter) Close() error {
	l.mu.Lock()
	l.closed = true
	l.mu.Unlock()
	_ = l.Flush() // Its error, if any, is recorded in l.err.
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err
}
