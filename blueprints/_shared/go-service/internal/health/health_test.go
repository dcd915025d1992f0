package health

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
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

// TestReadyShares the check in flight: /readyz (and grpc.health.v1) need
// no token and have no rate limit, and every request ran its own database
// ping, so a flood of them from one client (3,300/s) held the pool the API
// calls need (an authenticated GET went from 1 ms to 60-74 ms at the
// median, against 17 ms under the same flood of /livez). Concurrent
// requests now wait for the check already running and share its result;
// a request that comes after it ended runs a new one, so a change is still
// seen at once.
func TestReadyShares(t *testing.T) {
	t.Parallel()
	var pings atomic.Int64
	release := make(chan struct{})
	h := New(discard(), Check{Name: "db", Ping: func(ctx context.Context) error {
		pings.Add(1)
		select {
		case <-release:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}})
	const callers = 50
	var entered sync.WaitGroup
	entered.Add(callers)
	var wg sync.WaitGroup
	for range callers {
		wg.Go(func() {
			rec := httptest.NewRecorder()
			entered.Done()
			h.Ready(rec, httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/readyz", nil))
			if rec.Code != http.StatusOK {
				t.Errorf("status = %d, want 200", rec.Code)
			}
		})
	}
	entered.Wait()
	for pings.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond) // the other callers reach the check in flight
	close(release)
	wg.Wait()
	if n := pings.Load(); n > 2 {
		t.Errorf("%d concurrent readiness requests ran %d checks, want them to share one", callers, n)
	}
	// A request after the shared check ended sees a new result.
	h.checks[0].Ping = failing
	rec := httptest.NewRecorder()
	h.Ready(rec, httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/readyz", nil))
	if rec.Code != http.StatusServiceUnavailable {
		t.Errorf("after the check started failing: status = %d, want 503", rec.Code)
	}
}
