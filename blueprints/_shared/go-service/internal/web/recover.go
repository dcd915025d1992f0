package web

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
)

// Recover turns a panic in a handler into a 500 problem and logs the value
// and stack once. http.ErrAbortHandler is re-raised so net/http can abort
// the response quietly, as it documents.
func Recover(log *slog.Logger) Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			defer recoverPanic(log, w, r)
			next.ServeHTTP(w, r)
		})
	}
}

// recoverPanic must be deferred directly: recover only stops a panic when
// called by the deferred function itself.
func recoverPanic(log *slog.Logger, w http.ResponseWriter, r *http.Request) {
	v := recover()
	if v == nil {
		return
	}
	if err, ok := v.(error); ok && errors.Is(err, http.ErrAbortHandler) {
		// Re-raised on purpose (quality bar B15): net/http treats this value
		// as "abort the response quietly". It is the only panic outside main.
		panic(v)
	}
	log.ErrorContext(r.Context(), "panic serving request",
		slog.String("request_id", RequestID(r.Context())),
		slog.String("panic", fmt.Sprint(v)),
		slog.String("stack", string(debug.Stack())))
	WriteProblem(w, NewProblem(r, http.StatusInternalServerError, internalDetail))
}
