package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// strictCases are event data that encoding/json accepts but I-JSON (RFC
// 7493) does not, each with the field a refusal must name (within the
// data, "" for the body as a whole), and data that must be accepted.
var strictCases = []struct {
	name, data string
	field      string // "ok" when accepted
}{
	{"invalid UTF-8", "{\"s\": \"caf\xe9\"}", "s"},
	{"invalid UTF-8 in a name", "{\"caf\xe9\": 1}", ""},
	{"lone high surrogate", `{"s": "\ud800"}`, "s"},
	{"lone low surrogate", `{"list": ["a", "\udc00"]}`, "list[1]"},
	{"number beyond a double", `{"n": 1e999}`, "n"},
	{"duplicate name", `{"a": 1, "a": 2}`, "a"},
	{"duplicate nested name", `{"items": [{"sku": 1, "sku": 2}]}`, "items[0].sku"},

	{"surrogate pair", `{"s": "\ud83d\ude00"}`, "ok"},
	{"largest double", `{"n": 1e308, "m": -1.7976931348623157e308}`, "ok"},
	{"UTF-8 text", `{"s": "naïve café 😀"}`, "ok"},
	{"same name in sibling objects", `{"items": [{"sku": 1}, {"sku": 2}]}`, "ok"},
}

// TestStrictJSON: the publish endpoints and ingest URLs refuse what is
// not I-JSON with 400 naming where, and store what is as it was sent.
func TestStrictJSON(t *testing.T) {
	e := newEnv(t)
	src := e.createSource(githubSource)
	for i, c := range strictCases {
		t.Run(c.name, func(t *testing.T) {
			event := fmt.Sprintf(`{"type": "order.created", "data": %s}`, c.data)
			batch := fmt.Sprintf(`{"events": [{"type": "order.created", "data": {}}, %s]}`, event)
			answers := map[string]answer{
				"publish": answerOf(e.do("POST", "/v1/events", event)),
				"ingest":  e.ingest(src, c.data, githubHeaders(c.data, "push", fmt.Sprint("delivery-", i))...),
			}
			code, _, body := e.do("POST", "/v1/events/batch", batch)
			var results struct {
				Results []struct {
					ID    string          `json:"id"`
					Error json.RawMessage `json:"error"`
				} `json:"results"`
			}
			if err := json.Unmarshal(body, &results); code != http.StatusAccepted || err != nil || len(results.Results) != 2 || results.Results[0].ID == "" {
				t.Fatalf("batch: %d %s; want 202 with the first, valid, entry published", code, body)
			}
			if r := results.Results[1]; r.Error != nil {
				answers["batch entry"] = answer{code: 400, body: r.Error}
			} else {
				answers["batch entry"] = answer{code: 202, body: []byte(fmt.Sprintf(`{"id": %q}`, r.ID))}
			}

			for endpoint, a := range answers {
				if c.field == "ok" {
					var stored struct{ ID string }
					if a.code != http.StatusAccepted || json.Unmarshal(a.body, &stored) != nil {
						t.Fatalf("%s: %d %s; want 202", endpoint, a.code, a.body)
					}
					var got struct{ Data json.RawMessage }
					e.must(http.StatusOK, "GET", "/v1/events/"+stored.ID, nil, &got)
					if !sameJSON(got.Data, c.data) {
						t.Fatalf("%s: stored data %s; sent %s", endpoint, got.Data, c.data)
					}
					continue
				}
				var p problem
				if a.code != http.StatusBadRequest || json.Unmarshal(a.body, &p) != nil || !strings.Contains(p.Detail, "I-JSON") {
					t.Fatalf("%s: %d %s; want 400 saying I-JSON", endpoint, a.code, a.body)
				}
				field := c.field
				if field != "" && endpoint != "ingest" { // the ingest body is the data
					field = "data." + field
				}
				if field != "" && !hasField(p, field) {
					t.Fatalf("%s: errors %+v do not name %q", endpoint, p.Errors, field)
				}
			}
		})
	}
}

func sameJSON(a json.RawMessage, b string) bool {
	var x, y any
	return json.Unmarshal(a, &x) == nil && json.Unmarshal([]byte(b), &y) == nil && fmt.Sprint(x) == fmt.Sprint(y)
}

// TestStrictJSONAroundTheBody: a body that goes on after its value, or
// repeats a top-level name, is refused as a whole.
func TestStrictJSONAroundTheBody(t *testing.T) {
	e := newEnv(t)
	okEvent := `{"type": "order.created", "data": {}}`
	for _, c := range []struct {
		name, path, body string
		field            string
		detail           string
	}{
		{"trailing brace", "/v1/events", okEvent + "}", "", "more than one JSON value"},
		{"trailing bracket", "/v1/events", okEvent + "]", "", "more than one JSON value"},
		{"trailing text", "/v1/events", okEvent + " x", "", "more than one JSON value"},
		{"repeated type", "/v1/events", `{"type": "order.created", "type": "order.paid", "data": {}}`, "type", "appears twice"},
		{"invalid UTF-8 in subject", "/v1/events", "{\"type\": \"order.created\", \"subject\": \"\xff\", \"data\": {}}", "subject", "not UTF-8"},
		{"batch with a trailing brace", "/v1/events/batch", `{"events": [` + okEvent + `]}}`, "", "more than one JSON value"},
		{"batch with events twice", "/v1/events/batch", `{"events": [` + okEvent + `], "events": [` + okEvent + `]}`, "events", "appears twice"},
		{"subscription with a trailing bracket", "/v1/subscriptions", `{"name": "x", "channel": {"type": "webhook", "url": "http://127.0.0.1:9/"}}]`, "", "more than one JSON value"},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, _, body := e.do("POST", c.path, c.body)
			var p problem
			if code != http.StatusBadRequest || json.Unmarshal(body, &p) != nil || !strings.Contains(p.Detail, c.detail) {
				t.Fatalf("%d %s; want 400 saying %q", code, body, c.detail)
			}
			if c.field != "" && !hasField(p, c.field) {
				t.Fatalf("errors %+v do not name %q", p.Errors, c.field)
			}
		})
	}
	var page struct{ Data []json.RawMessage }
	e.must(http.StatusOK, "GET", "/v1/events", nil, &page)
	if len(page.Data) != 0 {
		t.Fatalf("refused bodies stored %d events", len(page.Data))
	}
}
