package user

import (
	"context"
	"errors"
	"math"
	"runtime"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

func TestHashSlots(t *testing.T) {
	t.Parallel()
	const mib = 1 << 20
	p := DefaultHashParams() // 19 MiB
	tests := []struct {
		name      string
		giveLimit int64
		giveProcs int
		want      int
	}{
		{name: "no GOMEMLIMIT: one per CPU", giveLimit: math.MaxInt64, giveProcs: 2, want: 2},
		{name: "200 MiB limit", giveLimit: 200 * mib, giveProcs: 8, want: 2},
		{name: "tiny limit still allows one", giveLimit: 32 * mib, giveProcs: 4, want: 1},
		{name: "large limit capped by CPUs", giveLimit: 8 << 30, giveProcs: 4, want: 4},
		{name: "no CPUs reported", giveLimit: math.MaxInt64, giveProcs: 0, want: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := HashSlots(tt.giveLimit, tt.giveProcs, p); got != tt.want {
				t.Errorf("HashSlots() = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestHasherBusy(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := NewHasher(cheapHash(), 1, 500*time.Millisecond)
		hash, err := h.Hash(t.Context(), "correct horse battery")
		if err != nil {
			t.Fatal(err)
		}
		if err := h.acquire(t.Context()); err != nil { // The one slot is taken.
			t.Fatal(err)
		}
		start := time.Now()
		if _, err := h.Check(t.Context(), hash, "correct horse battery"); !errors.Is(err, ErrBusy) {
			t.Fatalf("Check() with no free slot = %v, want ErrBusy", err)
		}
		if waited := time.Since(start); waited != 500*time.Millisecond {
			t.Errorf("waited %v, want the configured 500ms", waited)
		}
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if _, err := h.Hash(ctx, "x"); !errors.Is(err, context.Canceled) {
			t.Errorf("Hash() with a cancelled context = %v", err)
		}
		h.release()
		if ok, err := h.Check(t.Context(), hash, "correct horse battery"); !ok || err != nil {
			t.Errorf("Check() after release = %t, %v", ok, err)
		}
	})
}

// TestConcurrentLoginsKeepTheHeapBounded is the reported attack: many
// logins at once. With two slots at most two hashes hold their memory,
// whatever the number of callers. Not parallel: it measures the heap.
func TestConcurrentLoginsKeepTheHeapBounded(t *testing.T) {
	const (
		callers   = 24
		memKiB    = 8 * 1024 // 8 MiB per hash
		slots     = 2
		unbounded = callers * memKiB * 1024
	)
	p := HashParams{Memory: memKiB, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}
	h := NewHasher(p, slots, time.Minute)
	hash := HashPassword("correct horse battery", p)
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(sample)
	base := sample[0].Value.Uint64()

	var peak atomic.Uint64
	stop := make(chan struct{})
	var sampler sync.WaitGroup
	sampler.Go(func() {
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		for {
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
			}
			metrics.Read(s)
			if v := s[0].Value.Uint64(); v > peak.Load() {
				peak.Store(v)
			}
		}
	})
	var wg sync.WaitGroup
	for range callers {
		wg.Go(func() {
			if ok, err := h.Check(t.Context(), hash, "correct horse battery"); !ok || err != nil {
				t.Errorf("Check() = %t, %v", ok, err)
			}
		})
	}
	wg.Wait()
	close(stop)
	sampler.Wait()
	var grown uint64
	if p := peak.Load(); p > base {
		grown = p - base
	}
	// Two hashes in flight, a few times over for garbage the collector
	// has not reached yet; without the bound it is callers × 8 MiB.
	if limit := uint64(10 * memKiB * 1024); grown > limit {
		t.Errorf("the heap grew by %d MiB for %d concurrent logins, want at most %d MiB (unbounded: %d MiB)",
			grown>>20, callers, limit>>20, unbounded>>20)
	}
}

// notFoundRepo knows no user; Login needs nothing else from a Repository.
type notFoundRepo struct{ Repository }

func (notFoundRepo) GetByEmail(context.Context, string) (User, error) { return User{}, ErrNotFound }

// TestLoginBusy: while every hashing slot stays taken, a login is refused
// with ErrBusy after the wait rather than queued without bound.
func TestLoginBusy(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		h := NewHasher(cheapHash(), 1, time.Second)
		svc := NewService(notFoundRepo{}, Options{Hasher: h})
		if err := h.acquire(t.Context()); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Login(t.Context(), "a@example.com", "a long password"); !errors.Is(err, ErrBusy) {
			t.Errorf("Login() while hashing is saturated = %v, want ErrBusy", err)
		}
		h.release()
		if _, err := svc.Login(t.Context(), "a@example.com", "a long password"); !errors.Is(err, ErrInvalidCredentials) {
			t.Errorf("Login() with a free slot = %v, want ErrInvalidCredentials", err)
		}
	})
}
