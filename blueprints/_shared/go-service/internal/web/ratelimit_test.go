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

// TestRateLimiterKeepsIdleBucketsUntilRefilled: a bucket dropped for being
// idle comes back full, so it must not be dropped before it would have
// refilled anyway. With 100 attempts and then one a minute (a per-account
// login limit), pausing for ten minutes must earn ten attempts, not a
// fresh 100.
func TestRateLimiterKeepsIdleBucketsUntilRefilled(t *testing.T) {
	t.Parallel()
	clock := newClock()
	l := NewRateLimiter(RateLimiterConfig{RPS: 1.0 / 60, Burst: 100, Now: clock.Now})
	for i := range 100 {
		if ok, _ := l.Allow("account"); !ok {
			t.Fatalf("attempt %d refused within the burst", i+1)
		}
	}
	if ok, _ := l.Allow("account"); ok {
		t.Fatal("attempt 101 allowed")
	}
	clock.Advance(11 * time.Minute)
	l.Allow("someone else") // a new key drops the buckets idle for IdleTTL
	allowed := 0
	for range 100 {
		if ok, _ := l.Allow("account"); ok {
			allowed++
		}
	}
	if allowed > 11 {
		t.Errorf("after 11 idle minutes %d attempts allowed, want at most 11 (one a minute)", allowed)
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

func TestRateLimiterAllowN(t *testing.T) {
	t.Parallel()
	clock := newClock()
	l := NewRateLimiter(RateLimiterConfig{RPS: 10, Burst: 10, Now: clock.Now})
	tests := []struct {
		name     string
		giveN    int
		wantOK   bool
		wantWait bool
	}{
		{name: "batch of 7", giveN: 7, wantOK: true},
		{name: "4 more than left", giveN: 4, wantWait: true},
		{name: "the 3 left", giveN: 3, wantOK: true},
		{name: "nothing costs nothing", giveN: 0, wantOK: true},
		{name: "above burst never passes", giveN: 11},
	}
	for _, tt := range tests { // in order: each row spends the bucket
		ok, wait := l.AllowN("k", tt.giveN)
		if ok != tt.wantOK || (wait > 0) != tt.wantWait {
			t.Errorf("%s: AllowN(%d) = %t, %v; want %t, wait %t", tt.name, tt.giveN, ok, wait, tt.wantOK, tt.wantWait)
		}
	}
	clock.Advance(time.Second)
	if ok, _ := l.AllowN("k", 10); !ok {
		t.Error("a full burst was refused after the bucket refilled")
	}
	if l.Burst() != 10 {
		t.Errorf("Burst() = %d", l.Burst())
	}
}

func TestRateLimiterTake(t *testing.T) {
	t.Parallel()
	l := NewRateLimiter(RateLimiterConfig{RPS: 1, Burst: 3, Now: newClock().Now})
	tests := []struct {
		name           string
		giveN          int
		wantOK         bool
		wantRetryAfter string
	}{
		{name: "fits", giveN: 3, wantOK: true},
		{name: "empty bucket", giveN: 2, wantRetryAfter: "2"},
		{name: "too big ever", giveN: 4},
	}
	for _, tt := range tests {
		r := httptest.NewRequestWithContext(t.Context(), http.MethodPost, "/v1/events", nil)
		w := httptest.NewRecorder()
		if got := l.Take(w, r, "client", tt.giveN); got != tt.wantOK {
			t.Fatalf("%s: Take() = %t, want %t", tt.name, got, tt.wantOK)
		}
		if tt.wantOK {
			if w.Code != http.StatusOK || w.Body.Len() != 0 {
				t.Errorf("%s: Take wrote a response when it allowed", tt.name)
			}
			continue
		}
		if w.Code != http.StatusTooManyRequests || w.Header().Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s: status %d, %s", tt.name, w.Code, w.Header().Get("Content-Type"))
		}
		if got := w.Header().Get("Retry-After"); got != tt.wantRetryAfter {
			t.Errorf("%s: Retry-After = %q, want %q", tt.name, got, tt.wantRetryAfter)
		}
	}
}

// TestRateLimiterRefund: tokens refunded for a request refused for another
// reason (a full queue) cost the client nothing; a refund is used once.
func TestRateLimiterRefund(t *testing.T) {
	t.Parallel()
	clock := newClock()
	l := NewRateLimiter(RateLimiterConfig{RPS: 0.001, Burst: 10, Now: clock.Now})
	tokens, ok, _ := l.Reserve("k", 10)
	if !ok {
		t.Fatal("a full burst was refused")
	}
	if ok, _ := l.AllowN("k", 1); ok {
		t.Fatal("a spent bucket allowed more")
	}
	clock.Advance(time.Millisecond) // the refund comes after the request ran
	tokens.Refund()
	tokens.Refund() // no double credit
	if ok, _ := l.AllowN("k", 10); !ok {
		t.Error("refunded tokens were not given back")
	}
	if ok, _ := l.AllowN("k", 1); ok {
		t.Error("a second refund credited the bucket again")
	}
	var zero Tokens
	zero.Refund() // the zero Tokens (a refused or free request) refunds nothing
}

// TestRateLimiterFullMapKeepsFlooder reproduces a limiter that forgot
// buckets when its map filled up, handing a flooding client a fresh
// budget: a full map drops the key used least recently, and the key still
// flooding stays limited.
func TestRateLimiterFullMapKeepsFlooder(t *testing.T) {
	t.Parallel()
	clock := newClock()
	l := NewRateLimiter(RateLimiterConfig{RPS: 0.001, Burst: 10, MaxKeys: 3, Now: clock.Now})
	for _, key := range []string{"idle", "flood"} {
		if ok, _ := l.AllowN(key, 10); !ok {
			t.Fatalf("first request of %s refused", key)
		}
	}
	for i := range 100 {
		clock.Advance(time.Millisecond)
		if ok, _ := l.Allow("flood"); ok {
			t.Fatalf("flooding key allowed again after %d new keys", i)
		}
		if ok, _ := l.AllowN(fmt.Sprintf("new-%d", i), 10); !ok {
			t.Fatalf("new key %d refused its first request", i)
		}
		if n := l.Len(); n > 3 {
			t.Fatalf("%d buckets held, want at most 3", n)
		}
	}
	// The idle key's spent bucket was dropped first: it starts afresh.
	if ok, _ := l.AllowN("idle", 10); !ok {
		t.Error("the idle key's bucket outlived newer ones")
	}
}

// TestRateLimiterFullMapKeepsSpentBucket reproduces a per-account login
// limit reset by a crowd: an attacker spent an account's budget, then sent
// one login each for thousands of made-up emails until the map was full
// and the least recently used bucket, the spent one, was dropped; the
// account came back with a full budget (100 more guesses every 20 s from
// about 2000 addresses). A new key at a full map must push out a bucket
// that still holds tokens, never the spent one, as long as there is one.
func TestRateLimiterFullMapKeepsSpentBucket(t *testing.T) {
	t.Parallel()
	clock := newClock()
	l := NewRateLimiter(RateLimiterConfig{RPS: 1.0 / 60, Burst: 100, MaxKeys: 50, Now: clock.Now})
	if ok, _ := l.AllowN("account", 100); !ok {
		t.Fatal("the account's first attempts refused")
	}
	for i := range 1000 {
		clock.Advance(10 * time.Millisecond)
		if ok, _ := l.Allow(fmt.Sprintf("made-up-%d", i)); !ok {
			t.Fatalf("new key %d refused its first request", i)
		}
		if n := l.Len(); n > 50 {
			t.Fatalf("%d buckets held, want at most 50", n)
		}
	}
	if ok, _ := l.Allow("account"); ok {
		t.Error("the spent account bucket was dropped for fresher ones: the account got a new budget")
	}
}

// TestRateLimiterOnLimited: OnLimited names a refused key once, then at
// most once a minute, so a flood does not flood the log.
func TestRateLimiterOnLimited(t *testing.T) {
	t.Parallel()
	clock := newClock()
	var named []string
	l := NewRateLimiter(RateLimiterConfig{
		RPS: 0.001, Burst: 1, Now: clock.Now,
		OnLimited: func(key string) { named = append(named, key) },
	})
	for _, key := range []string{"flood", "other"} {
		if ok, _ := l.Allow(key); !ok {
			t.Fatal("first request refused")
		}
	}
	if len(named) != 0 {
		t.Fatalf("OnLimited called for allowed requests: %v", named)
	}
	for range 100 {
		clock.Advance(100 * time.Millisecond)
		l.Allow("flood")
	}
	clock.Advance(51 * time.Second) // 61 s after the first refusal
	l.Allow("flood")
	l.Allow("other")
	l.Allow("other")
	want := []string{"flood", "flood", "other"}
	if fmt.Sprint(named) != fmt.Sprint(want) {
		t.Errorf("OnLimited named %v, want %v", named, want)
	}
}

// BenchmarkRateLimiterNewClients: every request comes from a key the full
// map has not seen (address churn, a crowd of new clients), the case that
// makes room in the map on every call.
func BenchmarkRateLimiterNewClients(b *testing.B) {
	const keys = 10000
	l := NewRateLimiter(RateLimiterConfig{RPS: 100, MaxKeys: keys})
	names := make([]string, 4*keys)
	for i := range names {
		names[i] = fmt.Sprintf("198.51.%d.%d", i/256, i%256)
	}
	for _, k := range names[:keys] {
		l.Allow(k)
	}
	b.ReportAllocs()
	i := keys
	for b.Loop() {
		l.Allow(names[i%len(names)])
		i++
	}
}

// BenchmarkRateLimiterKnownClients: many clients, each already holding a
// bucket.
func BenchmarkRateLimiterKnownClients(b *testing.B) {
	const keys = 10000
	l := NewRateLimiter(RateLimiterConfig{RPS: 1e9, MaxKeys: keys})
	names := make([]string, keys)
	for i := range names {
		names[i] = fmt.Sprintf("198.51.%d.%d", i/256, i%256)
		l.Allow(names[i])
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		l.Allow(names[i%keys])
		i++
	}
}
