package user

import (
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
	"golang.org/x/text/unicode/norm"
)

// Email limits (RFC 5321 §4.5.3.1): the local part is at most 64 octets
// and the whole address at most 254.
const (
	MaxEmailLen      = 254
	MaxEmailLocalLen = 64
)

// NormalizeEmail returns the canonical form of a bare email address, the
// form that is stored and compared for uniqueness, or a message for the
// client when s is not acceptable:
//
//   - Unicode is NFC-normalised, so composed and decomposed spellings of
//     one address (é as U+00E9 or e + U+0301) are the same address;
//   - the domain is converted with IDNA (UTS #46, lookup profile) to its
//     lower-case ASCII form, so "bücher.example" and
//     "xn--bcher-kva.example" are the same address;
//   - the local part is lower-cased too: mailbox providers treat it
//     case-insensitively, and two accounts differing only in case invite
//     impersonation;
//   - the local part is at most 64 octets and the address at most 254,
//     counted after normalisation;
//   - display names, comments, quoted local parts, control, space and
//     invisible formatting characters (zero-width, bidi) are refused.
func NormalizeEmail(s string) (string, string) {
	if !utf8.ValidString(s) {
		return "", "must be valid UTF-8"
	}
	s = norm.NFC.String(strings.TrimSpace(s))
	if len(s) > 4*MaxEmailLen {
		return "", "must be at most 254 characters"
	}
	for _, r := range s {
		if unicode.IsControl(r) || unicode.IsSpace(r) {
			return "", "must not contain spaces or control characters"
		}
		// Zero-width and direction characters (Unicode category Cf) are
		// invisible: "ada\u200b@" would be a second account that looks like
		// the first.
		if unicode.Is(unicode.Cf, r) {
			return "", "must not contain invisible formatting characters"
		}
	}
	local, domain, ok := strings.Cut(s, "@")
	if !ok || local == "" || domain == "" || strings.Contains(domain, "@") {
		return "", "must be an address like name@example.com"
	}
	if strings.HasPrefix(local, `"`) {
		return "", "must not have a quoted local part"
	}
	ascii, err := idna.Lookup.ToASCII(domain)
	if err != nil || !strings.Contains(ascii, ".") || strings.HasSuffix(ascii, ".") {
		return "", "must have a valid domain name"
	}
	local = strings.ToLower(local)
	if len(local) > MaxEmailLocalLen {
		return "", "must have a local part of at most 64 octets"
	}
	addr := local + "@" + ascii
	if len(addr) > MaxEmailLen {
		return "", "must be at most 254 octets"
	}
	parsed, err := mail.ParseAddress(addr)
	if err != nil || parsed.Name != "" || parsed.Address != addr {
		return "", "must be an address like name@example.com"
	}
	return addr, ""
}
