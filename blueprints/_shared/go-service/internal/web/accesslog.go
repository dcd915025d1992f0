package web

import (
	"log/slog"
	"net/http"
	"time"
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
				slog.String("path", r.URL.Path),
				slog.String("pattern", PatternOf(r)),
				slog.Int("status", status),
				slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
				slog.Int64("bytes", rw.Bytes()),
				slog.String("request_id", RequestID(r.Context())))
		})
	}
}
