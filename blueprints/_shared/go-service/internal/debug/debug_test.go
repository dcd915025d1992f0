package debug

import (
	"encoding/json"
	"expvar"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestMuxServesPprofAndVars(t *testing.T) {
	t.Parallel()
	counter := new(expvar.Int)
	counter.Set(7)
	mux := NewMux(map[string]expvar.Var{"build": ReadBuildInfo().Var(), "jobs": counter})
	tests := []struct {
		name       string
		givePath   string
		wantStatus int
		wantIn     string
	}{
		{name: "pprof index", givePath: "/debug/pprof/", wantStatus: http.StatusOK, wantIn: "goroutine"},
		{name: "pprof cmdline", givePath: "/debug/pprof/cmdline", wantStatus: http.StatusOK},
		{name: "vars", givePath: "/debug/vars", wantStatus: http.StatusOK, wantIn: `"jobs": 7`},
		{name: "unknown", givePath: "/metrics", wantStatus: http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := httptest.NewRecorder()
			mux.ServeHTTP(w, httptest.NewRequestWithContext(t.Context(), http.MethodGet, tt.givePath, nil))
			if w.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d", w.Code, tt.wantStatus)
			}
			if !strings.Contains(w.Body.String(), tt.wantIn) {
				t.Errorf("body lacks %q:\n%.300s", tt.wantIn, w.Body)
			}
		})
	}
}

func TestVarsIsJSONWithGlobalsAndBuild(t *testing.T) {
	t.Parallel()
	w := httptest.NewRecorder()
	NewMux(map[string]expvar.Var{"build": ReadBuildInfo().Var()}).ServeHTTP(w, httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/debug/vars", nil))
	var got map[string]json.RawMessage
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
		t.Fatalf("vars are not JSON: %v", err)
	}
	for _, k := range []string{"memstats", "cmdline", "build"} {
		if _, ok := got[k]; !ok {
			t.Errorf("vars lack %q", k)
		}
	}
}

func TestBuildInfo(t *testing.T) {
	t.Parallel()
	b := ReadBuildInfo()
	if b.GoVersion == "" {
		t.Error("GoVersion is empty")
	}
	var sb strings.Builder
	slog.New(slog.NewJSONHandler(&sb, nil)).InfoContext(t.Context(), "start", slog.Any("build", b))
	if !strings.Contains(sb.String(), `"go_version"`) {
		t.Errorf("log lacks go_version: %s", sb.String())
	}
}

func TestNewServerSetsTimeouts(t *testing.T) {
	t.Parallel()
	srv := NewServer("127.0.0.1:0", http.NewServeMux(), slog.New(slog.DiscardHandler))
	if srv.ReadHeaderTimeout == 0 || srv.WriteTimeout == 0 || srv.IdleTimeout == 0 {
		t.Errorf("server has an unset timeout: %+v", srv)
	}
}
