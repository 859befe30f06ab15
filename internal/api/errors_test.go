package api_test

import (
	"encoding/json"
	"fmt"
	"github.com/eventgate/eventgate/internal/gateway"
	"net/http"
	"strings"
	"testing"
)

type problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
	Errors []struct {
		Field   string `json:"field"`
		Message string `json:"message"`
	} `json:"errors"`
}

// TestBadRequestsGetProblemsAndStoreNothing sends every kind of bad
// request and checks each answer is problem+json that names the trouble,
// and that nothing was stored.
func TestBadRequestsGetProblemsAndStoreNothing(t *testing.T) {
	e := newEnv(t)
	hook := "http://127.0.0.1:9/hook"
	okEvent := `{"type":"order.created","data":{}}`
	bigEvent := `{"type":"order.created","data":"` + strings.Repeat("x", 256<<10) + `"}`
	var bigBatch strings.Builder
	bigBatch.WriteString(`{"events":[`)
	for i := range 501 {
		if i > 0 {
			bigBatch.WriteString(",")
		}
		bigBatch.WriteString(okEvent)
	}
	bigBatch.WriteString(`]}`)

	cases := []struct {
		name, method, path, body string
		headers                  []string
		status                   int
		field                    string // a field the errors must name, if any
		detail                   string // text the detail must contain
	}{
		{"malformed JSON", "POST", "/v1/events", `{"type": "order.created", "data": `, nil, 400, "", "ends in the middle"},
		{"not JSON", "POST", "/v1/events", `type=order.created`, nil, 400, "", "not valid JSON"},
		{"empty body", "POST", "/v1/events", ``, nil, 400, "", "empty"},
		{"two values", "POST", "/v1/events", okEvent + okEvent, nil, 400, "", "more than one JSON value"},
		{"unknown field", "POST", "/v1/events", `{"type":"order.created","data":{},"tpye":"x"}`, nil, 400, "tpye", "tpye"},
		{"wrong field type", "POST", "/v1/events", `{"type":42,"data":{}}`, nil, 400, "type", "must be a string"},
		{"missing type", "POST", "/v1/events", `{"data":{}}`, nil, 422, "type", "type is required"},
		{"missing data", "POST", "/v1/events", `{"type":"order.created"}`, nil, 422, "data", "data is required"},
		{"null data", "POST", "/v1/events", `{"type":"order.created","data":null}`, nil, 422, "data", "data is required"},
		{"bad type", "POST", "/v1/events", `{"type":"Order Created","data":{}}`, nil, 422, "type", "[a-z0-9]"},
		{"bad severity", "POST", "/v1/events", `{"type":"a","severity":"loud","data":{}}`, nil, 422, "severity", "one of"},
		{"nested attribute", "POST", "/v1/events", `{"type":"a","attributes":{"x":{"y":1}},"data":{}}`, nil, 422, "attributes.x", "flat map"},
		{"event over 256 KiB", "POST", "/v1/events", bigEvent, nil, 413, "", "larger than 256 KiB"},
		{"long idempotency key", "POST", "/v1/events", okEvent, []string{"Idempotency-Key", strings.Repeat("k", 300)}, 400, "", "Idempotency-Key"},
		{"batch over 500", "POST", "/v1/events/batch", bigBatch.String(), nil, 422, "events", "1 to 500"},
		{"empty batch", "POST", "/v1/events/batch", `{"events":[]}`, nil, 422, "events", "1 to 500"},
		{"batch without events", "POST", "/v1/events/batch", `{}`, nil, 422, "events", "required"},
		{"bad URL", "POST", "/v1/subscriptions", `{"name":"x","channel":{"type":"webhook","url":"ftp://example.com"}}`, nil, 422, "channel.url", "http(s) URL"},
		{"missing URL", "POST", "/v1/subscriptions", `{"name":"x","channel":{"type":"webhook"}}`, nil, 422, "channel.url", "http(s) URL"},
		{"bad channel type", "POST", "/v1/subscriptions", `{"name":"x","channel":{"type":"pigeon","url":"` + hook + `"}}`, nil, 422, "channel.type", "webhook"},
		{"missing name", "POST", "/v1/subscriptions", `{"channel":{"type":"webhook","url":"` + hook + `"}}`, nil, 422, "name", "required"},
		{"bad duration", "POST", "/v1/subscriptions", `{"name":"x","channel":{"type":"webhook","url":"` + hook + `"},"retry_policy":{"max_age":"5 days"}}`, nil, 400, "", `"5 days" is not a duration`},
		{"numeric duration", "POST", "/v1/subscriptions", `{"name":"x","channel":{"type":"webhook","url":"` + hook + `"},"retry_policy":{"max_backoff":60}}`, nil, 400, "", "duration string"},
		{"bad event type glob", "POST", "/v1/subscriptions", `{"name":"x","channel":{"type":"webhook","url":"` + hook + `"},"filter":{"event_types":["Order!"]}}`, nil, 422, "filter.event_types[0]", "glob"},
		{"reserved header", "POST", "/v1/subscriptions", `{"name":"x","channel":{"type":"webhook","url":"` + hook + `","headers":{"Webhook-Signature":"x"}}}`, nil, 422, "channel.headers.Webhook-Signature", "set by eventgate"},
		{"concurrency out of range", "POST", "/v1/subscriptions", `{"name":"x","channel":{"type":"webhook","url":"` + hook + `"},"max_concurrency":5000}`, nil, 422, "max_concurrency", "between 1 and 1000"},
		{"unknown subscription", "GET", "/v1/subscriptions/sub_nope", "", nil, 404, "", "check the id"},
		{"patch unknown subscription", "PATCH", "/v1/subscriptions/sub_nope", `{"name":"y"}`, nil, 404, "", "check the id"},
		{"unknown event", "GET", "/v1/events/evt_nope", "", nil, 404, "", "check the id"},
		{"unknown delivery", "GET", "/v1/deliveries/dlv_nope", "", nil, 404, "", "check the id"},
		{"retry unknown delivery", "POST", "/v1/deliveries/dlv_nope/retry", "", nil, 404, "", "check the id"},
		{"redrive unknown subscription", "POST", "/v1/subscriptions/sub_nope/redrive", "", nil, 404, "", "check the id"},
		{"bad limit", "GET", "/v1/events?limit=0", "", nil, 400, "", "limit must be"},
		{"bad cursor", "GET", "/v1/deliveries?after=%25%25", "", nil, 400, "", "invalid cursor"},
		{"bad status filter", "GET", "/v1/deliveries?status=lost", "", nil, 400, "", "status must be one of"},
		{"missing key", "POST", "/v1/events", okEvent, []string{"Authorization", ""}, 401, "", "Authorization: Bearer"},
		{"wrong key", "POST", "/v1/events", okEvent, []string{"Authorization", "Bearer eg_adm_wrong-key-000000000"}, 401, "", "unknown"},
		{"not bearer", "GET", "/v1/subscriptions", "", []string{"Authorization", "Basic " + adminKey}, 401, "", "Bearer"},
		{"unknown route", "GET", "/v1/nothing", "", nil, 404, "", "openapi.json"},
		{"wrong method", "PUT", "/v1/events", "", nil, 405, "", "use GET, HEAD, POST"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, h, body := e.do(c.method, c.path, c.body, c.headers...)
			if code != c.status {
				t.Fatalf("status %d, want %d: %s", code, c.status, body)
			}
			if ct := h.Get("Content-Type"); ct != "application/problem+json" {
				t.Fatalf("Content-Type %q, want application/problem+json", ct)
			}
			var p problem
			if err := json.Unmarshal(body, &p); err != nil {
				t.Fatalf("not JSON: %s", body)
			}
			if p.Status != c.status || p.Title == "" || !strings.HasPrefix(p.Type, "https://") || !strings.Contains(p.Detail, c.detail) {
				t.Fatalf("problem %+v; want status %d and a detail containing %q", p, c.status, c.detail)
			}
			if c.field != "" && !hasField(p, c.field) {
				t.Fatalf("errors %+v do not name field %q", p.Errors, c.field)
			}
		})
	}
	for _, path := range []string{"/v1/events", "/v1/subscriptions", "/v1/deliveries"} {
		var page struct{ Data []json.RawMessage }
		e.must(http.StatusOK, "GET", path, nil, &page)
		if len(page.Data) != 0 {
			t.Errorf("rejected requests stored %d rows at %s", len(page.Data), path)
		}
	}
}

func hasField(p problem, field string) bool {
	for _, f := range p.Errors {
		if f.Field == field && f.Message != "" {
			return true
		}
	}
	return false
}

// TestPrivateTargetsRefused: without --allow-private-targets, webhook URLs
// on loopback, private and metadata addresses are refused with a clear error.
func TestPrivateTargetsRefused(t *testing.T) {
	e := newEnv(t, func(c *gateway.Config) { c.AllowPrivateTargets = false })
	for _, url := range []string{"http://127.0.0.1:8080/x", "http://localhost/x", "http://169.254.169.254/latest", "http://[::1]/", "http://192.168.0.10/"} {
		code, _, body := e.do("POST", "/v1/subscriptions", fmt.Sprintf(`{"name":"x","channel":{"type":"webhook","url":%q}}`, url))
		var p problem
		_ = json.Unmarshal(body, &p)
		if code != 422 || !hasField(p, "channel.url") || !strings.Contains(p.Detail, "--allow-private-targets") {
			t.Errorf("%s: %d %s; want 422 naming channel.url and --allow-private-targets", url, code, body)
		}
	}
}
