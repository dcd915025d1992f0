// Package api embeds the OpenAPI document of the service.
package api

import (
	"embed"
	"net/http"
	"strconv"
)

//go:embed openapi.yaml
var files embed.FS

// OpenAPI returns the OpenAPI 3.1 document in YAML.
func OpenAPI() []byte {
	b, err := files.ReadFile("openapi.yaml")
	if err != nil {
		// The file is embedded at build time, so it is always there.
		return nil
	}
	return b
}

// Handler serves the document.
func Handler() http.Handler {
	doc := OpenAPI()
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/yaml")
		w.Header().Set("Content-Length", strconv.Itoa(len(doc)))
		_, _ = w.Write(doc) // The client is gone if this fails.
	})
}
