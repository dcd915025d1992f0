package config

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
)

// Reasons CheckSecret refuses a secret; the returned error wraps one of
// them (check with errors.Is).
var (
	ErrSecretMissing     = errors.New("must be set outside APP_ENV=dev")
	ErrSecretPlaceholder = errors.New("holds a placeholder or example value")
	ErrSecretTooShort    = errors.New("is too short")
	ErrSecretWeak        = errors.New("is too predictable (low entropy)")
)

// A SecretRule says what a secret must look like outside dev.
type SecretRule struct {
	// MinLen is the shortest accepted value in bytes; 0 means 32.
	MinLen int
	// MinBits is the least estimated entropy in bits (see EstimateBits);
	// 0 means 3 bits per byte of MinLen.
	MinBits float64
	// Placeholders are values published in examples (.env.example,
	// manifests, docs). They are refused, compared case-insensitively, on
	// top of the words every placeholder seems to contain ("change-me",
	// "replace", "example", "password", …).
	Placeholders []string
	// Generate makes the random value used in dev when the variable is
	// unset; nil means GenerateSecret. Secrets with a format of their own
	// (keys lists, base64 keys) supply it.
	Generate func() string
}

func (rule SecretRule) minLen() int {
	if rule.MinLen > 0 {
		return rule.MinLen
	}
	return 32
}

func (rule SecretRule) minBits() float64 {
	if rule.MinBits > 0 {
		return rule.MinBits
	}
	return 3 * float64(rule.minLen())
}

// placeholderWords appear in example values and almost never, case
// folded, in random ones (a 5-letter word turns up by chance in a random
// base64 value about once in a million).
func placeholderWords() []string {
	return []string{
		"change-me", "change_me", "changeme", "replace", "placeholder", "example",
		"password", "secret", "dummy", "default", "insecure", "qwerty", "letmein", "123456",
	}
}

// isListed reports whether s is one of rule's placeholders.
func (rule SecretRule) isListed(s string) bool {
	folded := strings.ToLower(strings.TrimSpace(s))
	for _, p := range rule.Placeholders {
		if folded == strings.ToLower(strings.TrimSpace(p)) {
			return true
		}
	}
	return false
}

// IsPlaceholder reports whether s is one of rule's placeholders or
// contains a word that marks example values.
func (rule SecretRule) IsPlaceholder(s string) bool {
	if rule.isListed(s) {
		return true
	}
	folded := strings.ToLower(s)
	for _, w := range placeholderWords() {
		if strings.Contains(folded, w) {
			return true
		}
	}
	return false
}

// CheckSecret returns nil if s is fit for production under rule, and an
// error wrapping ErrSecretMissing, ErrSecretPlaceholder, ErrSecretTooShort
// or ErrSecretWeak otherwise. The error never contains s.
func CheckSecret(s string, rule SecretRule) error {
	switch {
	case strings.TrimSpace(s) == "":
		return ErrSecretMissing
	case rule.IsPlaceholder(s):
		return ErrSecretPlaceholder
	case len(s) < rule.minLen():
		return fmt.Errorf("%w: %d bytes, want at least %d", ErrSecretTooShort, len(s), rule.minLen())
	}
	if bits := EstimateBits(s); bits < rule.minBits() {
		return fmt.Errorf("%w: about %.0f bits, want at least %.0f; generate one, e.g. openssl rand -base64 48", ErrSecretWeak, bits, rule.minBits())
	}
	return nil
}

// EstimateBits is a deliberately pessimistic estimate of the entropy of s:
// the Shannon entropy of its bytes times the length of its shortest
// repeating unit, and none at all when most neighbouring bytes are equal or
// consecutive ("aaaa…", "abcd…", "1234…"). It catches typed-in and
// repeated values; it cannot prove a value random.
func EstimateBits(s string) float64 {
	if s == "" {
		return 0
	}
	unit := s[:period(s)]
	var counts [256]int
	for i := range len(unit) {
		counts[unit[i]]++
	}
	var perByte float64
	n := float64(len(unit))
	for _, c := range counts {
		if c > 0 {
			p := float64(c) / n
			perByte -= p * math.Log2(p)
		}
	}
	if len(s) > 2 {
		steps := 0
		for i := 1; i < len(s); i++ {
			if d := int(s[i]) - int(s[i-1]); d >= -1 && d <= 1 {
				steps++
			}
		}
		if 2*steps > len(s)-1 {
			return 0
		}
	}
	return perByte * n
}

// period returns the length of the shortest unit that s repeats
// (a trailing partial repetition allowed), or len(s). Values over 1 KiB
// are not searched, which keeps the check linear in practice.
func period(s string) int {
	if len(s) > 1<<10 {
		return len(s)
	}
	for p := 1; p <= len(s)/2; p++ {
		if s[p:] == s[:len(s)-p] {
			return p
		}
	}
	return len(s)
}

// GenerateSecret returns 260 random bits as 52 base32 characters, from
// crypto/rand.
func GenerateSecret() Secret {
	return Secret(rand.Text() + rand.Text())
}

// StrongSecret reads the secret v. Outside dev it must pass CheckSecret
// under rule, and a failure is recorded against v. In dev an unset value,
// or one of rule.Placeholders (copied from .env.example), is replaced by
// rule.Generate's (GenerateSecret by default), which is written to notice
// once, as one line, so that the developer can use it; it is never
// logged. Any other value is used as it is in dev.
func (r *Reader) StrongSecret(v Var, dev bool, rule SecretRule, notice io.Writer) Secret {
	s := r.Secret(v)
	if !dev {
		if err := CheckSecret(s.Reveal(), rule); err != nil {
			r.fail(v, err)
		}
		return s
	}
	if strings.TrimSpace(s.Reveal()) != "" && !rule.isListed(s.Reveal()) {
		return s
	}
	generated := GenerateSecret()
	if rule.Generate != nil {
		generated = Secret(rule.Generate())
	}
	// Best effort: notice is the terminal; the value works either way.
	_, _ = fmt.Fprintf(notice, "APP_ENV=dev: %s is not set; generated one for this process only: %s\n", v.Name, generated.Reveal())
	return generated
}
