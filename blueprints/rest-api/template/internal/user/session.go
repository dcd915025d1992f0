package user

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"strings"
	"time"
)

// DefaultSessionTTL is how long a login stays refreshable: refreshing
// rotates the refresh token but never extends the session.
const DefaultSessionTTL = 30 * 24 * time.Hour

// A Session is one login. Access tokens name it, and each request checks
// that it is still active, so logging out, a password or email change and
// deleting the user end it at once. The refresh token is never stored:
// only the SHA-256 of its secret part, the current one and the one it
// replaced (to detect reuse of a stolen, already rotated token).
type Session struct {
	ID           string
	UserID       string
	RefreshHash  string
	PreviousHash string
	CreatedAt    time.Time
	ExpiresAt    time.Time
	RevokedAt    time.Time // zero while active
}

// active reports whether s can still be used at now.
func (s Session) active(now time.Time) bool {
	return s.RevokedAt.IsZero() && now.Before(s.ExpiresAt)
}

// A Grant is what a login or a refresh hands out: the user, the session
// the access token must name, and the next refresh token.
type Grant struct {
	User         User
	SessionID    string
	RefreshToken string
	ExpiresAt    time.Time // of the session; the refresh token dies with it
}

// newRefreshSecret returns a 260-bit random secret and its stored hash.
func newRefreshSecret() (secret, hash string) {
	secret = rand.Text() + rand.Text()
	return secret, hashSecret(secret)
}

func hashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// sameHash compares two hex digests in constant time.
func sameHash(a, b string) bool {
	return len(a) == len(b) && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// refreshToken joins a session ID and a secret: "<session>.<secret>".
func refreshToken(sessionID, secret string) string { return sessionID + "." + secret }

// splitRefreshToken parses a refresh token, or reports false.
func splitRefreshToken(token string) (sessionID, secret string, ok bool) {
	sessionID, secret, ok = strings.Cut(token, ".")
	if !ok || !ValidID(sessionID) || len(secret) != 52 {
		return "", "", false
	}
	return sessionID, secret, true
}
