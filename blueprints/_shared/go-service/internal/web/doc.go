// Package web holds the HTTP plumbing shared by the service: JSON encoding
// and decoding, RFC 9457 problem responses, middleware and the server
// lifecycle.
package web
