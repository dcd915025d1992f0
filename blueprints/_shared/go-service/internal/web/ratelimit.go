package web

import (
	"container/list"
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
	// RPS is the sustained rate per key, in requests (or tokens) per
	// second.
	RPS float64
	// Burst is the bucket size; values below 1 mean max(1, ceil(RPS)).
	Burst int
	// MaxKeys bounds the number of buckets kept; 0 means 10000. When a new
	// key arrives at a full map, the bucket holding the most tokens among
	// the evictWindow used least recently is dropped (the oldest of
	// equals). A dropped bucket comes back full, so this forgets as little
	// as it can: a client that keeps sending stays at the front, and a
	// spent bucket (an account whose login budget an attacker used up)
	// outlives the buckets a crowd of new keys leaves nearly full, so
	// neither a full map nor a flood of made-up keys hands it a fresh one.
	MaxKeys int
	// IdleTTL is how long an unused bucket is kept; 0 means 10 minutes.
	// It is never shorter than the time an empty bucket takes to refill
	// (Burst/RPS): a dropped bucket comes back full, so dropping it
	// earlier would give a client that pauses tokens it has not earned.
	IdleTTL time.Duration
	// OnLimited, when set, is called with a key the first time it is
	// refused, then at most once a minute while it stays over its limit:
	// enough to name a client in a log without a line per refusal. It is
	// called without the limiter's lock held.
	OnLimited func(key string)
	// Now replaces time.Now in tests.
	Now func() time.Time
}

// maxRefill caps the idle time derived from Burst/RPS (a year: for a rate
// that slow, a bucket is as good as never refilled).
const maxRefill = 365 * 24 * time.Hour

// evictWindow is how many of the least recently used buckets a new key at
// a full map chooses from: enough that a crowd of one-request keys cannot
// line up in front of a spent bucket, few enough to keep a new key cheap.
const evictWindow = 8

// limitedReportEvery is how often OnLimited may name the same key.
const limitedReportEvery = time.Minute

// A RateLimiter keeps one token bucket per key (client address, API key,
// or a single constant key for a global limit). It starts no goroutines.
// Its buckets sit in a list ordered by last use, so finding a key, making
// room for a new one and dropping idle ones cost O(1) whatever the number
// of keys: idle buckets are taken off the end of the list as keys are
// used.
type RateLimiter struct {
	limit     rate.Limit
	burst     int
	maxKeys   int
	idleTTL   time.Duration
	onLimited func(key string)
	now       func() time.Time

	mu      sync.Mutex
	recent  *list.List               // of *bucket, most recently used first
	buckets map[string]*list.Element // key -> element of recent
}

type bucket struct {
	key      string
	lim      *rate.Limiter
	lastSeen time.Time
	reported time.Time // when OnLimited last named the key
}

// NewRateLimiter returns a RateLimiter for cfg.
func NewRateLimiter(cfg RateLimiterConfig) *RateLimiter {
	l := &RateLimiter{
		limit:     rate.Limit(cfg.RPS),
		burst:     cfg.Burst,
		maxKeys:   cfg.MaxKeys,
		idleTTL:   cfg.IdleTTL,
		onLimited: cfg.OnLimited,
		now:       cfg.Now,
		recent:    list.New(),
		buckets:   make(map[string]*list.Element),
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
	if cfg.RPS > 0 {
		// In float64 seconds first: a tiny rate would overflow a Duration.
		refill := float64(l.burst) / cfg.RPS
		if refill >= maxRefill.Seconds() {
			l.idleTTL = maxRefill
		} else {
			l.idleTTL = max(l.idleTTL, time.Duration(refill*float64(time.Second)))
		}
	}
	if l.now == nil {
		l.now = time.Now
	}
	return l
}

// Allow takes one token from key's bucket. When none is left it returns
// false and how long the client should wait.
func (l *RateLimiter) Allow(key string) (bool, time.Duration) {
	return l.AllowN(key, 1)
}

// AllowN takes n tokens from key's bucket: the cost of a request that
// counts as n (a batch of n events, a login that costs n). When fewer are
// left it takes none and returns false and how long the client should
// wait. A cost above Burst can never be paid: AllowN returns false and a
// zero wait. n <= 0 is always allowed.
func (l *RateLimiter) AllowN(key string, n int) (bool, time.Duration) {
	if n <= 0 {
		return true, 0
	}
	now := l.now()
	b := l.bucket(key, now)
	if n <= l.burst {
		// Kept apart from Reserve so that the reservation stays on the
		// stack: AllowN allocates nothing for a known key.
		res := b.lim.ReserveN(now, n)
		wait, ok := l.granted(res, now)
		if !ok {
			return false, l.refused(b, key, now, wait)
		}
		return true, 0
	}
	return false, l.refused(b, key, now, 0)
}

// Tokens are tokens taken by Reserve.
type Tokens struct {
	res *rate.Reservation
	at  time.Time
}

// Refund gives the tokens back to their bucket, for a request that was
// refused after all for a reason that is not the client's (a full queue,
// a dependency down), so that it costs the client nothing. Refunding
// twice, or the zero Tokens, does nothing.
func (t *Tokens) Refund() {
	if t.res == nil {
		return
	}
	// Cancelling at the time the tokens were taken puts them all back
	// (less what later takers already spent), capped at the burst.
	t.res.CancelAt(t.at)
	t.res = nil
}

// Reserve is AllowN that also returns the tokens taken, so that a handler
// can refund them when it refuses the request for another reason.
func (l *RateLimiter) Reserve(key string, n int) (Tokens, bool, time.Duration) {
	if n <= 0 {
		return Tokens{}, true, 0
	}
	now := l.now()
	b := l.bucket(key, now)
	if n <= l.burst {
		res := b.lim.ReserveN(now, n)
		wait, ok := l.granted(res, now)
		if !ok {
			return Tokens{}, false, l.refused(b, key, now, wait)
		}
		return Tokens{res: res, at: now}, true, 0
	}
	return Tokens{}, false, l.refused(b, key, now, 0)
}

// granted reports whether res lets its tokens be used at now; if not, it
// cancels res and returns how long to wait.
func (l *RateLimiter) granted(res *rate.Reservation, now time.Time) (time.Duration, bool) {
	if !res.OK() {
		return time.Second, false // a zero rate: try again later
	}
	wait := res.DelayFrom(now)
	if wait <= 0 {
		return 0, true
	}
	res.CancelAt(now)
	return wait, false
}

// refused reports a refusal of key to OnLimited when it is due, and
// returns wait.
func (l *RateLimiter) refused(b *bucket, key string, now time.Time, wait time.Duration) time.Duration {
	if l.onLimited != nil && l.due(b, now) {
		l.onLimited(key)
	}
	return wait
}

// bucket returns key's bucket, marked as used at now. A new key first
// drops the buckets idle for IdleTTL from the end of the list, then, if
// the map is still full, the one that loses least (dropFullest).
func (l *RateLimiter) bucket(key string, now time.Time) *bucket {
	l.mu.Lock()
	defer l.mu.Unlock()
	if e, ok := l.buckets[key]; ok {
		b := e.Value.(*bucket)
		b.lastSeen = now
		l.recent.MoveToFront(e)
		return b
	}
	for e := l.recent.Back(); e != nil; e = l.recent.Back() {
		old := e.Value.(*bucket)
		if now.Sub(old.lastSeen) < l.idleTTL {
			break
		}
		l.remove(e)
	}
	if len(l.buckets) >= l.maxKeys {
		l.dropFullest(now)
	}
	b := &bucket{key: key, lim: rate.NewLimiter(l.limit, l.burst), lastSeen: now}
	l.buckets[key] = l.recent.PushFront(b)
	return b
}

// dropFullest drops the bucket with the most whole tokens at now among
// the evictWindow used least recently, the oldest of equals: a full one
// loses nothing (it would come back the same), a spent one is kept while
// a fuller one can go.
func (l *RateLimiter) dropFullest(now time.Time) {
	var victim *list.Element
	most := math.Inf(-1)
	e := l.recent.Back()
	for range evictWindow {
		if e == nil {
			break
		}
		// Whole tokens: a bucket spent a moment earlier has refilled a
		// fraction more than one spent now, which must not make it go
		// first (it may be the client that keeps sending).
		if tokens := math.Floor(e.Value.(*bucket).lim.TokensAt(now)); tokens > most {
			victim, most = e, tokens
			if tokens >= float64(l.burst) {
				break
			}
		}
		e = e.Prev()
	}
	if victim != nil {
		l.remove(victim)
	}
}

func (l *RateLimiter) remove(e *list.Element) {
	l.recent.Remove(e)
	delete(l.buckets, e.Value.(*bucket).key)
}

// due reports whether OnLimited should name b's key now.
func (l *RateLimiter) due(b *bucket, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !b.reported.IsZero() && now.Sub(b.reported) < limitedReportEvery {
		return false
	}
	b.reported = now
	return true
}

// Burst returns the bucket size: the largest cost AllowN can allow.
func (l *RateLimiter) Burst() int { return l.burst }

// Len returns the number of buckets held.
func (l *RateLimiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
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
			if !l.Take(w, r, key(r), 1) {
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// Take takes n tokens from key's bucket for the request r, for handlers
// that know a request's cost only once they have read it. When the bucket
// cannot pay, Take writes the 429 problem (with Retry-After when waiting
// helps) and returns false; the handler must then return.
func (l *RateLimiter) Take(w http.ResponseWriter, r *http.Request, key string, n int) bool {
	ok, wait := l.AllowN(key, n)
	if ok {
		return true
	}
	WriteRateLimited(w, r, wait)
	return false
}

// WriteRateLimited writes the 429 problem for a request refused by a
// limit, with Retry-After in whole seconds (at least 1) when wait > 0.
func WriteRateLimited(w http.ResponseWriter, r *http.Request, wait time.Duration) {
	detail := rateLimitedDetail
	if wait > 0 {
		secs := int(math.Ceil(wait.Seconds()))
		w.Header().Set("Retry-After", strconv.Itoa(max(1, secs)))
	} else {
		detail = "This request costs more than the rate limit ever allows at once."
	}
	WriteProblem(w, NewProblem(r, http.StatusTooManyRequests, detail))
}
