package web

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode"
)

func TestChainOrder(t *testing.T) {
	t.Parallel()
	var order []string
	mark := func(name string) Middleware {
		return func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				order = append(order, name)
				next.ServeHTTP(w, r)
			})
		}
	}
	h := Chain(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { order = append(order, "handler") }), mark("a"), mark("b"))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/", nil))
	if got := strings.Join(order, ","); got != "a,b,handler" {
		t.Errorf("order = %s, want a,b,handler", got)
	}
}

func TestDeadline(t *testing.T) {
	t.Parallel()
	const d = time.Minute
	var seen context.Context
	h := Deadline(d)(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		seen = r.Context()
	}))
	before := time.Now()
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/", nil))
	after := time.Now()
	end, ok := seen.Deadline()
	if !ok {
		t.Fatal("the handler's context has no deadline")
	}
	if end.Before(before.Add(d)) || end.After(after.Add(d)) {
		t.Errorf("deadline %v, want %v after the request started", end, d)
	}
	// The context is released when the handler returns: nothing the
	// request started may outlive it on this context.
	if !errors.Is(seen.Err(), context.Canceled) {
		t.Errorf("after the handler returned, ctx.Err() = %v, want context.Canceled", seen.Err())
	}
}

func TestRequestIDs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		give     string
		wantSame bool
	}{
		{name: "well formed is kept", give: "0f8fad5b-d9cb-469f-a165-70867728950e", wantSame: true},
		{name: "missing is generated"},
		{name: "newline is replaced", give: "abc\ndef"},
		{name: "too long is replaced", give: strings.Repeat("a", 129)},
		{name: "spaces are replaced", give: "a b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var seen string
			h := RequestIDs(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
				seen = RequestID(r.Context())
			}))
			r := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/", nil)
			if tt.give != "" {
				r.Header.Set(RequestIDHeader, tt.give)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			echoed := w.Header().Get(RequestIDHeader)
			if echoed == "" || echoed != seen {
				t.Fatalf("echoed %q, handler saw %q", echoed, seen)
			}
			if (echoed == tt.give) != tt.wantSame {
				t.Errorf("echoed %q for %q, want kept: %t", echoed, tt.give, tt.wantSame)
			}
		})
	}
}

func TestAccessLogOneLinePerRequest(t *testing.T) {
	t.Parallel()
	log, buf := newTestLogger(slog.LevelInfo)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /items/{id}", func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusAccepted)
		_, _ = w.Write([]byte("hello"))
	})
	h := Chain(mux, RequestIDs, AccessLog(log))
	r := httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/items/42", nil)
	r.Header.Set(RequestIDHeader, "rid-1")
	h.ServeHTTP(httptest.NewRecorder(), r)

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 1 {
		t.Fatalf("got %d log lines, want 1:\n%s", len(lines), buf)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"method": "GET", "pattern": "GET /items/{id}", "status": float64(202),
		"bytes": float64(5), "request_id": "rid-1", "path": "/items/42",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	if _, ok := got["duration_ms"].(float64); !ok {
		t.Errorf("duration_ms missing: %v", got)
	}
}

func TestResponseRecorder(t *testing.T) {
	t.Parallel()
	rec := httptest.NewRecorder()
	rw := NewResponseRecorder(rec)
	rw.Flush()
	rw.WriteHeader(http.StatusTeapot) // ignored after the implicit 200
	if rw.Status() != http.StatusOK || !rec.Flushed {
		t.Errorf("status = %d, flushed = %t", rw.Status(), rec.Flushed)
	}
	if rw.Unwrap() != rec {
		t.Error("Unwrap() does not return the wrapped writer")
	}
}

func TestRecover(t *testing.T) {
	t.Parallel()
	log, buf := newTestLogger(slog.LevelInfo)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /panic", func(http.ResponseWriter, *http.Request) { panic("boom") })
	mux.HandleFunc("GET /ok", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	h := Chain(mux, Recover(log))

	for _, step := range []struct {
		path string
		want int
	}{{"/panic", http.StatusInternalServerError}, {"/ok", http.StatusOK}} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequestWithContext(t.Context(), http.MethodGet, step.path, nil))
		if w.Code != step.want {
			t.Errorf("GET %s = %d, want %d", step.path, w.Code, step.want)
		}
	}
	if n := strings.Count(buf.String(), `"stack"`); n != 1 {
		t.Errorf("stack logged %d times, want 1", n)
	}
}

func TestRecoverRepanicsAbortHandler(t *testing.T) {
	t.Parallel()
	h := Recover(discardLogger())(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic(http.ErrAbortHandler)
	}))
	defer func() {
		if err, _ := recover().(error); !errors.Is(err, http.ErrAbortHandler) {
			t.Errorf("recovered %v, want http.ErrAbortHandler", err)
		}
	}()
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/", nil))
}

func TestNotFound(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /livez", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	mux.HandleFunc("POST /items", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusCreated) })
	mux.Handle("/", NotFound(mux))
	tests := []struct {
		name       string
		giveMethod string
		givePath   string
		wantStatus int
		wantAllow  string
	}{
		{name: "routed", giveMethod: http.MethodGet, givePath: "/livez", wantStatus: http.StatusOK},
		{name: "unknown path", giveMethod: http.MethodGet, givePath: "/nope", wantStatus: http.StatusNotFound},
		{name: "root", giveMethod: http.MethodGet, givePath: "/", wantStatus: http.StatusNotFound},
		{name: "wrong method", giveMethod: http.MethodDelete, givePath: "/livez", wantStatus: http.StatusMethodNotAllowed, wantAllow: "GET, HEAD"},
		{name: "wrong method post route", giveMethod: http.MethodGet, givePath: "/items", wantStatus: http.StatusMethodNotAllowed, wantAllow: "POST"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := httptest.NewRecorder()
			mux.ServeHTTP(w, httptest.NewRequestWithContext(t.Context(), tt.giveMethod, tt.givePath, nil))
			if w.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d", w.Code, tt.wantStatus)
			}
			if got := w.Header().Get("Allow"); got != tt.wantAllow {
				t.Errorf("Allow = %q, want %q", got, tt.wantAllow)
			}
			if tt.wantStatus >= 400 {
				if ct := w.Header().Get("Content-Type"); ct != "application/problem+json" {
					t.Errorf("Content-Type = %q", ct)
				}
			}
		})
	}
}

// TestAccessLogJSONMatchesSlog: the hand-written line has the fields and
// values of AccessLog's slog line, and hostile paths cannot break it.
func TestAccessLogJSONMatchesSlog(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /items/{id}", func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusAccepted)
		_, _ = w.Write([]byte("hello"))
	})
	paths := []string{"/items/42", "/items/a%22b%5Cc%0Ad%E2%80%A8e%FF%00"}
	for _, path := range paths {
		log, slogBuf := newTestLogger(slog.LevelInfo)
		fast := &logBuffer{}
		for _, h := range []http.Handler{Chain(mux, RequestIDs, AccessLog(log)), Chain(mux, RequestIDs, AccessLogJSON(fast, slog.LevelInfo))} {
			r := httptest.NewRequestWithContext(t.Context(), http.MethodGet, path, nil)
			r.Header.Set(RequestIDHeader, "rid-1")
			h.ServeHTTP(httptest.NewRecorder(), r)
		}
		if strings.Count(fast.String(), "\n") != 1 {
			t.Fatalf("%s: want exactly one line, got %q", path, fast.String())
		}
		var want, got map[string]any
		if err := json.Unmarshal([]byte(slogBuf.String()), &want); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(fast.String()), &got); err != nil {
			t.Fatalf("%s: the line is not JSON: %v\n%s", path, err, fast.String())
		}
		for k, v := range want {
			if k == "time" || k == "duration_ms" {
				if _, ok := got[k]; !ok {
					t.Errorf("%s: %s missing", path, k)
				}
				continue
			}
			if got[k] != v {
				t.Errorf("%s: %s = %v, slog has %v", path, k, got[k], v)
			}
		}
		if len(got) != len(want) {
			t.Errorf("%s: fields %v, slog has %v", path, got, want)
		}
	}
	quiet := &logBuffer{}
	Chain(mux, AccessLogJSON(quiet, slog.LevelWarn)).ServeHTTP(httptest.NewRecorder(), httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/items/1", nil))
	if quiet.String() != "" {
		t.Errorf("a line at LOG_LEVEL=warn: %q", quiet.String())
	}
}

// TestAccessLogKeepsTerminalControlsOut: the path is the client's text and
// reaches the log before any authentication. JSON escaping stops C0
// controls but leaves C1 controls (U+009B is CSI, U+0085 NEL) and the
// invisible format characters (bidi overrides and isolates, zero-width
// spaces, U+FEFF) as they are, so "GET /%C2%9B2J%E2%80%AE" wrote a raw
// terminal escape and a right-to-left override into the log, for whoever
// reads it in a terminal. Both formatters must write them percent-encoded.
func TestAccessLogKeepsTerminalControlsOut(t *testing.T) {
	t.Parallel()
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNotFound) })
	const path = "/a%C2%9B31mb%C2%85c%E2%80%AEd%E2%81%A6e%E2%80%8Bf%EF%BB%BFg%C2%ADh%1B[2J"
	const want = "/a%C2%9B31mb%C2%85c%E2%80%AEd%E2%81%A6e%E2%80%8Bf%EF%BB%BFg%C2%ADh\x1b[2J"
	log, slogBuf := newTestLogger(slog.LevelInfo)
	fast := &logBuffer{}
	for name, h := range map[string]http.Handler{
		"AccessLog":     Chain(mux, RequestIDs, AccessLog(log)),
		"AccessLogJSON": Chain(mux, RequestIDs, AccessLogJSON(fast, slog.LevelInfo)),
	} {
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequestWithContext(t.Context(), http.MethodGet, path, nil))
		line := fast.String()
		if name == "AccessLog" {
			line = slogBuf.String()
		}
		for _, r := range line {
			if (r >= 0x80 && r <= 0x9f) || r == 0x1b || unicode.Is(unicode.Cf, r) {
				t.Errorf("%s: the line holds %U raw: %q", name, r, line)
			}
		}
		var got struct{ Path string }
		if err := json.Unmarshal([]byte(line), &got); err != nil {
			t.Fatalf("%s: %v\n%s", name, err, line)
		}
		if got.Path != want {
			t.Errorf("%s: path = %q, want %q", name, got.Path, want)
		}
	}
}

// byteCounter is a writer that keeps only the number of bytes written.
type byteCounter int64

func (c *byteCounter) Write(p []byte) (int, error) {
	*c += byteCounter(len(p))
	return len(p), nil
}

// BenchmarkAccessLog compares the slog access log with AccessLogJSON.
func BenchmarkAccessLog(b *testing.B) {
	h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	tests := []struct {
		name string
		give Middleware
	}{
		{name: "slog", give: AccessLog(slog.New(slog.NewJSONHandler(new(byteCounter), nil)))},
		{name: "json", give: AccessLogJSON(new(byteCounter), slog.LevelInfo)},
	}
	for _, tt := range tests {
		b.Run(tt.name, func(b *testing.B) {
			srv := tt.give(h)
			r := httptest.NewRequestWithContext(b.Context(), http.MethodGet, "/items/42", nil)
			w := httptest.NewRecorder()
			b.ReportAllocs()
			for b.Loop() {
				srv.ServeHTTP(w, r)
			}
		})
	}
}
