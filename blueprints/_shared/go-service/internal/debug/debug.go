// Package debug serves the private diagnostics endpoints: pprof profiles
// and expvar variables, on a mux of its own that is never exposed on the
// public listener.
package debug

import (
	"encoding/json"
	"expvar"
	"log/slog"
	"net/http"
	"net/http/pprof"
	"runtime/debug"
	"time"
)

// BuildInfo describes the running binary, from runtime/debug.ReadBuildInfo.
type BuildInfo struct {
	Path      string `json:"path"`
	Version   string `json:"version"`
	GoVersion string `json:"go_version"`
	Revision  string `json:"vcs_revision,omitempty"`
	Time      string `json:"vcs_time,omitempty"`
	Modified  bool   `json:"vcs_modified,omitempty"`
}

// ReadBuildInfo returns the build information embedded in the binary.
func ReadBuildInfo() BuildInfo {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return BuildInfo{Version: "unknown", GoVersion: "unknown"}
	}
	b := BuildInfo{Path: info.Main.Path, Version: info.Main.Version, GoVersion: info.GoVersion}
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			b.Revision = s.Value
		case "vcs.time":
			b.Time = s.Value
		case "vcs.modified":
			b.Modified = s.Value == "true"
		}
	}
	return b
}

// LogValue renders the build information as a log group.
func (b BuildInfo) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("version", b.Version),
		slog.String("go_version", b.GoVersion),
		slog.String("vcs_revision", b.Revision),
		slog.String("vcs_time", b.Time),
		slog.Bool("vcs_modified", b.Modified),
	)
}

// Var publishes the build information as an expvar value.
func (b BuildInfo) Var() expvar.Var {
	return expvar.Func(func() any { return b })
}

// NewMux returns the debug mux: net/http/pprof under /debug/pprof/ and, on
// /debug/vars, the process-wide expvar variables (cmdline, memstats)
// together with vars. The service's own variables are passed in rather
// than published globally, so several instances can live in one process.
func NewMux(vars map[string]expvar.Var) *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /debug/pprof/", pprof.Index)
	mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("POST /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	mux.Handle("GET /debug/vars", varsHandler(vars))
	return mux
}

// varsHandler writes the JSON object expvar.Handler writes, extended with
// vars, which take precedence over global names.
func varsHandler(vars map[string]expvar.Var) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		all := make(map[string]json.RawMessage)
		expvar.Do(func(kv expvar.KeyValue) {
			all[kv.Key] = json.RawMessage(kv.Value.String())
		})
		for k, v := range vars {
			all[k] = json.RawMessage(v.String())
		}
		body, err := json.MarshalIndent(all, "", "  ")
		if err != nil {
			http.Error(w, "expvar: "+err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		_, _ = w.Write(append(body, '\n')) // Writes fail only when the client is gone.
	})
}

// Server timeouts for the debug listener: CPU profiles and traces run for
// up to a minute, so writes get longer than on the public server.
const (
	readHeaderTimeout = 5 * time.Second
	writeTimeout      = 90 * time.Second
	idleTimeout       = 120 * time.Second
)

// NewServer returns the debug http.Server for h on addr. Keep addr on
// loopback or a private network: profiles expose internals.
func NewServer(addr string, h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readHeaderTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    1 << 16,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}
