package api_test

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// unaudited are the mutating routes under /v1 that change no control-plane
// state: publishing (data, not configuration) and dry runs.
var unaudited = map[string]string{
	"POST /v1/events":          "publishing",
	"POST /v1/events/batch":    "publishing",
	"POST /v1/filters/test":    "a dry run",
	"POST /v1/transforms/test": "a dry run",
}

// dataPlane matches the pull channel's routes, which consume deliveries.
var dataPlane = regexp.MustCompile(`/(pull|ack|nack|stream)$`)

// TestEveryChangeIsAudited walks the OpenAPI document's mutating routes
// and makes each change once, as a partner where partners may, checking
// that it left one audit entry naming the key that made it. A route added
// to the document without a case here, or without auditing, fails.
func TestEveryChangeIsAudited(t *testing.T) {
	f := newFixture(t)
	adminID, adminSecret := f.key(`{"scope":"admin","name":"auditor"}`)
	f.keys["auditor"] = adminSecret
	// A finished delivery can be retried.
	waitFor(t, "the deliveries to settle", func() bool {
		d := f.e.deliveries("event_id=" + f.evtA)
		return len(d) == 2 && d[0].Status != "pending" && d[1].Status != "pending"
	})
	type change struct{ scope, path, body string }
	cases := map[string]change{
		"POST /v1/subscriptions":                    {"partnerA", "/v1/subscriptions", `{"name":"n","channel":{"type":"webhook","url":"https://example.com","auth":{"type":"bearer","token":"tok-s3cret"}}}`},
		"PATCH /v1/subscriptions/{id}":              {"partnerA", "/v1/subscriptions/{sub}", `{"name":"renamed"}`},
		"DELETE /v1/subscriptions/{id}":             {"partnerA", "/v1/subscriptions/{new-sub}", ""},
		"POST /v1/subscriptions/{id}/pause":         {"partnerA", "/v1/subscriptions/{sub}/pause", ""},
		"POST /v1/subscriptions/{id}/resume":        {"partnerA", "/v1/subscriptions/{sub}/resume", ""},
		"POST /v1/subscriptions/{id}/rotate-secret": {"partnerA", "/v1/subscriptions/{sub}/rotate-secret", ""},
		"POST /v1/subscriptions/{id}/redrive":       {"partnerA", "/v1/subscriptions/{sub}/redrive", ""},
		"POST /v1/deliveries/{id}/retry":            {"partnerA", "/v1/deliveries/{dlv}/retry", ""},
		"PUT /v1/event-types/{name}":                {"auditor", "/v1/event-types/audit.put", `{"description":"x"}`},
		"PATCH /v1/event-types/{name}":              {"auditor", "/v1/event-types/order.created", `{"description":"y"}`},
		"DELETE /v1/event-types/{name}":             {"auditor", "/v1/event-types/{new-type}", ""},
		"POST /v1/partners":                         {"auditor", "/v1/partners", `{"name":"x"}`},
		"PATCH /v1/partners/{id}":                   {"auditor", "/v1/partners/{ptn}", `{"name":"y"}`},
		"DELETE /v1/partners/{id}":                  {"auditor", "/v1/partners/{new-ptn}", ""},
		"POST /v1/keys":                             {"auditor", "/v1/keys", `{"scope":"publisher","name":"k"}`},
		"DELETE /v1/keys/{id}":                      {"auditor", "/v1/keys/{new-key}", ""},
		"POST /v1/sources":                          {"auditor", "/v1/sources", string(must(json.Marshal(githubSource)))},
		"PATCH /v1/sources/{id}":                    {"auditor", "/v1/sources/{src}", `{"name":"renamed"}`},
		"DELETE /v1/sources/{id}":                   {"auditor", "/v1/sources/{new-src}", ""},
		"POST /v1/replays":                          {"partnerA", "/v1/replays", `{"subscription_id":"{sub}","from":"2026-01-01T00:00:00Z","to":"2026-01-02T00:00:00Z"}`},
		"DELETE /v1/replays/{id}":                   {"partnerA", "/v1/replays/{new-rpl}", ""},
	}
	fresh := map[string]func() string{
		"{new-sub}": func() string { return f.partnerSubscription(f.partnerA) },
		"{new-ptn}": func() string {
			var p struct{ ID string }
			f.e.must(201, "POST", "/v1/partners", `{"name":"doomed"}`, &p)
			return p.ID
		},
		"{new-key}":  func() string { id, _ := f.key(`{"scope":"publisher","name":"doomed"}`); return id },
		"{new-src}":  func() string { return f.e.createSource(githubSource).ID },
		"{new-type}": func() string { f.e.must(200, "PUT", "/v1/event-types/audit.doomed", `{}`, nil); return "audit.doomed" },
		"{new-rpl}":  f.runningReplay,
	}
	actors := map[string]struct{ id, role string }{"partnerA": {f.keyA, "partner"}, "auditor": {adminID, "admin"}}

	_, _, doc := f.e.do("GET", "/v1/openapi.json", nil)
	var spec struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(doc, &spec); err != nil {
		t.Fatal(err)
	}
	for path, ops := range spec.Paths {
		for method := range ops {
			route := strings.ToUpper(method) + " " + path
			if !strings.HasPrefix(path, "/v1/") || method == "get" || !httpMethods[method] || unaudited[route] != "" || dataPlane.MatchString(path) {
				continue
			}
			c, ok := cases[route]
			if !ok {
				t.Errorf("%s changes state but has no case here: add one, and record the change in the audit log (gateway.audit)", route)
				continue
			}
			t.Run(route, func(t *testing.T) {
				target := strings.NewReplacer("{sub}", f.subA, "{dlv}", f.dlvA, "{ptn}", f.partnerA, "{src}", f.source).Replace(c.path)
				for placeholder, create := range fresh {
					if strings.Contains(target, placeholder) {
						target = strings.Replace(target, placeholder, create(), 1)
					}
				}
				actor := actors[c.scope]
				before := f.auditEntries("actor=" + actor.id)
				code, body := f.call(c.scope, strings.ToUpper(method), target, strings.ReplaceAll(c.body, "{sub}", f.subA))
				if code >= 300 {
					t.Fatalf("the change failed: %d %s", code, body)
				}
				after := f.auditEntries("actor=" + actor.id)
				if len(after) != len(before)+1 {
					t.Fatalf("%d audit entries by %s after the change, want %d: %s", len(after), actor.id, len(before)+1, mustJSON(after))
				}
				got := after[0]
				if got.ActorRole != actor.role || got.Action == "" || got.TargetID == "" || !strings.Contains(target+string(body), got.TargetID) {
					t.Fatalf("audit entry %s does not name the role %s and the target of %s (answered %s)", mustJSON(got), actor.role, target, body)
				}
			})
		}
	}
	// Secrets are redacted as in answers: channel credentials, signing and verify secrets.
	for _, e := range f.auditEntries("") {
		if text := mustJSON(e); strings.Contains(text, "tok-s3cret") || strings.Contains(text, "whsec_") || strings.Contains(text, githubSecret) {
			t.Errorf("audit entry shows a secret: %s", text)
		}
	}
}

// auditEntry is an entry of GET /v1/audit.
type auditEntry struct {
	ID         string          `json:"id"`
	ActorKeyID string          `json:"actor_key_id"`
	ActorRole  string          `json:"actor_role"`
	Action     string          `json:"action"`
	TargetID   string          `json:"target_id"`
	Before     json.RawMessage `json:"before"`
	After      json.RawMessage `json:"after"`
}

func (f *fixture) auditEntries(query string) []auditEntry {
	f.e.t.Helper()
	var page struct{ Data []auditEntry }
	f.e.must(http.StatusOK, "GET", "/v1/audit?limit=500&"+query, nil, &page)
	return page.Data
}

func mustJSON(v any) string { return string(must(json.Marshal(v))) }
