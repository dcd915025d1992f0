package web

import "net/http"

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
