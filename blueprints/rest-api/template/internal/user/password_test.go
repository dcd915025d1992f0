package user

import (
	"errors"
	"strings"
	"testing"
)

// cheapHash keeps tests fast; production uses DefaultHashParams.
func cheapHash() HashParams {
	return HashParams{Memory: 64, Time: 1, Threads: 1, KeyLen: 16, SaltLen: 8}
}

func TestHashPassword(t *testing.T) {
	t.Parallel()
	hash := HashPassword("correct horse battery", DefaultHashParams())
	if !strings.HasPrefix(hash, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("hash %q does not carry the OWASP parameters", hash)
	}
	if HashPassword("correct horse battery", DefaultHashParams()) == hash {
		t.Error("two hashes of one password are equal; the salt is not random")
	}
	tests := []struct {
		name     string
		giveHash string
		givePass string
		want     bool
		wantErr  error
	}{
		{name: "match", giveHash: hash, givePass: "correct horse battery", want: true},
		{name: "mismatch", giveHash: hash, givePass: "wrong horse battery"},
		{name: "other params still verify", giveHash: HashPassword("pw", cheapHash()), givePass: "pw", want: true},
		{name: "not phc", giveHash: "plain", givePass: "x", wantErr: errBadHash},
		{name: "wrong algorithm", giveHash: strings.Replace(hash, "argon2id", "argon2i", 1), givePass: "x", wantErr: errBadHash},
		{name: "wrong version", giveHash: strings.Replace(hash, "v=19", "v=16", 1), givePass: "x", wantErr: errBadHash},
		{name: "bad params", giveHash: strings.Replace(hash, "m=19456", "m=x", 1), givePass: "x", wantErr: errBadHash},
		{name: "bad salt", giveHash: "$argon2id$v=19$m=64,t=1,p=1$!!!$aGFzaA", givePass: "x", wantErr: errBadHash},
		{name: "bad key", giveHash: "$argon2id$v=19$m=64,t=1,p=1$c2FsdA$!!!", givePass: "x", wantErr: errBadHash},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := CheckPassword(tt.giveHash, tt.givePass)
			if !errors.Is(err, tt.wantErr) || got != tt.want {
				t.Errorf("CheckPassword() = %t, %v; want %t, %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}
