package server

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestDeadlineBoundsEveryCall(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		give time.Duration
	}{
		{name: "short", give: time.Second}, // not shorter: under load the handler may start late
		{name: "call timeout", give: callTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var left time.Duration
			h := deadline(tt.give)(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
				d, ok := r.Context().Deadline()
				if !ok {
					t.Error("the handler's context has no deadline")
					return
				}
				left = time.Until(d)
			}))
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequestWithContext(t.Context(), http.MethodGet, "/v1/users", nil))
			if left <= 0 || left > tt.give {
				t.Errorf("time left = %v, want in (0, %v]", left, tt.give)
			}
		})
	}
	if callTimeout >= 10*time.Second {
		t.Errorf("callTimeout %v must stay below the server's WriteTimeout (10s)", callTimeout)
	}
}
