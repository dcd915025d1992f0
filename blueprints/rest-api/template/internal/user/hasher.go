package user

import (
	"context"
	"fmt"
	"math"
	"time"
)

// A Hasher runs argon2id with a bound on how many hashes run at once.
// Each one holds HashParams.Memory (19 MiB by default) for its duration,
// so without a bound N concurrent logins cost N × 19 MiB: 80 of them took
// a 60 MB process past 1.4 GB. Callers beyond the bound wait up to the
// Hasher's wait, then get ErrBusy, which the API answers with 503 and
// Retry-After.
type Hasher struct {
	params HashParams
	// slots is a counting semaphore: its capacity is the number of hashes
	// allowed at once, so it is sized on purpose, not 0 or 1.
	slots chan struct{}
	wait  time.Duration
}

// NewHasher returns a Hasher running at most slots hashes (at least 1) at
// once; a caller waits at most wait for a free slot.
func NewHasher(p HashParams, slots int, wait time.Duration) *Hasher {
	return &Hasher{params: p, slots: make(chan struct{}, max(1, slots)), wait: wait}
}

// Slots returns the number of hashes allowed at once.
func (h *Hasher) Slots() int { return cap(h.slots) }

// Params returns the parameters of new hashes.
func (h *Hasher) Params() HashParams { return h.params }

// HashSlots sizes a Hasher: a quarter of the Go memory limit (GOMEMLIMIT,
// as runtime/debug.SetMemoryLimit(-1) reports it) divided by the memory
// of one hash, and never more than procs (GOMAXPROCS), since argon2id is
// CPU-bound and more parallel hashes only queue on the CPUs. Without a
// limit (math.MaxInt64) it is procs.
func HashSlots(memLimit int64, procs int, p HashParams) int {
	slots := max(1, procs)
	if memLimit <= 0 || memLimit == math.MaxInt64 || p.Memory == 0 {
		return slots
	}
	perHash := int64(p.Memory) * 1024
	return max(1, min(slots, int(memLimit/4/perHash)))
}

func (h *Hasher) acquire(ctx context.Context) error {
	select {
	case h.slots <- struct{}{}:
		return nil
	default:
	}
	timer := time.NewTimer(h.wait)
	defer timer.Stop()
	select {
	case h.slots <- struct{}{}:
		return nil
	case <-timer.C:
		return ErrBusy
	case <-ctx.Done():
		return fmt.Errorf("wait for a password hashing slot: %w", ctx.Err())
	}
}

func (h *Hasher) release() { <-h.slots }

// Hash returns the argon2id PHC string for password.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	defer h.release()
	return HashPassword(password, h.params), nil
}

// Check reports whether password matches the PHC string hash.
func (h *Hasher) Check(ctx context.Context, hash, password string) (bool, error) {
	if err := h.acquire(ctx); err != nil {
		return false, err
	}
	defer h.release()
	return CheckPassword(hash, password)
}
