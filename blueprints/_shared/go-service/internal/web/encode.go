package web

import (
	"bytes"
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
// client. Problems renders it with its own Status, and Type when set
// (DefaultType(Status) otherwise).
type RequestError struct {
	Status int
	Detail string
	Err    error
	Type   string
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

// newline ends every JSON response body.
const newline = "\n"

// Encode writes v as a JSON response with the given status. Nothing is
// written when v cannot be encoded.
func Encode[T any](w http.ResponseWriter, status int, v T) error {
	body, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode json: %w", err)
	}
	w.Header()["Content-Type"] = []string{"application/json"}
	w.WriteHeader(status)
	// Two writes into the server's buffer rather than an append that
	// copies the body.
	if _, err := w.Write(body); err != nil {
		return fmt.Errorf("write response: %w", err)
	}
	if _, err := io.WriteString(w, newline); err != nil {
		return fmt.Errorf("write response: %w", err)
	}
	return nil
}

// Decode reads a JSON request body into a T. It rejects bodies over
// MaxBodyBytes (413), a Content-Type other than application/json in UTF-8
// (415), malformed JSON, unknown fields, trailing data and what
// checkStrict refuses: invalid UTF-8, repeated keys, more than MaxMembers
// members in an object, nesting deeper than MaxDepth (400). When T
// implements Validator and reports problems, Decode returns the value
// together with a *ValidationError (422).
func Decode[T any](w http.ResponseWriter, r *http.Request) (T, error) {
	var v T
	body, err := readBody(w, r, MaxBodyBytes)
	if err != nil {
		return v, err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		return v, decodeError(err)
	}
	if val, ok := any(v).(Validator); ok {
		if fields := val.Valid(r.Context()); len(fields) > 0 {
			return v, &ValidationError{Fields: fields}
		}
	}
	return v, nil
}

// DecodeObject reads a JSON object body and returns its members
// undecoded, for handlers that check each member themselves (unknown or
// null members as field errors rather than 400s). It has Decode's 413,
// 415 and 400 rules, so there are at most MaxMembers members and no key
// twice; a body that is not an object is a 400.
func DecodeObject(w http.ResponseWriter, r *http.Request) (map[string]json.RawMessage, error) {
	return DecodeObjectLimit(w, r, MaxBodyBytes)
}

// DecodeObjectLimit is DecodeObject for bodies of at most limit bytes:
// endpoints whose bodies are small (a login) refuse big ones early.
func DecodeObjectLimit(w http.ResponseWriter, r *http.Request, limit int64) (map[string]json.RawMessage, error) {
	body, err := readBody(w, r, limit)
	if err != nil {
		return nil, err
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(body, &members); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			return nil, malformed("body must be a JSON object")
		}
		return nil, decodeError(err)
	}
	if members == nil {
		return nil, malformed("body must be a JSON object")
	}
	return members, nil
}

func checkContentType(r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return &RequestError{Status: http.StatusUnsupportedMediaType, Detail: "Content-Type must be application/json", Err: ErrUnsupportedMediaType}
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/json" {
		return &RequestError{Status: http.StatusUnsupportedMediaType, Detail: "Content-Type must be application/json", Err: ErrUnsupportedMediaType}
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return &RequestError{Status: http.StatusUnsupportedMediaType, Detail: "Content-Type charset must be UTF-8", Err: ErrUnsupportedMediaType}
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
