package web

import (
	"net/http"
	"strings"
)

// NotFound returns the handler to register for the catch-all pattern "/"
// on mux. ServeMux answers unknown paths with plain text, and a catch-all
// also swallows its 405s, so this handler writes a 404 problem, or a 405
// problem with an Allow header when the path is routed for other methods.
func NotFound(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		probeMethods := [...]string{
			http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut,
			http.MethodPatch, http.MethodDelete, http.MethodOptions,
		}
		var allow []string
		for _, m := range probeMethods {
			if m == r.Method {
				continue
			}
			probe := &http.Request{Method: m, URL: r.URL, Host: r.Host, Header: http.Header{}}
			if _, pattern := mux.Handler(probe); pattern != "" && pattern != "/" {
				allow = append(allow, m)
			}
		}
		if len(allow) > 0 {
			w.Header().Set("Allow", strings.Join(allow, ", "))
			WriteProblem(w, NewProblem(r, http.StatusMethodNotAllowed, "Method "+r.Method+" is not allowed here."))
			return
		}
		WriteProblem(w, NewProblem(r, http.StatusNotFound, "No resource at "+r.URL.Path+"."))
	})
}
