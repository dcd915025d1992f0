package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

var (
	errMissing = errors.New("thing not found")
	errTaken   = errors.New("name taken")
	errBroken  = errors.New("dependency broken")
	errBusy    = errors.New("queue full")
)

func TestProblemsStatus(t *testing.T) {
	t.Parallel()
	p := NewProblems(discardLogger(),
		ErrorStatus{Err: errMissing, Status: http.StatusNotFound},
		ErrorStatus{Err: errTaken, Status: http.StatusConflict, Detail: "That name is taken.", Type: "/problems/name-taken"},
		ErrorStatus{Err: errBroken, Status: http.StatusBadGateway, Detail: "leaks"},
		ErrorStatus{Err: errBusy, Status: http.StatusServiceUnavailable, Detail: "Busy, retry later.", Expected: true},
	)
	tests := []struct {
		name       string
		give       error
		wantStatus int
		wantDetail string
		wantType   string
	}{
		{name: "table sentinel", give: fmt.Errorf("get thing 7: %w", errMissing), wantStatus: http.StatusNotFound, wantDetail: "thing not found", wantType: TypeNotFound},
		{name: "table detail and type", give: errTaken, wantStatus: http.StatusConflict, wantDetail: "That name is taken.", wantType: "/problems/name-taken"},
		{name: "table 5xx hides detail", give: errBroken, wantStatus: http.StatusBadGateway, wantDetail: internalDetail, wantType: TypeBlank},
		{name: "expected 5xx keeps detail", give: errBusy, wantStatus: http.StatusServiceUnavailable, wantDetail: "Busy, retry later.", wantType: TypeBlank},
		{name: "request error", give: &RequestError{Status: http.StatusBadRequest, Detail: "limit too large"}, wantStatus: http.StatusBadRequest, wantDetail: "limit too large", wantType: TypeMalformedRequest},
		{name: "request error with type", give: &RequestError{Status: http.StatusBadRequest, Detail: "bad cursor", Type: "/problems/invalid-cursor"}, wantStatus: http.StatusBadRequest, wantDetail: "bad cursor", wantType: "/problems/invalid-cursor"},
		{name: "validation", give: fmt.Errorf("create: %w", &ValidationError{Fields: map[string]string{"a": "b"}}), wantStatus: http.StatusUnprocessableEntity, wantDetail: "The request has invalid fields.", wantType: TypeValidation},
		{name: "unknown", give: errors.New("db password=hunter2"), wantStatus: http.StatusInternalServerError, wantDetail: internalDetail, wantType: TypeInternal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/things/7", nil)
			got := p.Problem(r, tt.give)
			if got.Status != tt.wantStatus || got.Detail != tt.wantDetail {
				t.Errorf("Problem() = %d %q, want %d %q", got.Status, got.Detail, tt.wantStatus, tt.wantDetail)
			}
			if got.Instance != "/things/7" || got.Type != tt.wantType || got.Title != http.StatusText(tt.wantStatus) {
				t.Errorf("Problem() = %+v", got)
			}
			if s := p.Status(r, tt.give); s != tt.wantStatus {
				t.Errorf("Status() = %d, want %d", s, tt.wantStatus)
			}
		})
	}
}

func TestProblemsErrorLogsOnceAndHidesInternals(t *testing.T) {
	t.Parallel()
	log, buf := newTestLogger(slog.LevelInfo)
	p := NewProblems(log)
	const secret = "s3cret-connection-string"
	w := httptest.NewRecorder()
	r := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/x", nil)
	r = r.WithContext(WithRequestID(r.Context(), "req-1"))
	p.Error(w, r, fmt.Errorf("query: %w", errors.New(secret)))

	if w.Code != http.StatusInternalServerError {
		t.Fatalf("status = %d", w.Code)
	}
	if ct := w.Header().Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("Content-Type = %q", ct)
	}
	if strings.Contains(w.Body.String(), secret) {
		t.Errorf("body leaks the internal error: %s", w.Body)
	}
	var got Problem
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
		t.Fatalf("body is not JSON: %v", err)
	}
	if got.RequestID != "req-1" {
		t.Errorf("request_id = %q", got.RequestID)
	}
	if n := strings.Count(buf.String(), secret); n != 1 {
		t.Errorf("secret logged %d times, want 1:\n%s", n, buf)
	}
}

func TestProblemsErrorClientErrorsLogAtDebug(t *testing.T) {
	t.Parallel()
	log, buf := newTestLogger(slog.LevelInfo)
	p := NewProblems(log, ErrorStatus{Err: errMissing, Status: http.StatusNotFound})
	w := httptest.NewRecorder()
	p.Error(w, httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/x", nil), errMissing)
	if w.Code != http.StatusNotFound {
		t.Fatalf("status = %d", w.Code)
	}
	if buf.String() != "" {
		t.Errorf("4xx logged at info: %s", buf)
	}
}

// TestProblemsErrorClientGone: a client that sends a request and hangs up
// ends its context, and the handler's error wraps context.Canceled. That
// was a 500 logged at error level: any client could write error lines and
// count 5xx responses at will (20,000 in 16 s from one flood of logins
// with a 300 ms client timeout), which is what alerts are built on. It is
// 499 (client closed request) at debug level. A cancellation the client
// did not cause stays a 500.
func TestProblemsErrorClientGone(t *testing.T) {
	t.Parallel()
	log, buf := newTestLogger(slog.LevelInfo)
	p := NewProblems(log)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	w := httptest.NewRecorder()
	p.Error(w, httptest.NewRequestWithContext(ctx, http.MethodPost, "/x", nil), fmt.Errorf("login: select user: %w", context.Canceled))
	if w.Code != 499 {
		t.Errorf("status = %d, want 499", w.Code)
	}
	if buf.String() != "" {
		t.Errorf("a request the client abandoned was logged at info or above: %s", buf)
	}
	w = httptest.NewRecorder()
	p.Error(w, httptest.NewRequestWithContext(t.Context(), http.MethodPost, "/x", nil), fmt.Errorf("worker: %w", context.Canceled))
	if w.Code != http.StatusInternalServerError || !strings.Contains(buf.String(), "request failed") {
		t.Errorf("a cancellation the client did not cause: status %d, log %q; want 500 logged", w.Code, buf)
	}
}

func TestProblemsErrorExpected5xxWithHeaders(t *testing.T) {
	t.Parallel()
	log, buf := newTestLogger(slog.LevelInfo)
	p := NewProblems(log, ErrorStatus{
		Err: errBusy, Status: http.StatusServiceUnavailable, Detail: "Busy, retry later.",
		Expected: true, Header: http.Header{"Retry-After": {"1"}},
	})
	w := httptest.NewRecorder()
	p.Error(w, httptest.NewRequestWithContext(t.Context(), http.MethodPost, "/x", nil), fmt.Errorf("submit: %w", errBusy))
	if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") != "1" {
		t.Fatalf("status = %d, Retry-After = %q", w.Code, w.Header().Get("Retry-After"))
	}
	if !strings.Contains(w.Body.String(), "Busy, retry later.") {
		t.Errorf("body = %s", w.Body)
	}
	if buf.String() != "" {
		t.Errorf("an expected 5xx was logged at info or above: %s", buf)
	}
}
