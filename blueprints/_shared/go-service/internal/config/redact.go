package config

import (
	"net/url"
	"strings"
)

// A parsed DSN: its text with every secret replaced by Redacted, and the
// secrets themselves as written and unescaped, for ScrubDSN.
type redaction struct {
	text    string
	secrets []string
}

// RedactDSN returns the database URL or key=value connection string dsn
// with its passwords replaced by REDACTED, for logs and error messages.
//
// It does not trust url.Parse, which reads "app:2024/secret@db" as the
// host "app" and port "2024": in a URL, everything between "://" and the
// last "@" is the userinfo, and what follows its first ":" is a password,
// whatever characters it holds. Query parameters that name a secret
// (password, sslpassword, …) are redacted too. A key=value string is
// parsed as libpq does (quoted values, spaces around "="); one that does
// not parse is redacted whole.
func RedactDSN(dsn string) string { return redactDSN(dsn).text }

func redactDSN(dsn string) redaction {
	if scheme, rest, ok := strings.Cut(dsn, "://"); ok && validScheme(scheme) {
		r := redactURL(rest)
		r.text = scheme + "://" + r.text
		return r
	}
	if looksKeyValue(dsn) {
		return redactKeyValue(dsn)
	}
	// A scheme-less form such as user:password@tcp(host)/db, or a path.
	return redactURL(dsn)
}

func validScheme(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		letter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		other := c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.'
		if !letter && (i == 0 || !other) {
			return false
		}
	}
	return true
}

// redactURL redacts the userinfo password and the secret query
// parameters of a URL without its scheme.
func redactURL(rest string) redaction {
	var r redaction
	var b strings.Builder
	if at := strings.LastIndex(rest, "@"); at >= 0 {
		if user, pw, ok := strings.Cut(rest[:at], ":"); ok {
			r.add(pw, true)
			b.WriteString(user + ":" + Redacted + "@")
			rest = rest[at+1:]
		}
	}
	head, query, hasQuery := strings.Cut(rest, "?")
	b.WriteString(head)
	if hasQuery {
		b.WriteByte('?')
		for i, param := range strings.Split(query, "&") {
			if i > 0 {
				b.WriteByte('&')
			}
			key, value, hasValue := strings.Cut(param, "=")
			name, err := url.QueryUnescape(key)
			if err != nil {
				name = key
			}
			if hasValue && secretKey(name) {
				r.add(value, true)
				param = key + "=" + Redacted
			}
			b.WriteString(param)
		}
	}
	r.text = b.String()
	return r
}

// secretKey reports whether a connection parameter holds a secret.
func secretKey(name string) bool {
	name = strings.ToLower(name)
	switch name {
	case "pass", "pwd", "passwd":
		return true
	}
	return strings.Contains(name, "password") || strings.Contains(name, "secret") || strings.Contains(name, "token")
}

// looksKeyValue reports whether dsn starts like key=value.
func looksKeyValue(dsn string) bool {
	key, _, ok := strings.Cut(strings.TrimLeft(dsn, " \t\n\r"), "=")
	key = strings.TrimRight(key, " \t")
	return ok && key != "" && !strings.ContainsAny(key, " \t/:@?")
}

// redactKeyValue parses a libpq key=value string: keys, optional spaces
// around "=", values bare or in single quotes with backslash escapes. The
// result is rebuilt as key=value pairs separated by one space.
func redactKeyValue(dsn string) redaction {
	var r redaction
	var pairs []string
	s := dsn
	for {
		s = strings.TrimLeft(s, " \t\n\r")
		if s == "" {
			break
		}
		eq := strings.IndexByte(s, '=')
		if eq <= 0 || strings.ContainsAny(strings.TrimRight(s[:eq], " \t"), " \t\n\r'\\") {
			return redaction{text: Redacted, secrets: []string{dsn}}
		}
		key := strings.TrimRight(s[:eq], " \t")
		s = strings.TrimLeft(s[eq+1:], " \t")
		raw, value, tail, ok := kvValue(s)
		if !ok {
			return redaction{text: Redacted, secrets: []string{dsn}}
		}
		s = tail
		if secretKey(key) {
			r.add(value, false)
			raw = Redacted
		}
		pairs = append(pairs, key+"="+raw)
	}
	r.text = strings.Join(pairs, " ")
	return r
}

// kvValue reads one value at the start of s: its spelling, its value and
// the rest of s.
func kvValue(s string) (raw, value, tail string, ok bool) {
	if !strings.HasPrefix(s, "'") {
		end := strings.IndexAny(s, " \t\n\r")
		if end < 0 {
			end = len(s)
		}
		raw = s[:end]
		return raw, strings.ReplaceAll(raw, `\`, ""), s[end:], true
	}
	var v strings.Builder
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			if i+1 == len(s) {
				return "", "", "", false
			}
			i++
			v.WriteByte(s[i])
		case '\'':
			return s[:i+1], v.String(), s[i+1:], true
		default:
			v.WriteByte(s[i])
		}
	}
	return "", "", "", false // no closing quote
}

// add records a secret as written and, for URLs, unescaped.
func (r *redaction) add(secret string, escaped bool) {
	if secret == "" {
		return
	}
	r.secrets = append(r.secrets, secret)
	if escaped {
		if plain, err := url.PathUnescape(secret); err == nil && plain != secret {
			r.secrets = append(r.secrets, plain)
		}
	}
}

// ScrubDSN returns err with the connection string dsn and its passwords
// removed from the message, in every spelling a driver may have printed
// (raw, URL-escaped). errors.Is and errors.As still see the original
// chain. Wrap the errors of every call that was given a DSN with it, so
// that a password never reaches a log or a terminal.
func ScrubDSN(err error, dsn string) error {
	if err == nil || dsn == "" {
		return err
	}
	msg := err.Error()
	red := redactDSN(dsn)
	out := strings.ReplaceAll(msg, dsn, red.text)
	for _, pw := range red.secrets {
		for _, spelling := range []string{url.QueryEscape(pw), url.PathEscape(pw), url.UserPassword("", pw).String()[1:], pw} {
			if spelling != "" {
				out = strings.ReplaceAll(out, spelling, Redacted)
			}
		}
	}
	if out == msg {
		return err
	}
	return &scrubbedError{msg: out, err: err}
}

type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.err }
