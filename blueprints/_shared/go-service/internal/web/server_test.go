package web

import (
	"context"
	"net"
	"net/http"
	"testing"
	"time"
)

func TestNewServerSetsTimeouts(t *testing.T) {
	t.Parallel()
	srv := NewServer(":0", http.NotFoundHandler(), discardLogger())
	if srv.ReadHeaderTimeout == 0 || srv.ReadTimeout == 0 || srv.WriteTimeout == 0 || srv.IdleTimeout == 0 || srv.MaxHeaderBytes == 0 {
		t.Errorf("server has an unset limit: %+v", srv)
	}
}

func TestServeDrainsInFlightRequests(t *testing.T) {
	t.Parallel()
	started, release := make(chan struct{}), make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		close(started)
		<-release
		w.WriteHeader(http.StatusOK)
	})
	ln, err := new(net.ListenConfig).Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	srv := NewServer("", h, discardLogger())
	srv.RegisterOnShutdown(func() { close(release) }) // finish the request only once shutdown has begun
	go func() { done <- Serve(ctx, srv, ln, 5*time.Second) }()

	status := make(chan int, 1)
	go func() {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, "http://"+ln.Addr().String()+"/", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			status <- 0
			return
		}
		_ = resp.Body.Close()
		status <- resp.StatusCode
	}()
	<-started
	cancel()
	if got := <-status; got != http.StatusOK {
		t.Errorf("in-flight request got %d, want 200", got)
	}
	if err := <-done; err != nil {
		t.Errorf("Serve() = %v, want nil", err)
	}
}

func TestServeReportsListenerErrors(t *testing.T) {
	t.Parallel()
	ln, err := new(net.ListenConfig).Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_ = ln.Close()
	if err := Serve(t.Context(), NewServer("", http.NotFoundHandler(), discardLogger()), ln, time.Second); err == nil {
		t.Error("Serve() on a closed listener = nil, want an error")
	}
}
