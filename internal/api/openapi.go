package api

import (
	_ "embed"
	"net/http"
)

// openAPIDocument describes every route; TestOpenAPIMatchesRoutes keeps
// it true to what is registered.
//
//go:embed openapi.json
var openAPIDocument []byte

func serveOpenAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(openAPIDocument)
}
