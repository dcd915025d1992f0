package config

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// A Var describes one environment variable: its name, the default used when
// it is unset or empty, a one-line help text, and whether it is a secret.
type Var struct {
	Name    string
	Default string
	Help    string
	Secret  bool
}

// A Secret is a string that never appears in logs or formatted output.
type Secret string

// Redacted is how a Secret renders.
const Redacted = "REDACTED"

// LogValue keeps the secret out of slog output.
func (s Secret) LogValue() slog.Value { return slog.StringValue(Redacted) }

// String keeps the secret out of fmt output.
func (s Secret) String() string { return Redacted }

// Reveal returns the secret itself.
func (s Secret) Reveal() string { return string(s) }

// Reader parses variables from an injected getenv and collects every
// error, so one run reports all invalid variables at once.
type Reader struct {
	getenv func(string) string
	errs   []error
}

// NewReader returns a Reader over getenv (os.Getenv in main, a map lookup
// in tests).
func NewReader(getenv func(string) string) *Reader {
	return &Reader{getenv: getenv}
}

func (r *Reader) raw(v Var) string {
	if s := strings.TrimSpace(r.getenv(v.Name)); s != "" {
		return s
	}
	return v.Default
}

func (r *Reader) fail(v Var, err error) {
	r.errs = append(r.errs, fmt.Errorf("%s: %w", v.Name, err))
}

// Fail records an error about v found by the caller's own checks.
func (r *Reader) Fail(v Var, format string, args ...any) {
	r.fail(v, fmt.Errorf(format, args...))
}

// String returns the value of v.
func (r *Reader) String(v Var) string { return r.raw(v) }

// Secret returns the value of v as a Secret.
func (r *Reader) Secret(v Var) Secret { return Secret(r.raw(v)) }

// Int returns the value of v as an int.
func (r *Reader) Int(v Var) int {
	s := r.raw(v)
	n, err := strconv.Atoi(s)
	if err != nil {
		r.fail(v, fmt.Errorf("%q is not an integer", s))
	}
	return n
}

// Float returns the value of v as a finite float64. NaN and the
// infinities are refused: NaN passes no range check ("< 0" and ">= 0" are
// both false), so a limit set to it would quietly be no limit at all.
func (r *Reader) Float(v Var) float64 {
	s := r.raw(v)
	f, err := strconv.ParseFloat(s, 64)
	switch {
	case err != nil && !errors.Is(err, strconv.ErrRange):
		r.fail(v, fmt.Errorf("%q is not a number", s))
	case err != nil || math.IsNaN(f) || math.IsInf(f, 0):
		r.fail(v, fmt.Errorf("%q is not a finite number", s))
		return 0
	}
	return f
}

// Bool returns the value of v as a bool (strconv.ParseBool syntax).
func (r *Reader) Bool(v Var) bool {
	s := r.raw(v)
	b, err := strconv.ParseBool(s)
	if err != nil {
		r.fail(v, fmt.Errorf("%q is not a boolean", s))
	}
	return b
}

// Duration returns the value of v as a time.Duration ("20s", "1m30s").
func (r *Reader) Duration(v Var) time.Duration {
	s := r.raw(v)
	d, err := time.ParseDuration(s)
	if err != nil {
		r.fail(v, fmt.Errorf("%q is not a duration", s))
	}
	return d
}

// Level returns the value of v as a slog level (debug, info, warn, error).
func (r *Reader) Level(v Var) slog.Level {
	s := r.raw(v)
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		r.fail(v, fmt.Errorf("%q is not a log level (debug, info, warn, error)", s))
	}
	return l
}

// Prefixes returns the value of v as a comma-separated list of CIDR
// prefixes ("10.0.0.0/8, 2001:db8::/32"); a bare address is its own /32 or
// /128. Empty means none.
func (r *Reader) Prefixes(v Var) []netip.Prefix {
	var out []netip.Prefix
	for field := range strings.SplitSeq(r.raw(v), ",") {
		field = strings.TrimSpace(field)
		if field == "" {
			continue
		}
		if p, err := netip.ParsePrefix(field); err == nil {
			out = append(out, p.Masked())
			continue
		}
		if a, err := netip.ParseAddr(field); err == nil {
			a = a.Unmap().WithZone("")
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		r.fail(v, fmt.Errorf("%q is not a CIDR prefix or an IP address", field))
	}
	return out
}

// minProxyBits is the shortest prefix TrustedProxies accepts: a /8 is
// already a whole private network (10.0.0.0/8, fd00::/8).
const minProxyBits = 8

// TrustedProxies returns the value of v (TRUSTED_PROXIES) as Prefixes
// does, refusing prefixes shorter than a /8: 0.0.0.0/0 or ::/0 would
// believe X-Forwarded-For from any client, so a client could choose its
// own address and slip past every per-client limit.
func (r *Reader) TrustedProxies(v Var) []netip.Prefix {
	prefixes := r.Prefixes(v)
	for _, p := range prefixes {
		if p.Bits() < minProxyBits {
			r.fail(v, fmt.Errorf("%s trusts X-Forwarded-For from nearly every address; name your proxies' own networks (at least /%d)", p, minProxyBits))
		}
	}
	return prefixes
}

// TrustedProxiesVar is TRUSTED_PROXIES: the reverse proxies whose
// X-Forwarded-For header is believed (see web.TrustProxies). Services
// behind an ingress or load balancer add it to their Vars.
func TrustedProxiesVar() Var {
	return Var{Name: "TRUSTED_PROXIES", Help: "comma-separated CIDRs (each at least a /8) of reverse proxies whose X-Forwarded-For is believed; empty: none, the peer address is the client"}
}

// Err returns every error recorded so far, joined, or nil.
func (r *Reader) Err() error {
	if len(r.errs) == 0 {
		return nil
	}
	return fmt.Errorf("invalid configuration: %w", errors.Join(r.errs...))
}

// Usage writes a table of vars with their defaults and help texts.
func Usage(w io.Writer, vars []Var) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "VARIABLE\tDEFAULT\tDESCRIPTION")
	for _, v := range vars {
		def := v.Default
		if v.Secret && def != "" {
			def = Redacted
		}
		if def == "" {
			def = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", v.Name, def, v.Help)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write usage: %w", err)
	}
	return nil
}

// Common holds the settings every service has.
type Common struct {
	Env             string
	HTTPAddr        string
	DebugAddr       string
	LogLevel        slog.Level
	ShutdownTimeout time.Duration
}

// Dev reports whether the service runs in development mode, where missing
// secrets are generated or tolerated instead of refused. Only the exact
// APP_ENV=dev is development; unset or anything else is production (fail
// closed), and Common refuses a value that is dev but for case or spaces.
func (c Common) Dev() bool { return c.Env == devEnv }

const devEnv = "dev"

type commonVarSet struct {
	appEnv, httpAddr, debugAddr, logLevel, shutdownTimeout Var
}

func commonVars() commonVarSet {
	return commonVarSet{
		appEnv:          Var{Name: "APP_ENV", Default: "production", Help: "production enforces real secrets; dev (local work only) generates missing ones"},
		httpAddr:        Var{Name: "HTTP_ADDR", Default: ":8080", Help: "listen address of the API server"},
		debugAddr:       Var{Name: "DEBUG_ADDR", Default: "127.0.0.1:6060", Help: "listen address of the private debug server (pprof, expvar)"},
		logLevel:        Var{Name: "LOG_LEVEL", Default: "info", Help: "log level: debug, info, warn or error"},
		shutdownTimeout: Var{Name: "SHUTDOWN_TIMEOUT", Default: "20s", Help: "time in-flight requests get to finish after SIGTERM"},
	}
}

// CommonVars returns the variables Common is read from; a service's Vars
// list starts with them.
func CommonVars() []Var {
	v := commonVars()
	return []Var{v.appEnv, v.httpAddr, v.debugAddr, v.logLevel, v.shutdownTimeout}
}

// Common reads the common settings.
func (r *Reader) Common() Common {
	v := commonVars()
	env := r.getenv(v.appEnv.Name)
	switch {
	case env == "":
		env = v.appEnv.Default
	case env != devEnv && strings.EqualFold(strings.TrimSpace(env), devEnv):
		r.Fail(v.appEnv, "%q is not %q: only the exact value dev selects development mode (remove the spaces, use lower case)", env, devEnv)
	}
	c := Common{
		Env:             env,
		HTTPAddr:        r.String(v.httpAddr),
		DebugAddr:       r.String(v.debugAddr),
		LogLevel:        r.Level(v.logLevel),
		ShutdownTimeout: r.Duration(v.shutdownTimeout),
	}
	if c.ShutdownTimeout <= 0 {
		r.Fail(v.shutdownTimeout, "must be positive")
	}
	return c
}
