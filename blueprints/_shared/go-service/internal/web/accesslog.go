package web

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"
)

// ResponseRecorder wraps an http.ResponseWriter and records the status and
// the number of body bytes written. It supports http.ResponseController
// through Unwrap.
type ResponseRecorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

// NewResponseRecorder wraps w.
func NewResponseRecorder(w http.ResponseWriter) *ResponseRecorder {
	return &ResponseRecorder{ResponseWriter: w}
}

// WriteHeader records status and forwards it.
func (rw *ResponseRecorder) WriteHeader(status int) {
	if rw.status == 0 {
		rw.status = status
	}
	rw.ResponseWriter.WriteHeader(status)
}

// Write records the implicit 200 and the byte count.
func (rw *ResponseRecorder) Write(b []byte) (int, error) {
	if rw.status == 0 {
		rw.status = http.StatusOK
	}
	n, err := rw.ResponseWriter.Write(b)
	rw.bytes += int64(n)
	return n, err
}

// WriteString records like Write, without converting s to a byte slice
// when the wrapped writer takes strings.
func (rw *ResponseRecorder) WriteString(s string) (int, error) {
	if rw.status == 0 {
		rw.status = http.StatusOK
	}
	n, err := io.WriteString(rw.ResponseWriter, s)
	rw.bytes += int64(n)
	return n, err
}

// Flush lets streaming handlers flush through the recorder.
func (rw *ResponseRecorder) Flush() {
	if rw.status == 0 {
		rw.status = http.StatusOK
	}
	_ = http.NewResponseController(rw.ResponseWriter).Flush() // Flush is best effort, as in http.Flusher.
}

// Unwrap returns the wrapped writer for http.ResponseController.
func (rw *ResponseRecorder) Unwrap() http.ResponseWriter { return rw.ResponseWriter }

// Status returns the status written so far (200 if only a body was written,
// 0 if nothing was).
func (rw *ResponseRecorder) Status() int { return rw.status }

// Bytes returns the number of body bytes written.
func (rw *ResponseRecorder) Bytes() int64 { return rw.bytes }

// PatternOf returns the ServeMux pattern that served r, or "unmatched".
// ServeMux sets r.Pattern on the request it receives, so middleware that
// reads it must not be separated from the mux by one that replaces the
// request (r.WithContext).
func PatternOf(r *http.Request) string {
	if r.Pattern == "" {
		return "unmatched"
	}
	return r.Pattern
}

// LogPath returns a request path as the access log writes it: the
// characters that JSON escaping lets through but that a terminal acts on
// or that hide or reorder text (C1 controls such as U+009B CSI, and the
// Unicode format characters: bidi overrides and isolates, zero-width
// spaces, U+FEFF) are percent-encoded, as they came on the wire. Any
// client can send them, before authentication; other text is unchanged.
func LogPath(p string) string {
	for i := range len(p) {
		if p[i] >= utf8.RuneSelf {
			return encodeHidden(p[:i], p[i:])
		}
	}
	return p
}

func encodeHidden(done, rest string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.Grow(len(done) + len(rest))
	b.WriteString(done)
	for rest != "" {
		r, size := utf8.DecodeRuneInString(rest)
		if (r >= 0x80 && r <= 0x9f) || unicode.Is(unicode.Cf, r) {
			for _, c := range []byte(rest[:size]) {
				b.WriteByte('%')
				b.WriteByte(hex[c>>4])
				b.WriteByte(hex[c&0xf])
			}
		} else {
			b.WriteString(rest[:size])
		}
		rest = rest[size:]
	}
	return b.String()
}

// AccessLog logs exactly one line per request after it is served.
func AccessLog(log *slog.Logger) Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			rw := NewResponseRecorder(w)
			next.ServeHTTP(rw, r)
			status := rw.Status()
			if status == 0 {
				status = http.StatusOK
			}
			log.LogAttrs(r.Context(), slog.LevelInfo, "request",
				slog.String("method", r.Method),
				slog.String("path", LogPath(r.URL.Path)),
				slog.String("pattern", PatternOf(r)),
				slog.Int("status", status),
				slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
				slog.Int64("bytes", rw.Bytes()),
				slog.String("request_id", RequestID(r.Context())))
		})
	}
}

// AccessLogJSON is AccessLog for the hot path: it writes the same line
// ("msg":"request" with method, path, pattern, status, duration_ms, bytes
// and request_id, in slog's JSON layout) straight to w, formatting it by
// hand into a reused buffer instead of going through a slog handler,
// which costs several allocations and a tenth of a small request's CPU.
// Give it the writer the service's slog handler writes to (a LogWriter)
// and the same level: when INFO is disabled no line is written.
func AccessLogJSON(w io.Writer, level slog.Leveler) Middleware {
	lines := &lineWriter{w: w}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
			start := time.Now()
			rec := NewResponseRecorder(rw)
			next.ServeHTTP(rec, r)
			if level.Level() > slog.LevelInfo {
				return
			}
			status := rec.Status()
			if status == 0 {
				status = http.StatusOK
			}
			lines.write(r.Context(), start, r.Method, LogPath(r.URL.Path), PatternOf(r), status, time.Since(start), rec.Bytes())
		})
	}
}

// lineWriter formats access-log lines into a buffer it reuses, under a
// lock, and hands each line to w in one Write.
type lineWriter struct {
	w   io.Writer
	mu  sync.Mutex
	buf []byte
}

func (l *lineWriter) write(ctx context.Context, t time.Time, method, path, pattern string, status int, d time.Duration, n int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := append(l.buf[:0], `{"time":"`...)
	b = t.AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","level":"INFO","msg":"request","method":`...)
	b = appendJSONString(b, method)
	b = append(b, `,"path":`...)
	b = appendJSONString(b, path)
	b = append(b, `,"pattern":`...)
	b = appendJSONString(b, pattern)
	b = append(b, `,"status":`...)
	b = strconv.AppendInt(b, int64(status), 10)
	b = append(b, `,"duration_ms":`...)
	b = strconv.AppendFloat(b, float64(d.Microseconds())/1000, 'g', -1, 64)
	b = append(b, `,"bytes":`...)
	b = strconv.AppendInt(b, n, 10)
	b = append(b, `,"request_id":`...)
	b = appendJSONString(b, RequestID(ctx))
	b = append(b, "}\n"...)
	_, _ = l.w.Write(b) // Like slog: a log line that cannot be written is dropped.
	if cap(b) <= 4<<10 {
		l.buf = b
	}
}

// appendJSONString appends s as a JSON string: quotes, backslashes and
// control characters escaped, invalid UTF-8 replaced by U+FFFD, and
// U+2028/U+2029 escaped as encoding/json does, so no input can end the
// line or forge another record.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20 || c == 0x7f:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}
