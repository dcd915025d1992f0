package health

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

func ok(context.Context) error { return nil }

func failing(context.Context) error { return errors.New("connection refused") }

func slow(ctx context.Context) error {
	<-ctx.Done()
	return ctx.Err()
}

func TestReady(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		giveChecks []Check
		giveStop   bool
		wantStatus int
		wantChecks map[string]string
	}{
		{name: "no checks", wantStatus: http.StatusOK},
		{name: "all pass", giveChecks: []Check{{"db", ok}, {"cache", ok}}, wantStatus: http.StatusOK, wantChecks: map[string]string{"db": "ok", "cache": "ok"}},
		{name: "one fails", giveChecks: []Check{{"db", failing}, {"cache", ok}}, wantStatus: http.StatusServiceUnavailable, wantChecks: map[string]string{"db": "failing", "cache": "ok"}},
		{name: "timeout", giveChecks: []Check{{"db", slow}}, wantStatus: http.StatusServiceUnavailable, wantChecks: map[string]string{"db": "failing"}},
		{name: "shutting down", giveChecks: []Check{{"db", ok}}, giveStop: true, wantStatus: http.StatusServiceUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := New(discard(), tt.giveChecks...)
			h.SetTimeout(50 * time.Millisecond)
			if tt.giveStop {
				h.BeginShutdown()
			}
			w := httptest.NewRecorder()
			h.Ready(w, httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/readyz", nil))
			if w.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d", w.Code, tt.wantStatus)
			}
			var got report
			if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
				t.Fatal(err)
			}
			for name, want := range tt.wantChecks {
				if got.Checks[name] != want {
					t.Errorf("check %s = %q, want %q", name, got.Checks[name], want)
				}
			}
		})
	}
}

func TestLiveIgnoresDependencies(t *testing.T) {
	t.Parallel()
	h := New(discard(), Check{Name: "db", Ping: failing})
	h.BeginShutdown()
	w := httptest.NewRecorder()
	h.Live(w, httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/livez", nil))
	if w.Code != http.StatusOK {
		t.Errorf("status = %d, want 200", w.Code)
	}
	if !h.ShuttingDown() {
		t.Error("ShuttingDown() = false after BeginShutdown")
	}
}
