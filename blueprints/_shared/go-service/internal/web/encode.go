package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
)

// MaxBodyBytes is the largest request body Decode accepts.
const MaxBodyBytes = 1 << 20

// Sentinel errors wrapped by the *RequestError values Decode returns.
var (
	ErrBodyTooLarge         = errors.New("request body too large")
	ErrUnsupportedMediaType = errors.New("unsupported media type")
	ErrMalformedBody        = errors.New("malformed request body")
)

// A Validator reports invalid fields of a decoded value: field name to a
// message for the client. An empty or nil map means the value is valid.
type Validator interface {
	Valid(ctx context.Context) map[string]string
}

// A RequestError is a client error whose Detail is safe to show to the
// client. Problems renders it with its own Status.
type RequestError struct {
	Status int
	Detail string
	Err    error
}

func (e *RequestError) Error() string {
	if e.Err == nil {
		return e.Detail
	}
	return e.Detail + ": " + e.Err.Error()
}

func (e *RequestError) Unwrap() error { return e.Err }

// A ValidationError lists invalid fields. Problems renders it as 422 with
// an "errors" member.
type ValidationError struct {
	Fields map[string]string
}

func (e *ValidationError) Error() string {
	return fmt.Sprintf("validation failed on %d field(s)", len(e.Fields))
}

// FieldErrors returns the invalid fields; Problems looks for this method,
// so domain packages can define their own validation error types.
func (e *ValidationError) FieldErrors() map[string]string { return e.Fields }

// Encode writes v as a JSON response with the given status.
func Encode[T any](w http.ResponseWriter, status int, v T) error {
	body, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode json: %w", err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if _, err := w.Write(append(body, '\n')); err != nil {
		return fmt.Errorf("write response: %w", err)
	}
	return nil
}

// Decode reads a JSON request body into a T. It rejects bodies over
// MaxBodyBytes (413), a Content-Type other than application/json (415),
// malformed JSON, unknown fields and trailing data (400). When T implements
// Validator and reports problems, Decode returns the value together with a
// *ValidationError (422).
func Decode[T any](w http.ResponseWriter, r *http.Request) (T, error) {
	var v T
	if err := checkContentType(r); err != nil {
		return v, err
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		return v, decodeError(err)
	}
	if err := dec.Decode(&struct{}{}); !errors.Is(err, io.EOF) {
		return v, &RequestError{Status: http.StatusBadRequest, Detail: "body must hold a single JSON value", Err: ErrMalformedBody}
	}
	if val, ok := any(v).(Validator); ok {
		if fields := val.Valid(r.Context()); len(fields) > 0 {
			return v, &ValidationError{Fields: fields}
		}
	}
	return v, nil
}

func checkContentType(r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return &RequestError{Status: http.StatusUnsupportedMediaType, Detail: "Content-Type must be application/json", Err: ErrUnsupportedMediaType}
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/json" {
		return &RequestError{Status: http.StatusUnsupportedMediaType, Detail: "Content-Type must be application/json", Err: ErrUnsupportedMediaType}
	}
	return nil
}

func decodeError(err error) error {
	var (
		maxErr    *http.MaxBytesError
		syntaxErr *json.SyntaxError
		typeErr   *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &maxErr):
		return &RequestError{Status: http.StatusRequestEntityTooLarge, Detail: fmt.Sprintf("body must not exceed %d bytes", maxErr.Limit), Err: ErrBodyTooLarge}
	case errors.As(err, &syntaxErr):
		return &RequestError{Status: http.StatusBadRequest, Detail: fmt.Sprintf("malformed JSON at offset %d", syntaxErr.Offset), Err: ErrMalformedBody}
	case errors.As(err, &typeErr):
		return &RequestError{Status: http.StatusBadRequest, Detail: fmt.Sprintf("field %q has the wrong type", typeErr.Field), Err: ErrMalformedBody}
	case errors.Is(err, io.EOF):
		return &RequestError{Status: http.StatusBadRequest, Detail: "body must not be empty", Err: ErrMalformedBody}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return &RequestError{Status: http.StatusBadRequest, Detail: "malformed JSON", Err: ErrMalformedBody}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		// encoding/json has no typed error for unknown fields.
		field := strings.TrimPrefix(err.Error(), "json: unknown field ")
		return &RequestError{Status: http.StatusBadRequest, Detail: "unknown field " + field, Err: ErrMalformedBody}
	default:
		return &RequestError{Status: http.StatusBadRequest, Detail: "malformed JSON", Err: ErrMalformedBody}
	}
}
