package web

import (
	"context"
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

// Type URIs of the problems this package writes itself, part of each
// service's problem catalogue. They are relative references (RFC 9457
// §3.1.1), resolved against the request URL; clients compare them as
// strings and never need to fetch them.
const (
	TypeMalformedRequest     = "/problems/malformed-request"      // 400
	TypeNotFound             = "/problems/not-found"              // 404
	TypeMethodNotAllowed     = "/problems/method-not-allowed"     // 405
	TypeBodyTooLarge         = "/problems/body-too-large"         // 413
	TypeUnsupportedMediaType = "/problems/unsupported-media-type" // 415
	TypeValidation           = "/problems/validation-failed"      // 422
	TypeRateLimited          = "/problems/rate-limited"           // 429
	TypeInternal             = "/problems/internal-error"         // 500
	TypeBlank                = "about:blank"                      // any other status
)

// DefaultType returns the problem type of status when nothing more
// specific applies: one of the Type constants.
func DefaultType(status int) string {
	switch status {
	case http.StatusBadRequest:
		return TypeMalformedRequest
	case http.StatusNotFound:
		return TypeNotFound
	case http.StatusMethodNotAllowed:
		return TypeMethodNotAllowed
	case http.StatusRequestEntityTooLarge:
		return TypeBodyTooLarge
	case http.StatusUnsupportedMediaType:
		return TypeUnsupportedMediaType
	case http.StatusUnprocessableEntity:
		return TypeValidation
	case http.StatusTooManyRequests:
		return TypeRateLimited
	case http.StatusInternalServerError:
		return TypeInternal
	}
	return TypeBlank
}

// NewProblem returns a problem of DefaultType(status), titled with the
// status text, for the request r.
func NewProblem(r *http.Request, status int, detail string) Problem {
	return Problem{
		Type:      DefaultType(status),
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
		body = []byte(`{"type":"` + TypeInternal + `","title":"Internal Server Error","status":500}`)
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
	// Type is the problem type URI (the service's catalogue entry); empty
	// means DefaultType(Status).
	Type string

	// Expected marks a 5xx that is a normal condition rather than a fault,
	// such as a 503 for back-pressure: its Detail is shown to the client
	// and it is logged at debug level instead of error.
	Expected bool
	// Header is added to the response, e.g. Retry-After for a 503 or 429.
	Header http.Header
}

// StatusClientClosedRequest is the status recorded (access log, metrics)
// for a request whose client hung up before the answer (nginx's 499): the
// client sees nothing, and it is no failure of the service.
const StatusClientClosedRequest = 499

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
	pr, _ := p.match(r, err)
	return pr
}

// match builds the problem for err and returns the table entry it came
// from, if any.
func (p *Problems) match(r *http.Request, err error) (Problem, *ErrorStatus) {
	var (
		reqErr   *RequestError
		fieldErr fieldErrors
	)
	switch {
	case errors.As(err, &reqErr):
		pr := NewProblem(r, reqErr.Status, reqErr.Detail)
		if reqErr.Type != "" {
			pr.Type = reqErr.Type
		}
		return pr, nil
	case errors.As(err, &fieldErr):
		pr := NewProblem(r, http.StatusUnprocessableEntity, "The request has invalid fields.")
		pr.Errors = fieldErr.FieldErrors()
		return pr, nil
	}
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		// The request's own context ended: the client went away. Any
		// client can do that at will, so it must not count as a 500 or
		// write an error line.
		gone := ErrorStatus{Err: context.Canceled, Status: StatusClientClosedRequest, Detail: "The client closed the request.", Expected: true}
		return NewProblem(r, gone.Status, gone.Detail), &gone
	}
	for i := range p.table {
		m := &p.table[i]
		if errors.Is(err, m.Err) {
			detail := m.Detail
			if detail == "" {
				detail = m.Err.Error()
			}
			if m.Status >= http.StatusInternalServerError && !m.Expected {
				detail = internalDetail
			}
			pr := NewProblem(r, m.Status, detail)
			if m.Type != "" {
				pr.Type = m.Type
			}
			return pr, m
		}
	}
	return NewProblem(r, http.StatusInternalServerError, internalDetail), nil
}

// Status reports the HTTP status err maps to.
func (p *Problems) Status(r *http.Request, err error) int {
	return p.Problem(r, err).Status
}

// Error logs err once (unexpected 5xx at error level with the full text,
// everything else at debug level) and writes the matching problem response
// with the headers of its table entry.
func (p *Problems) Error(w http.ResponseWriter, r *http.Request, err error) {
	pr, entry := p.match(r, err)
	if entry != nil {
		for k, vs := range entry.Header {
			for _, v := range vs {
				w.Header().Add(k, v)
			}
		}
	}
	if pr.Status >= http.StatusInternalServerError && (entry == nil || !entry.Expected) {
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
