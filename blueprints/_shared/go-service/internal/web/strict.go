package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"
)

// Limits on the shape of a request body, on top of its size. Decode and
// DecodeObject stop at the first member past MaxMembers, so a body of a
// hundred thousand tiny keys costs no more than its bytes (no member map,
// no list of a hundred thousand field errors).
const (
	// MaxMembers is the most members one JSON object may have.
	MaxMembers = 100
	// MaxDepth is the deepest nesting of objects and arrays accepted.
	MaxDepth = 32
)

// readBody reads at most limit bytes of r's JSON body, after checking its
// Content-Type, and checks that it holds one strict JSON value.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	if err := checkContentType(r); err != nil {
		return nil, err
	}
	// Sized from Content-Length (bounded by limit) rather than grown by
	// doubling: a 1 MiB body costs about 1 MiB, not 2-3.
	size := int64(bytes.MinRead)
	if r.ContentLength > 0 {
		size += min(r.ContentLength, limit)
	}
	buf := bytes.NewBuffer(make([]byte, 0, size))
	if _, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, limit)); err != nil {
		return nil, decodeError(err)
	}
	body := buf.Bytes()
	if err := checkStrict(body); err != nil {
		return nil, err
	}
	return body, nil
}

func malformed(format string, args ...any) error {
	return &RequestError{Status: http.StatusBadRequest, Detail: fmt.Sprintf(format, args...), Err: ErrMalformedBody}
}

// frame is one open object or array of checkStrict's walk.
type frame struct {
	object  bool
	wantKey bool     // objects: the next token is a key or '}'
	keys    []string // objects: the keys seen so far
}

// checkStrict accepts body only if it is a single JSON value in valid
// UTF-8 (no unpaired surrogate escapes either, which encoding/json would
// turn into U+FFFD), with no repeated key in any object (a gateway that
// reads the first of two keys must not see another request than we do;
// keys that differ only in case count as repeated, as encoding/json
// matches fields regardless of case),
// at most MaxMembers members per object and MaxDepth levels of nesting.
func checkStrict(body []byte) error {
	if !utf8.Valid(body) {
		return malformed("body must be valid UTF-8")
	}
	if err := checkEscapes(body); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var stack []frame
	values := 0
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return decodeError(err)
		}
		if len(stack) == 0 {
			if values++; values > 1 {
				return malformed("body must hold a single JSON value")
			}
		}
		if n := len(stack); n > 0 && stack[n-1].object && stack[n-1].wantKey {
			top := &stack[n-1]
			if tok == json.Delim('}') {
				stack = stack[:n-1]
				continue
			}
			key, _ := tok.(string)
			// encoding/json matches a member to a struct field whatever its
			// case (Unicode folding, the last member winning), so two keys
			// that differ only in case are the same member to it.
			if slices.ContainsFunc(top.keys, func(k string) bool { return strings.EqualFold(k, key) }) {
				return malformed("duplicate member %q", truncate(key))
			}
			if len(top.keys) == MaxMembers {
				return malformed("an object must not have more than %d members", MaxMembers)
			}
			top.keys = append(top.keys, key)
			top.wantKey = false
			continue
		}
		if n := len(stack); n > 0 && stack[n-1].object {
			stack[n-1].wantKey = true // after this value, a key or '}'
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			if len(stack) == MaxDepth {
				return malformed("body must not be nested deeper than %d levels", MaxDepth)
			}
			stack = append(stack, frame{object: tok == json.Delim('{'), wantKey: true})
		case json.Delim(']'):
			stack = stack[:len(stack)-1]
		}
	}
	if values == 0 {
		return &RequestError{Status: http.StatusBadRequest, Detail: "body must not be empty", Err: ErrMalformedBody}
	}
	return nil
}

// checkEscapes refuses \u escapes of UTF-16 surrogates that do not form a
// pair. A backslash only occurs inside strings in valid JSON; the syntax
// itself is checked by the walk.
func checkEscapes(body []byte) error {
	for i := 0; i < len(body); i++ {
		if body[i] != '\\' {
			continue
		}
		if i+1 >= len(body) || body[i+1] != 'u' {
			i++ // an escaped character, perhaps a backslash
			continue
		}
		r, ok := hex4(body, i+2)
		i += 5
		switch {
		case !ok || r < 0xd800 || r > 0xdfff:
		case r <= 0xdbff:
			if i+6 < len(body) && body[i+1] == '\\' && body[i+2] == 'u' {
				if low, ok := hex4(body, i+3); ok && low >= 0xdc00 && low <= 0xdfff {
					i += 6
					continue
				}
			}
			return malformed("body must not hold an unpaired UTF-16 surrogate escape")
		default:
			return malformed("body must not hold an unpaired UTF-16 surrogate escape")
		}
	}
	return nil
}

func hex4(b []byte, at int) (rune, bool) {
	if at+4 > len(b) {
		return 0, false
	}
	var r rune
	for _, c := range b[at : at+4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}

// truncate shortens a client-chosen key for an error message.
func truncate(s string) string {
	const most = 64
	if len(s) <= most {
		return s
	}
	for i := most; i > 0; i-- {
		if utf8.RuneStart(s[i]) {
			return s[:i] + "…"
		}
	}
	return ""
}
