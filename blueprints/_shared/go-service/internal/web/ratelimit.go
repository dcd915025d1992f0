package web

import (
	"math"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// rateLimitedDetail is the detail of the 429 problem.
const rateLimitedDetail = "Too many requests. Retry after the number of seconds in Retry-After."

// RateLimiterConfig configures a RateLimiter.
type RateLimiterConfig struct {
	// RPS is the sustained rate per key, in requests per second.
	RPS float64
	// Burst is the bucket size; values below 1 mean max(1, ceil(RPS)).
	Burst int
	// MaxKeys bounds the number of buckets kept; 0 means 10000. When the
	// map is full, idle buckets are evicted first, then the least recently
	// used one.
	MaxKeys int
	// IdleTTL is how long an unused bucket is kept; 0 means 10 minutes.
	IdleTTL time.Duration
	// Now replaces time.Now in tests.
	Now func() time.Time
}

// A RateLimiter keeps one token bucket per key (client address, API key,
// or a single constant key for a global limit). It starts no goroutines:
// idle buckets are evicted while it is used.
type RateLimiter struct {
	limit   rate.Limit
	burst   int
	maxKeys int
	idleTTL time.Duration
	now     func() time.Time

	mu        sync.Mutex
	buckets   map[string]*bucket
	lastSweep time.Time
}

type bucket struct {
	lim      *rate.Limiter
	lastSeen time.Time
}

// NewRateLimiter returns a RateLimiter for cfg.
func NewRateLimiter(cfg RateLimiterConfig) *RateLimiter {
	l := &RateLimiter{
		limit:   rate.Limit(cfg.RPS),
		burst:   cfg.Burst,
		maxKeys: cfg.MaxKeys,
		idleTTL: cfg.IdleTTL,
		now:     cfg.Now,
		buckets: make(map[string]*bucket),
	}
	if l.burst < 1 {
		l.burst = max(1, int(math.Ceil(cfg.RPS)))
	}
	if l.maxKeys <= 0 {
		l.maxKeys = 10000
	}
	if l.idleTTL <= 0 {
		l.idleTTL = 10 * time.Minute
	}
	if l.now == nil {
		l.now = time.Now
	}
	return l
}

// Allow takes one token from key's bucket. When none is left it returns
// false and how long the client should wait.
func (l *RateLimiter) Allow(key string) (bool, time.Duration) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[key]
	if !ok {
		l.makeRoom(now)
		b = &bucket{lim: rate.NewLimiter(l.limit, l.burst)}
		l.buckets[key] = b
	}
	b.lastSeen = now
	res := b.lim.ReserveN(now, 1)
	if !res.OK() {
		return false, time.Second
	}
	if d := res.DelayFrom(now); d > 0 {
		res.CancelAt(now)
		return false, d
	}
	return true, 0
}

// Len returns the number of buckets held.
func (l *RateLimiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}

// makeRoom evicts idle buckets at most once per IdleTTL, and the least
// recently used bucket when the map is still full. l.mu must be held.
func (l *RateLimiter) makeRoom(now time.Time) {
	if len(l.buckets) < l.maxKeys && now.Sub(l.lastSweep) < l.idleTTL {
		return
	}
	l.lastSweep = now
	var (
		oldestKey string
		oldest    time.Time
	)
	for k, b := range l.buckets {
		if now.Sub(b.lastSeen) >= l.idleTTL {
			delete(l.buckets, k)
			continue
		}
		if oldestKey == "" || b.lastSeen.Before(oldest) {
			oldestKey, oldest = k, b.lastSeen
		}
	}
	if len(l.buckets) >= l.maxKeys {
		delete(l.buckets, oldestKey)
	}
}

// A KeyFunc picks the bucket a request is counted against.
type KeyFunc func(*http.Request) string

// ClientIP keys requests by the remote address without its port. Behind a
// proxy, replace it with a KeyFunc that trusts that proxy's header.
func ClientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// Global counts every request against one shared bucket.
func Global(*http.Request) string { return "" }

// Middleware rejects requests over the limit with a 429 problem and a
// Retry-After header in whole seconds.
func (l *RateLimiter) Middleware(key KeyFunc) Middleware {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ok, wait := l.Allow(key(r))
			if !ok {
				secs := int(math.Ceil(wait.Seconds()))
				w.Header().Set("Retry-After", strconv.Itoa(max(1, secs)))
				WriteProblem(w, NewProblem(r, http.StatusTooManyRequests, rateLimitedDetail))
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}
