package web

import (
	"context"
	"net/http"
	"time"
)

// A Middleware wraps a handler with behaviour that runs around it.
type Middleware = func(http.Handler) http.Handler

// Chain wraps h so that the first middleware is the outermost one:
// Chain(h, a, b) serves a(b(h)).
func Chain(h http.Handler, mw ...Middleware) http.Handler {
	for i := len(mw) - 1; i >= 0; i-- {
		h = mw[i](h)
	}
	return h
}

// Deadline gives every request a context that ends after d, so that work
// the handler does on r.Context() (database calls above all) gives up
// before the server's WriteTimeout cuts the connection. Pick d below
// WriteTimeout, leaving room to write the error response.
func Deadline(d time.Duration) Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctx, cancel := context.WithTimeout(r.Context(), d)
			defer cancel()
			next.ServeHTTP(w, r.WithContext(ctx))
		})
	}
}
