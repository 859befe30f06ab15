package api_test

import (
	"bytes"
	"fmt"
	"maps"
	"mime"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// contract is the OpenAPI document as the tests hold the API to it: every
// answer e.do receives must have a status and content type documented for
// its operation and a body its schema accepts. Response schemas are checked
// strictly: an object schema that lists properties allows no others, so a
// field the handlers add without documenting it fails the tests.
type contract struct {
	operations *http.ServeMux               // documented "METHOD /path" patterns
	responses  map[string]*documentedAnswer // by "METHOD /path STATUS"
	problem    *jsonschema.Schema           // for answers to undocumented routes
}

type documentedAnswer struct {
	bodies map[string]*jsonschema.Schema // by media type; empty: no body
}

const contractURL = "https://eventgate.test/openapi.json"

var loadContract = sync.OnceValues(func() (*contract, error) {
	raw, err := os.ReadFile("openapi.json")
	if err != nil {
		return nil, err
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	root := doc.(map[string]any)
	components := root["components"].(map[string]any)
	strictObjects(root, components["schemas"].(map[string]any))

	compiler := jsonschema.NewCompiler()
	compiler.AssertFormat()
	if err := compiler.AddResource(contractURL, root); err != nil {
		return nil, err
	}
	compile := func(pointer ...string) (*jsonschema.Schema, error) {
		for i, p := range pointer {
			pointer[i] = strings.ReplaceAll(strings.ReplaceAll(p, "~", "~0"), "/", "~1")
		}
		return compiler.Compile(contractURL + "#/" + strings.Join(pointer, "/"))
	}

	c := &contract{operations: http.NewServeMux(), responses: map[string]*documentedAnswer{}}
	if c.problem, err = compile("components", "schemas", "Problem"); err != nil {
		return nil, err
	}
	for path, item := range root["paths"].(map[string]any) {
		for method := range item.(map[string]any) {
			if method == "parameters" || method == "summary" || method == "description" {
				continue
			}
			op := strings.ToUpper(method) + " " + path
			c.operations.HandleFunc(op, func(http.ResponseWriter, *http.Request) {})
			for status, answer := range item.(map[string]any)[method].(map[string]any)["responses"].(map[string]any) {
				at := []string{"paths", path, method, "responses", status}
				body := answer.(map[string]any)
				if ref, ok := body["$ref"].(string); ok {
					at = strings.Split(strings.TrimPrefix(ref, "#/"), "/")
					body = components["responses"].(map[string]any)[at[2]].(map[string]any)
				}
				documented := &documentedAnswer{bodies: map[string]*jsonschema.Schema{}}
				content, _ := body["content"].(map[string]any)
				for mediaType := range content {
					if documented.bodies[mediaType], err = compile(append(slices.Clone(at), "content", mediaType, "schema")...); err != nil {
						return nil, fmt.Errorf("%s %s: %w", op, status, err)
					}
				}
				c.responses[op+" "+status] = documented
			}
		}
	}
	return c, nil
})

// strictObjects makes every object schema under node that lists properties
// refuse others, after merging allOf lists of object schemas into one
// (additionalProperties does not see through allOf).
func strictObjects(node any, schemas map[string]any) {
	switch n := node.(type) {
	case []any:
		for _, v := range n {
			strictObjects(v, schemas)
		}
	case map[string]any:
		if all, ok := n["allOf"].([]any); ok {
			mergeAllOf(n, all, schemas)
		}
		if _, lists := n["properties"].(map[string]any); lists {
			if _, set := n["additionalProperties"]; !set {
				n["additionalProperties"] = false
			}
		}
		for _, v := range n {
			strictObjects(v, schemas)
		}
	}
}

// mergeAllOf replaces schema's allOf of object schemas (or references to
// them) by their properties and required lists merged into schema itself.
func mergeAllOf(schema map[string]any, all []any, schemas map[string]any) {
	properties := map[string]any{}
	var required []any
	for _, part := range all {
		p := part.(map[string]any)
		if ref, ok := p["$ref"].(string); ok {
			p = schemas[strings.TrimPrefix(ref, "#/components/schemas/")].(map[string]any)
		}
		props, ok := p["properties"].(map[string]any)
		if !ok {
			return // not a merge of objects: leave it as it is
		}
		maps.Copy(properties, props)
		if r, ok := p["required"].([]any); ok {
			required = append(required, r...)
		}
	}
	delete(schema, "allOf")
	schema["type"] = "object"
	schema["properties"] = properties
	if required != nil {
		schema["required"] = required
	}
}

// check returns what is wrong with an answer to method path, or "".
func (c *contract) check(method, path string, status int, header http.Header, body []byte) string {
	req, _ := http.NewRequest(method, path, nil)
	_, pattern := c.operations.Handler(req)
	mediaType, _, _ := mime.ParseMediaType(header.Get("Content-Type"))
	if pattern == "" {
		// No documented operation: the router's 404 or 405 problem.
		if (status != http.StatusNotFound && status != http.StatusMethodNotAllowed) || mediaType != "application/problem+json" {
			return fmt.Sprintf("undocumented operation answered %d %s", status, mediaType)
		}
		return validate(c.problem, body)
	}
	documented, ok := c.responses[pattern+" "+strconv.Itoa(status)]
	if !ok {
		return fmt.Sprintf("status %d is not documented for %s", status, pattern)
	}
	if len(documented.bodies) == 0 {
		if len(body) > 0 {
			return fmt.Sprintf("%s %d is documented without a body, but answered %q", pattern, status, body)
		}
		return ""
	}
	schema, ok := documented.bodies[mediaType]
	if !ok {
		return fmt.Sprintf("%s %d answered %q; documented: %v", pattern, status, mediaType, slices.Sorted(maps.Keys(documented.bodies)))
	}
	if !strings.HasSuffix(mediaType, "json") {
		return "" // a text format (metrics) has no JSON schema to hold it to
	}
	if problem := validate(schema, body); problem != "" {
		return fmt.Sprintf("%s %d: %s", pattern, status, problem)
	}
	return ""
}

func validate(schema *jsonschema.Schema, body []byte) string {
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		return fmt.Sprintf("body is not JSON: %v: %q", err, body)
	}
	if err := schema.Validate(v); err != nil {
		return fmt.Sprintf("body does not match its documented schema: %v\nbody: %s", err, body)
	}
	return ""
}

// checkAnswer fails the test when an answer breaks the OpenAPI document.
func (e *env) checkAnswer(method, path string, status int, header http.Header, body []byte) {
	e.t.Helper()
	c, err := loadContract()
	if err != nil {
		e.t.Fatalf("loading openapi.json as the tests' contract: %v", err)
	}
	if problem := c.check(method, path, status, header, body); problem != "" {
		e.t.Errorf("%s %s: the answer breaks openapi.json: %s", method, path, problem)
	}
}
