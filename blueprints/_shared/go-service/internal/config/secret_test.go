package config

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckSecret(t *testing.T) {
	t.Parallel()
	rule := SecretRule{Placeholders: []string{"REPLACE_WITH_32_OR_MORE_RANDOM_BYTES", "s3cr3t-from-the-readme-0123456789"}}
	tests := []struct {
		name    string
		give    string
		wantErr error
	}{
		{name: "random base32", give: string(GenerateSecret())},
		{name: "openssl rand -base64 48", give: "q0Zk3v9m1mJ7C2xqWQ4yQn6T8bY1Rr5sLd0eHfPjKu2NwXcVgTzAoBiEy7UhM3l"},
		{name: "openssl rand -hex 16", give: "8f14e45fceea167a5a36dedd4bea2543"},
		{name: "empty", give: "", wantErr: ErrSecretMissing},
		{name: "blank", give: "   ", wantErr: ErrSecretMissing},
		{name: "listed placeholder", give: "REPLACE_WITH_32_OR_MORE_RANDOM_BYTES", wantErr: ErrSecretPlaceholder},
		{name: "listed placeholder, other case", give: "S3CR3T-FROM-THE-README-0123456789", wantErr: ErrSecretPlaceholder},
		{name: "env example", give: "change-me-to-32-or-more-random-bytes", wantErr: ErrSecretPlaceholder},
		{name: "contains password", give: "my-Password-is-long-enough-0123456789", wantErr: ErrSecretPlaceholder},
		{name: "short", give: "k9#Qz!2v", wantErr: ErrSecretTooShort},
		{name: "one character repeated", give: strings.Repeat("a", 64), wantErr: ErrSecretWeak},
		{name: "short unit repeated", give: strings.Repeat("k9#Qz", 10), wantErr: ErrSecretWeak},
		{name: "alphabet run", give: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ", wantErr: ErrSecretWeak},
		{name: "digits counting down", give: "8765432109876543210987654321098765", wantErr: ErrSecretWeak},
		{name: "few distinct characters", give: "abababbbaabbababaabababbbabababaabab", wantErr: ErrSecretWeak},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := CheckSecret(tt.give, rule)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("CheckSecret(%q) = %v, want %v", tt.give, err, tt.wantErr)
			}
			if err != nil && tt.give != "" && strings.Contains(err.Error(), tt.give) {
				t.Errorf("the error repeats the secret: %v", err)
			}
		})
	}
}

func TestCheckSecretShortRule(t *testing.T) {
	t.Parallel()
	rule := SecretRule{MinLen: 12}
	if err := CheckSecret("Tr0ub4dor&3x!", rule); err != nil {
		t.Errorf("a 13-character passphrase was refused: %v", err)
	}
	if err := CheckSecret("aaaaaaaaaaaaa", rule); !errors.Is(err, ErrSecretWeak) {
		t.Errorf("13 times a: %v, want ErrSecretWeak", err)
	}
}

func TestEstimateBits(t *testing.T) {
	t.Parallel()
	tests := []struct {
		give    string
		wantMin float64
		wantMax float64
	}{
		{give: "", wantMax: 0},
		{give: "aaaa", wantMax: 0},
		{give: "abab", wantMax: 0},
		{give: "xyzxyzxyzxyz", wantMax: 5},
		{give: "8f14e45fceea167a5a36dedd4bea2543", wantMin: 100, wantMax: 128},
	}
	for _, tt := range tests {
		if got := EstimateBits(tt.give); got < tt.wantMin || got > tt.wantMax {
			t.Errorf("EstimateBits(%q) = %.1f, want %.0f..%.0f", tt.give, got, tt.wantMin, tt.wantMax)
		}
	}
	long := strings.Repeat(string(GenerateSecret()), 100)
	if got := EstimateBits(long); got <= 0 {
		t.Errorf("a 5 KiB value estimated at %.1f bits", got)
	}
}

func TestStrongSecret(t *testing.T) {
	t.Parallel()
	v := Var{Name: "JWT_SECRET", Secret: true}
	placeholder := "change-me-to-32-or-more-random-bytes"
	real := string(GenerateSecret())
	tests := []struct {
		name       string
		giveValue  string
		giveDev    bool
		wantErr    error
		wantSame   bool
		wantNotice bool
	}{
		{name: "production, real", giveValue: real, wantSame: true},
		{name: "production, unset", wantErr: ErrSecretMissing, wantSame: true},
		{name: "production, placeholder", giveValue: placeholder, wantErr: ErrSecretPlaceholder, wantSame: true},
		{name: "dev, unset", giveDev: true, wantNotice: true},
		{name: "dev, placeholder", giveValue: placeholder, giveDev: true, wantNotice: true},
		{name: "dev, set", giveValue: "short but set in dev", giveDev: true, wantSame: true},
		{name: "dev, set with a marker word", giveValue: "my dev password", giveDev: true, wantSame: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := NewReader(getenv(map[string]string{"JWT_SECRET": tt.giveValue}))
			var notice strings.Builder
			got := r.StrongSecret(v, tt.giveDev, SecretRule{Placeholders: []string{placeholder}}, &notice)
			err := r.Err()
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("Err() = %v, want %v", err, tt.wantErr)
			}
			if err != nil && !strings.Contains(err.Error(), "JWT_SECRET") {
				t.Errorf("the error does not name the variable: %v", err)
			}
			if tt.wantSame != (got.Reveal() == tt.giveValue) {
				t.Errorf("got %q for %q, want the same value: %t", got.Reveal(), tt.giveValue, tt.wantSame)
			}
			if tt.wantNotice {
				if cerr := CheckSecret(got.Reveal(), SecretRule{}); cerr != nil {
					t.Errorf("the generated secret is weak: %v", cerr)
				}
				if n := strings.Count(notice.String(), got.Reveal()); n != 1 || !strings.Contains(notice.String(), "JWT_SECRET") {
					t.Errorf("notice = %q, want the variable and the value once", notice.String())
				}
			} else if notice.Len() != 0 {
				t.Errorf("unexpected notice %q", notice.String())
			}
		})
	}
}

func TestStrongSecretCustomGenerator(t *testing.T) {
	t.Parallel()
	r := NewReader(getenv(nil))
	var notice strings.Builder
	got := r.StrongSecret(Var{Name: "API_KEYS"}, true, SecretRule{Generate: func() string { return "client:abc" }}, &notice)
	if got.Reveal() != "client:abc" || !strings.Contains(notice.String(), "client:abc") {
		t.Errorf("got %q, notice %q", got.Reveal(), notice.String())
	}
}

func TestGenerateSecretIsFresh(t *testing.T) {
	t.Parallel()
	a, b := GenerateSecret(), GenerateSecret()
	if a == b || len(a.Reveal()) != 52 {
		t.Errorf("GenerateSecret() = %q, %q", a.Reveal(), b.Reveal())
	}
}
