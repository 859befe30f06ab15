package client_test

import (
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
)

// requested holds every "METHOD /path" the tests' clients sent.
var requested sync.Map

// TestMain fails the package when the tests, run whole, did not send
// every route the OpenAPI document lists: the client covers them all, and
// a route added to the document needs a method and a test here.
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 && flag.Lookup("test.run").Value.String() == "" {
		if missing, err := unrequestedRoutes(); err != nil || len(missing) > 0 {
			fmt.Fprintf(os.Stderr, "FAIL: routes of openapi.json no test sent through the client: %v %v\n", missing, err)
			code = 1
		}
	}
	os.Exit(code)
}

func unrequestedRoutes() ([]string, error) {
	raw, err := os.ReadFile("../../internal/api/openapi.json")
	if err != nil {
		return nil, err
	}
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, err
	}
	routes := http.NewServeMux()
	for path, item := range doc.Paths {
		for method := range item {
			if method != "parameters" {
				routes.HandleFunc(strings.ToUpper(method)+" "+path, func(http.ResponseWriter, *http.Request) {})
			}
		}
	}
	sent := map[string]bool{}
	requested.Range(func(key, _ any) bool {
		method, path, _ := strings.Cut(key.(string), " ")
		if _, pattern := routes.Handler(httptest.NewRequest(method, path, nil)); pattern != "" {
			sent[pattern] = true
		}
		return true
	})
	var missing []string
	for path, item := range doc.Paths {
		for method := range item {
			if route := strings.ToUpper(method) + " " + path; method != "parameters" && !sent[route] {
				missing = append(missing, route)
			}
		}
	}
	slices.Sort(missing)
	return missing, nil
}
