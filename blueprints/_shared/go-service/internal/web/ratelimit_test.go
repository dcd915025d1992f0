package web

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newClock() *fakeClock { return &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }

func TestRateLimiterBurstPlusOne(t *testing.T) {
	t.Parallel()
	clock := newClock()
	l := NewRateLimiter(RateLimiterConfig{RPS: 1, Burst: 5, Now: clock.Now})
	h := l.Middleware(ClientIP)(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusOK)
	}))
	var limited int
	for range 6 {
		r := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/", nil)
		r.RemoteAddr = "192.0.2.1:1234"
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code == http.StatusTooManyRequests {
			limited++
			if got := w.Header().Get("Retry-After"); got != "1" {
				t.Errorf("Retry-After = %q, want 1", got)
			}
		}
	}
	if limited != 1 {
		t.Errorf("got %d responses with 429, want exactly 1", limited)
	}
	r := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/", nil)
	r.RemoteAddr = "192.0.2.2:1234"
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusOK {
		t.Errorf("another client got %d, want 200", w.Code)
	}
	clock.Advance(time.Second)
	if ok, _ := l.Allow("192.0.2.1"); !ok {
		t.Error("bucket did not refill after 1s")
	}
}

func TestRateLimiterGlobal(t *testing.T) {
	t.Parallel()
	l := NewRateLimiter(RateLimiterConfig{RPS: 2, Now: newClock().Now})
	for i, want := range []bool{true, true, false} {
		r := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/", nil)
		r.RemoteAddr = fmt.Sprintf("192.0.2.%d:1", i)
		if ok, _ := l.Allow(Global(r)); ok != want {
			t.Errorf("request %d allowed = %t, want %t", i, ok, want)
		}
	}
}

func TestRateLimiterZeroRate(t *testing.T) {
	t.Parallel()
	l := NewRateLimiter(RateLimiterConfig{RPS: 0, Burst: 1, Now: newClock().Now})
	if ok, _ := l.Allow("k"); !ok {
		t.Fatal("first request refused")
	}
	ok, wait := l.Allow("k")
	if ok || wait <= 0 {
		t.Errorf("Allow() = %t, %v; want refusal with a wait", ok, wait)
	}
}

func TestRateLimiterBoundedAndEvictsIdle(t *testing.T) {
	t.Parallel()
	clock := newClock()
	l := NewRateLimiter(RateLimiterConfig{RPS: 1, MaxKeys: 3, IdleTTL: time.Minute, Now: clock.Now})
	for i := range 10 {
		l.Allow(fmt.Sprintf("client-%d", i))
		clock.Advance(time.Second)
	}
	if n := l.Len(); n > 3 {
		t.Errorf("Len() = %d, want at most 3", n)
	}
	clock.Advance(2 * time.Minute)
	l.Allow("late")
	if n := l.Len(); n != 1 {
		t.Errorf("Len() after idle eviction = %d, want 1", n)
	}
}

func TestClientIP(t *testing.T) {
	t.Parallel()
	tests := []struct {
		give string
		want string
	}{
		{give: "192.0.2.1:1234", want: "192.0.2.1"},
		{give: "[2001:db8::1]:443", want: "2001:db8::1"},
		{give: "pipe", want: "pipe"},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/", nil)
			r.RemoteAddr = tt.give
			if got := ClientIP(r); got != tt.want {
				t.Errorf("ClientIP() = %q, want %q", got, tt.want)
			}
		})
	}
}
