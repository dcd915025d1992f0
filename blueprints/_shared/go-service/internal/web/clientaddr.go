package web

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Proxies are the reverse proxies (ingress, load balancer) whose
// X-Forwarded-For header is believed. A nil *Proxies trusts none: the
// peer address is the client.
type Proxies struct {
	trusted []netip.Prefix
}

// TrustProxies returns the Proxies for the given prefixes (config's
// TRUSTED_PROXIES). With no prefixes it trusts none.
func TrustProxies(prefixes []netip.Prefix) *Proxies {
	return &Proxies{trusted: prefixes}
}

func (p *Proxies) trusts(a netip.Addr) bool {
	if p == nil {
		return false
	}
	for _, pre := range p.trusted {
		if pre.Contains(a) {
			return true
		}
	}
	return false
}

// peerAddr parses r.RemoteAddr ("host:port", "[v6]:port" or a bare
// address), or returns the zero Addr.
func peerAddr(r *http.Request) netip.Addr {
	host := r.RemoteAddr
	if h, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		host = h
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	return a.Unmap().WithZone("")
}

// ClientAddr returns the address of the client that sent r. When the peer
// is a trusted proxy, X-Forwarded-For is read from the right: each hop
// appended by a trusted proxy is skipped and the first address that is not
// a trusted proxy is the client. Entries a client wrote itself sit left of
// that and are never believed. A malformed entry ends the walk at the last
// proxy that forwarded it. The zero Addr means r.RemoteAddr is not an IP
// address (a unix socket, a test).
func (p *Proxies) ClientAddr(r *http.Request) netip.Addr {
	addr := peerAddr(r)
	if !addr.IsValid() || !p.trusts(addr) {
		return addr
	}
	hops := forwardedFor(r.Header)
	for i := len(hops) - 1; i >= 0; i-- {
		hop, err := netip.ParseAddr(hops[i])
		if err != nil {
			return addr
		}
		addr = hop.Unmap().WithZone("")
		if !p.trusts(addr) {
			return addr
		}
	}
	return addr
}

// forwardedFor returns the X-Forwarded-For entries of every such header,
// in order. IPv6 entries may be bracketed and ports are dropped.
func forwardedFor(h http.Header) []string {
	var hops []string
	for _, v := range h.Values("X-Forwarded-For") {
		for hop := range strings.SplitSeq(v, ",") {
			hop = strings.TrimSpace(hop)
			if host, _, err := net.SplitHostPort(hop); err == nil {
				hop = host
			}
			hops = append(hops, strings.Trim(hop, "[]"))
		}
	}
	return hops
}

// ClientKey is a KeyFunc for rate limits: the client address of r (see
// ClientAddr) with IPv6 addresses cut to their /64, because one host or
// subscriber routinely holds a whole /64 and would otherwise get a bucket
// per address.
func (p *Proxies) ClientKey(r *http.Request) string {
	a := p.ClientAddr(r)
	if !a.IsValid() {
		return r.RemoteAddr
	}
	return AddrKey(a)
}

// ClientKey keys r by its peer address (no proxy trusted), IPv6 by /64.
func ClientKey(r *http.Request) string {
	var none *Proxies
	return none.ClientKey(r)
}

// AddrKey returns the rate-limit key of a: an IPv4 address itself, an
// IPv6 address as its /64 prefix ("2001:db8:1:2::/64").
func AddrKey(a netip.Addr) string {
	a = a.Unmap()
	if a.Is4() {
		return a.String()
	}
	p, err := a.WithZone("").Prefix(64)
	if err != nil {
		return a.String()
	}
	return p.String()
}
