package user

import (
	"strings"
	"testing"
)

func TestNormalizeEmail(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		give    string
		want    string
		wantBad bool
	}{
		{name: "lower-cased", give: "Ada@Example.COM", want: "ada@example.com"},
		{name: "trimmed", give: " ada@example.com ", want: "ada@example.com"},
		{name: "plus and dots", give: "a.b+tag@example.com", want: "a.b+tag@example.com"},
		{name: "NFC composed", give: "jos\u00e9@example.com", want: "jos\u00e9@example.com"},
		{name: "NFD decomposed is the same address", give: "jose\u0301@example.com", want: "jos\u00e9@example.com"},
		{name: "IDN domain to punycode", give: "ada@b\u00fccher.example", want: "ada@xn--bcher-kva.example"},
		{name: "punycode stays", give: "ada@XN--BCHER-KVA.example", want: "ada@xn--bcher-kva.example"},
		{name: "IDN upper case", give: "ada@B\u00dcCHER.example", want: "ada@xn--bcher-kva.example"},
		{name: "fullwidth domain", give: "ada@\uff45\uff58\uff41\uff4d\uff50\uff4c\uff45.com", want: "ada@example.com"},
		{name: "local part of 64", give: strings.Repeat("a", 64) + "@example.com", want: strings.Repeat("a", 64) + "@example.com"},
		{name: "local part of 65", give: strings.Repeat("a", 65) + "@example.com", wantBad: true},
		{name: "local part of 240 (the report)", give: strings.Repeat("a", 240) + "@example.com", wantBad: true},
		{name: "local part of 33 two-byte letters", give: strings.Repeat("\u00e9", 33) + "@example.com", wantBad: true},
		{name: "255 octets", give: strings.Repeat("a", 64) + "@" + strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 58) + ".com", wantBad: true},
		{name: "display name", give: "Ada <ada@example.com>", wantBad: true},
		{name: "quoted local part", give: `"ada lovelace"@example.com`, wantBad: true},
		{name: "space inside", give: "ada lovelace@example.com", wantBad: true},
		{name: "control character", give: "ada\x00@example.com", wantBad: true},
		{name: "zero-width space", give: "ada\u200b@example.com", wantBad: true},
		{name: "zero-width joiner in the domain", give: "ada@exa\u200dmple.com", wantBad: true},
		{name: "right-to-left override", give: "ada\u202e@example.com", wantBad: true},
		{name: "byte order mark", give: "\ufeffada@example.com", wantBad: true},
		{name: "newline", give: "ada@example.com\nX-Evil: 1", wantBad: true},
		{name: "no domain dot", give: "ada@localhost", wantBad: true},
		{name: "trailing dot", give: "ada@example.com.", wantBad: true},
		{name: "two at signs", give: "ada@b@example.com", wantBad: true},
		{name: "no local part", give: "@example.com", wantBad: true},
		{name: "invalid utf-8", give: "ada\xff@example.com", wantBad: true},
		{name: "domain literal", give: "ada@[192.0.2.1]", wantBad: true},
		{name: "empty", give: "", wantBad: true},
		{name: "huge", give: strings.Repeat("a", 5000), wantBad: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, msg := NormalizeEmail(tt.give)
			if (msg != "") != tt.wantBad || got != tt.want {
				t.Errorf("NormalizeEmail(%q) = %q, %q; want %q, refused: %t", tt.give, got, msg, tt.want, tt.wantBad)
			}
		})
	}
}

// TestNormalizeEmailIsIdempotent: a stored address normalises to itself,
// so comparing stored values is comparing normalised ones.
func TestNormalizeEmailIsIdempotent(t *testing.T) {
	t.Parallel()
	for _, give := range []string{"Ada@Example.COM", "jose\u0301@b\u00fccher.example", "a.b+c@xn--bcher-kva.example"} {
		once, msg := NormalizeEmail(give)
		if msg != "" {
			t.Fatalf("%q refused: %s", give, msg)
		}
		if twice, _ := NormalizeEmail(once); twice != once {
			t.Errorf("NormalizeEmail(%q) = %q, not a fixed point", once, twice)
		}
	}
}
