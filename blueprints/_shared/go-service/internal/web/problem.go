package web

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
)

// A Problem is an RFC 9457 problem details document.
type Problem struct {
	Type      string            `json:"type"`
	Title     string            `json:"title"`
	Status    int               `json:"status"`
	Detail    string            `json:"detail,omitempty"`
	Instance  string            `json:"instance,omitempty"`
	RequestID string            `json:"request_id,omitempty"`
	Errors    map[string]string `json:"errors,omitempty"`
}

// NewProblem returns a problem of type about:blank for status, titled with
// the status text, for the request r.
func NewProblem(r *http.Request, status int, detail string) Problem {
	return Problem{
		Type:      "about:blank",
		Title:     http.StatusText(status),
		Status:    status,
		Detail:    detail,
		Instance:  r.URL.Path,
		RequestID: RequestID(r.Context()),
	}
}

// WriteProblem writes p as application/problem+json with p.Status.
func WriteProblem(w http.ResponseWriter, p Problem) {
	body, err := json.Marshal(p)
	if err != nil {
		// A Problem holds only strings, ints and a string map.
		body = []byte(`{"type":"about:blank","title":"Internal Server Error","status":500}`)
		p.Status = http.StatusInternalServerError
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(p.Status)
	_, _ = w.Write(append(body, '\n')) // The client is gone if this fails; nothing is left to do.
}

// ErrorStatus maps errors matching Err (errors.Is) to an HTTP status. Detail
// is shown to the client; when empty, the text of Err itself is used, never
// the text of the wrapped chain.
type ErrorStatus struct {
	Err    error
	Status int
	Detail string
}

// internalDetail is the only detail a 5xx response ever carries.
const internalDetail = "An internal error occurred. Quote the request_id when reporting it."

// Problems turns errors into problem responses and logs each error exactly
// once. The zero value is not usable; call NewProblems.
type Problems struct {
	log   *slog.Logger
	table []ErrorStatus
}

// NewProblems returns a Problems that consults table (in order) before the
// errors of this package. Unmatched errors are 500s.
func NewProblems(log *slog.Logger, table ...ErrorStatus) *Problems {
	return &Problems{log: log, table: table}
}

// fieldErrors is implemented by *ValidationError and by domain validation
// errors.
type fieldErrors interface {
	error
	FieldErrors() map[string]string
}

// Problem builds the problem document for err without writing or logging it.
func (p *Problems) Problem(r *http.Request, err error) Problem {
	var (
		reqErr   *RequestError
		fieldErr fieldErrors
	)
	switch {
	case errors.As(err, &reqErr):
		return NewProblem(r, reqErr.Status, reqErr.Detail)
	case errors.As(err, &fieldErr):
		pr := NewProblem(r, http.StatusUnprocessableEntity, "The request has invalid fields.")
		pr.Errors = fieldErr.FieldErrors()
		return pr
	}
	for _, m := range p.table {
		if errors.Is(err, m.Err) {
			detail := m.Detail
			if detail == "" {
				detail = m.Err.Error()
			}
			if m.Status >= http.StatusInternalServerError {
				detail = internalDetail
			}
			return NewProblem(r, m.Status, detail)
		}
	}
	return NewProblem(r, http.StatusInternalServerError, internalDetail)
}

// Status reports the HTTP status err maps to.
func (p *Problems) Status(r *http.Request, err error) int {
	return p.Problem(r, err).Status
}

// Error logs err once (5xx at error level with the full text, others at
// debug level) and writes the matching problem response.
func (p *Problems) Error(w http.ResponseWriter, r *http.Request, err error) {
	pr := p.Problem(r, err)
	if pr.Status >= http.StatusInternalServerError {
		p.log.ErrorContext(r.Context(), "request failed",
			slog.String("request_id", pr.RequestID),
			slog.String("pattern", r.Pattern),
			slog.Int("status", pr.Status),
			slog.Any("error", err))
	} else {
		p.log.DebugContext(r.Context(), "request rejected",
			slog.String("request_id", pr.RequestID),
			slog.Int("status", pr.Status),
			slog.Any("error", err))
	}
	WriteProblem(w, pr)
}
