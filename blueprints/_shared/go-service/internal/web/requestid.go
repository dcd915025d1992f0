package web

import (
	"context"
	"crypto/rand"
	"net/http"
)

// RequestIDHeader is the header a request ID is read from and echoed in.
const RequestIDHeader = "X-Request-ID"

// requestIDHeaderKey is RequestIDHeader in the canonical form net/http keys
// headers by, so that reading and writing it allocates nothing.
const requestIDHeaderKey = "X-Request-Id"

type requestIDKey struct{}

// RequestID returns the request ID stored in ctx by the RequestIDs
// middleware, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// WithRequestID returns a copy of ctx carrying id.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestIDs accepts a well-formed X-Request-ID from the client or
// generates one, stores it in the request context and echoes it in the
// response. Put it first in the chain.
func RequestIDs(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var id string
		if v := r.Header[requestIDHeaderKey]; len(v) > 0 {
			id = v[0]
		}
		if !validRequestID(id) {
			id = rand.Text()
		}
		w.Header()[requestIDHeaderKey] = []string{id}
		next.ServeHTTP(w, r.WithContext(WithRequestID(r.Context(), id)))
	})
}

// validRequestID accepts 1 to 128 characters from [A-Za-z0-9._:-], enough
// for UUIDs, ULIDs and trace IDs, and nothing that could forge log lines.
func validRequestID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for i := range len(id) {
		c := id[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '-', c == '_', c == '.', c == ':':
		default:
			return false
		}
	}
	return true
}
