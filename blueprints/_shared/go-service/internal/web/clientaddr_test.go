package web

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestClientAddr(t *testing.T) {
	t.Parallel()
	proxies := TrustProxies([]netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("2001:db8:ffff::/48")})
	tests := []struct {
		name        string
		giveProxies *Proxies
		givePeer    string
		giveXFF     []string
		want        string
	}{
		{name: "no proxy trusted ignores the header", givePeer: "192.0.2.1:1234", giveXFF: []string{"203.0.113.9"}, want: "192.0.2.1"},
		{name: "untrusted peer ignores the header", giveProxies: proxies, givePeer: "192.0.2.1:1234", giveXFF: []string{"203.0.113.9"}, want: "192.0.2.1"},
		{name: "trusted peer: the last hop", giveProxies: proxies, givePeer: "10.1.1.1:80", giveXFF: []string{"203.0.113.9"}, want: "203.0.113.9"},
		{name: "spoofed entries left of the real client", giveProxies: proxies, givePeer: "10.1.1.1:80", giveXFF: []string{"1.1.1.1, 8.8.8.8, 203.0.113.9"}, want: "203.0.113.9"},
		{name: "chain of trusted proxies", giveProxies: proxies, givePeer: "10.1.1.1:80", giveXFF: []string{"203.0.113.9, 10.2.2.2, 10.3.3.3"}, want: "203.0.113.9"},
		{name: "several headers in order", giveProxies: proxies, givePeer: "10.1.1.1:80", giveXFF: []string{"6.6.6.6", "203.0.113.9"}, want: "203.0.113.9"},
		{name: "all hops trusted: the leftmost", giveProxies: proxies, givePeer: "10.1.1.1:80", giveXFF: []string{"10.2.2.2, 10.3.3.3"}, want: "10.2.2.2"},
		{name: "malformed hop stops at the proxy", giveProxies: proxies, givePeer: "10.1.1.1:80", giveXFF: []string{"203.0.113.9, garbage"}, want: "10.1.1.1"},
		{name: "no header behind a proxy", giveProxies: proxies, givePeer: "10.1.1.1:80", want: "10.1.1.1"},
		{name: "ipv6 hop with brackets and port", giveProxies: proxies, givePeer: "[2001:db8:ffff::1]:443", giveXFF: []string{"[2001:db8:1:2::3]:5555"}, want: "2001:db8:1:2::3"},
		{name: "ipv4-mapped peer", giveProxies: proxies, givePeer: "[::ffff:10.1.1.1]:80", giveXFF: []string{"203.0.113.9"}, want: "203.0.113.9"},
		{name: "not an IP peer", givePeer: "pipe", want: "invalid IP"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/", nil)
			r.RemoteAddr = tt.givePeer
			for _, v := range tt.giveXFF {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := tt.giveProxies.ClientAddr(r).String(); got != tt.want {
				t.Errorf("ClientAddr() = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestClientKey(t *testing.T) {
	t.Parallel()
	tests := []struct {
		give string
		want string
	}{
		{give: "192.0.2.1:1234", want: "192.0.2.1"},
		{give: "[2001:db8:1:2:aaaa:bbbb:cccc:dddd]:443", want: "2001:db8:1:2::/64"},
		{give: "[2001:db8:1:2::1]:443", want: "2001:db8:1:2::/64"},
		{give: "[fe80::1%eth0]:443", want: "fe80::/64"},
		{give: "[::ffff:192.0.2.1]:80", want: "192.0.2.1"},
		{give: "pipe", want: "pipe"},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/", nil)
			r.RemoteAddr = tt.give
			if got := ClientKey(r); got != tt.want {
				t.Errorf("ClientKey() = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestRateLimitPerIPv6Slash64: every address of one /64 shares a bucket,
// so rotating through the addresses of a subnet gains nothing.
func TestRateLimitPerIPv6Slash64(t *testing.T) {
	t.Parallel()
	l := NewRateLimiter(RateLimiterConfig{RPS: 1, Burst: 5, Now: newClock().Now})
	h := l.Middleware(ClientKey)(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) }))
	limited := 0
	for i := range 50 {
		r := httptest.NewRequestWithContext(t.Context(), http.MethodPost, "/v1/auth/token", nil)
		r.RemoteAddr = fmt.Sprintf("[2001:db8:1:2::%x]:1234", i+1)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code == http.StatusTooManyRequests {
			limited++
		}
	}
	if limited != 45 {
		t.Errorf("%d of 50 requests from one /64 were limited, want 45", limited)
	}
}

// TestRateLimitBehindProxy: behind a trusted proxy each client has its own
// bucket, and a forged X-Forwarded-For does not buy a fresh one.
func TestRateLimitBehindProxy(t *testing.T) {
	t.Parallel()
	proxies := TrustProxies([]netip.Prefix{netip.MustParsePrefix("10.0.0.1/32")})
	l := NewRateLimiter(RateLimiterConfig{RPS: 1, Burst: 2, Now: newClock().Now})
	h := l.Middleware(proxies.ClientKey)(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) }))
	send := func(xff string) int {
		r := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/", nil)
		r.RemoteAddr = "10.0.0.1:4444"
		r.Header.Set("X-Forwarded-For", xff)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w.Code
	}
	for i := range 2 {
		if got := send(fmt.Sprintf("198.51.100.%d, 203.0.113.5", i)); got != http.StatusOK {
			t.Fatalf("request %d = %d", i, got)
		}
	}
	if got := send("198.51.100.77, 203.0.113.5"); got != http.StatusTooManyRequests {
		t.Errorf("third request with a forged first hop = %d, want 429", got)
	}
	if got := send("203.0.113.6"); got != http.StatusOK {
		t.Errorf("another client behind the same proxy = %d, want 200", got)
	}
}
