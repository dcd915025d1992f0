package v1

import (
	"net/http"
	"strconv"
	"strings"
)

// Optimistic concurrency over HTTP (RFC 9110 §8.8.3, §13.1): every user
// representation carries a strong ETag made of its version. PATCH and
// DELETE require If-Match (428 Precondition Required without it, RFC
// 6585), so that no client overwrites a change it has not seen; a tag
// that no longer matches is 412 Precondition Failed. If-Match: * applies
// to whatever version is stored, for clients that mean to overwrite.

// etag is the strong entity tag of a version: "<version>".
func etag(version int64) string {
	return `"` + strconv.FormatInt(version, 10) + `"`
}

// entityTags parses a conditional header (If-Match, If-None-Match): "*",
// or a comma-separated list of entity tags, each `"…"` or `W/"…"` (RFC
// 9110 §8.8.3). It returns the tags as written; ok is false when the value
// does not follow that grammar. An empty list is no tags.
func entityTags(header string) (tags []string, wildcard, ok bool) {
	s := strings.TrimSpace(header)
	if s == "*" {
		return nil, true, true
	}
	for {
		s = strings.TrimLeft(s, " \t,")
		if s == "" {
			return tags, false, true
		}
		start := s
		s = strings.TrimPrefix(s, "W/")
		if !strings.HasPrefix(s, `"`) {
			return nil, false, false
		}
		end := strings.IndexByte(s[1:], '"')
		if end < 0 {
			return nil, false, false
		}
		for i := 1; i <= end; i++ {
			if c := s[i]; c < 0x21 || c > 0x7e { // etagc without obs-text: visible ASCII
				return nil, false, false
			}
		}
		tag := start[:len(start)-len(s)+end+2]
		tags = append(tags, tag)
		s = strings.TrimLeft(s[end+2:], " \t")
		if s != "" && s[0] != ',' {
			return nil, false, false
		}
	}
}

// versionOf returns the version a strong tag names. Weak tags (W/"…")
// never match for If-Match (strong comparison), and tags this service did
// not make never match at all.
func versionOf(tag string) (int64, bool) {
	if len(tag) < 3 || tag[0] != '"' || tag[len(tag)-1] != '"' {
		return 0, false
	}
	v, err := strconv.ParseInt(tag[1:len(tag)-1], 10, 64)
	if err != nil || v < 1 {
		return 0, false
	}
	return v, true
}

// ifMatch reads If-Match. It returns the versions the client accepts, or
// wildcard for "*"; ErrPreconditionRequired when the header is missing or
// lists nothing, a 400 when it is not a list of entity tags, and
// ErrPreconditionFailed when none of its tags can match.
func ifMatch(r *http.Request) (versions []int64, wildcard bool, err error) {
	tags, wildcard, ok := entityTags(strings.Join(r.Header.Values("If-Match"), ","))
	switch {
	case !ok:
		return nil, false, ErrMalformedPrecondition
	case wildcard:
		return nil, true, nil
	case len(tags) == 0:
		return nil, false, ErrPreconditionRequired
	}
	for _, t := range tags {
		if v, ok := versionOf(t); ok {
			versions = append(versions, v)
		}
	}
	if len(versions) == 0 {
		return nil, false, ErrPreconditionFailed
	}
	return versions, false, nil
}

// notModified reports whether If-None-Match matches version (weak
// comparison, RFC 9110 §13.1.2), so a GET can answer 304; a malformed
// header is a 400.
func notModified(r *http.Request, version int64) (bool, error) {
	tags, wildcard, ok := entityTags(strings.Join(r.Header.Values("If-None-Match"), ","))
	switch {
	case !ok:
		return false, ErrMalformedPrecondition
	case wildcard:
		return true, nil
	}
	for _, t := range tags {
		if v, ok := versionOf(strings.TrimPrefix(t, "W/")); ok && v == version {
			return true, nil
		}
	}
	return false, nil
}
