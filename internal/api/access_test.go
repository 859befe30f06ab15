package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// fixture is one partner's world beside another partner and the admin's.
type fixture struct {
	e                 *env
	keys              map[string]string // scope name -> key secret
	partnerA          string
	subA, dlvA, evtA  string
	subInternal       string
	keyA, partnerBSub string
}

func newFixture(t *testing.T) *fixture {
	e := newEnv(t)
	rc := newReceiver(t, nil)
	f := &fixture{e: e, keys: map[string]string{"admin": adminKey}}
	var a, b struct{ ID string }
	e.must(201, "POST", "/v1/partners", `{"name":"Acme","environments":["prod","test"]}`, &a)
	e.must(201, "POST", "/v1/partners", `{"name":"Globex"}`, &b)
	f.partnerA = a.ID
	key := func(body string) (string, string) {
		var k struct{ ID, Key string }
		e.must(201, "POST", "/v1/keys", body, &k)
		return k.ID, k.Key
	}
	f.keyA, f.keys["partnerA"] = key(`{"scope":"partner","name":"acme","partner_id":"` + a.ID + `","publish_types":["request.*"]}`)
	_, f.keys["partnerB"] = key(`{"scope":"partner","name":"globex","partner_id":"` + b.ID + `"}`)
	_, f.keys["publisher"] = key(`{"scope":"publisher","name":"shop","publish_types":["order.*"]}`)
	var sub struct{ ID string }
	e.must(201, "POST", "/v1/subscriptions", map[string]any{"name": "acme hook", "partner_id": a.ID, "environment": "test",
		"channel": map[string]any{"type": "webhook", "url": rc.URL}, "filter": map[string]any{"event_types": []string{"order.*"}}}, &sub)
	f.subA = sub.ID
	e.must(201, "POST", "/v1/subscriptions", map[string]any{"name": "globex hook", "partner_id": b.ID,
		"channel": map[string]any{"type": "webhook", "url": rc.URL}, "filter": map[string]any{"event_types": []string{"order.*"}}}, &sub)
	f.partnerBSub = sub.ID
	f.subInternal = e.subscribe(rc.URL, map[string]any{"filter": map[string]any{"event_types": []string{"request.*"}}}).ID
	f.evtA = e.publish("order.created", `{"n":1}`)
	waitFor(t, "the deliveries", func() bool { return len(e.deliveries("event_id="+f.evtA)) == 2 })
	for _, d := range e.deliveries("event_id=" + f.evtA) {
		if d.SubscriptionID == f.subA {
			f.dlvA = d.ID
		}
	}
	waitFor(t, "delivery to finish", func() bool { return rc.count() >= 2 })
	return f
}

// call sends a request with the named scope's key ("none" sends none).
func (f *fixture) call(scope, method, path, body string) (int, []byte) {
	headers := []string{"Authorization", ""}
	if k, ok := f.keys[scope]; ok {
		headers = []string{"Authorization", "Bearer " + k}
	}
	code, _, b := f.e.do(method, path, body, headers...)
	return code, b
}

// TestAccessMatrix calls every route with every kind of key against a
// partner's resources and checks who gets in. Partners reaching what is
// not theirs get 404, never 403, so they learn nothing of other ids.
func TestAccessMatrix(t *testing.T) {
	type expect struct {
		method, path, body string
		// who may call it on partner A's resources (admin always may)
		publisher, partnerA bool
	}
	routes := []expect{
		{"POST", "/v1/events", `{"type":"order.created","data":{}}`, true, false}, // partner A may publish request.* only
		{"POST", "/v1/events/batch", `{"events":[{"type":"order.created","data":{}}]}`, true, true},
		{"GET", "/v1/events", "", false, false},
		{"GET", "/v1/events/{evt}", "", false, false},
		{"POST", "/v1/subscriptions", `{"name":"n","channel":{"type":"webhook","url":"https://example.com"}}`, false, true},
		{"GET", "/v1/subscriptions", "", false, true},
		{"GET", "/v1/subscriptions/{sub}", "", false, true},
		{"PATCH", "/v1/subscriptions/{sub}", `{"name":"renamed"}`, false, true},
		{"DELETE", "/v1/subscriptions/{sub}", "", false, true},
		{"POST", "/v1/subscriptions/{sub}/pause", "", false, true},
		{"POST", "/v1/subscriptions/{sub}/resume", "", false, true},
		{"POST", "/v1/subscriptions/{sub}/rotate-secret", "", false, true},
		{"POST", "/v1/subscriptions/{sub}/redrive", "", false, true},
		{"POST", "/v1/filters/test", `{"pattern":{"type":["a"]},"event":{"type":"a"}}`, false, true},
		{"POST", "/v1/transforms/test", `{"payload_format":"data","event":{"type":"a","data":{"x":1}}}`, false, true},
		{"GET", "/v1/event-types", "", false, true},
		{"GET", "/v1/event-types/order.created", "", false, true},
		{"PUT", "/v1/event-types/order.created", `{"description":"x"}`, false, false},
		{"PATCH", "/v1/event-types/order.created", `{"description":"y"}`, false, false},
		{"DELETE", "/v1/event-types/order.created", "", false, false},
		{"GET", "/v1/deliveries", "", false, true},
		{"GET", "/v1/deliveries/{dlv}", "", false, true},
		{"POST", "/v1/deliveries/{dlv}/retry", "", false, true},
		{"POST", "/v1/partners", `{"name":"x"}`, false, false},
		{"GET", "/v1/partners", "", false, false},
		{"GET", "/v1/partners/{ptn}", "", false, false},
		{"PATCH", "/v1/partners/{ptn}", `{"name":"y"}`, false, false},
		{"DELETE", "/v1/partners/{ptn}", "", false, false},
		{"GET", "/v1/partners/{ptn}/usage", "", false, true},
		{"POST", "/v1/keys", `{"scope":"publisher","name":"k"}`, false, false},
		{"GET", "/v1/keys", "", false, false},
		{"DELETE", "/v1/keys/{key}", "", false, false},
	}
	covered := map[string]bool{}
	for _, rt := range routes {
		covered[rt.method+" "+routePattern(rt.path)] = true
	}
	for _, r := range newEnv(t).api.Routes() {
		if !covered[r.Method+" "+r.Path] && !strings.HasPrefix(r.Path, "/healthz") && r.Path != "/v1/openapi.json" && !strings.HasPrefix(r.Path, "/ingest/") && !strings.HasPrefix(r.Path, "/v1/sources") {
			t.Errorf("route %s %s has no row in the access matrix", r.Method, r.Path)
		}
	}
	for _, rt := range routes {
		for _, scope := range []string{"none", "publisher", "partnerB", "partnerA", "admin"} {
			t.Run(fmt.Sprintf("%s %s as %s", rt.method, rt.path, scope), func(t *testing.T) {
				f := newFixture(t)
				path := strings.NewReplacer("{evt}", f.evtA, "{sub}", f.subA, "{dlv}", f.dlvA, "{ptn}", f.partnerA, "{key}", f.keyA).Replace(rt.path)
				if rt.method == "POST" && strings.HasSuffix(path, "/retry") {
					// A finished delivery can be retried; make sure it has finished.
					waitFor(t, "the delivery to settle", func() bool {
						d := f.e.deliveries("event_id=" + f.evtA)
						return len(d) == 2 && d[0].Status != "pending" && d[1].Status != "pending"
					})
				}
				code, body := f.call(scope, rt.method, path, rt.body)
				allowed := map[string]bool{"admin": true, "publisher": rt.publisher, "partnerA": rt.partnerA}[scope]
				// Partner B may list (its own things) and use what takes no id, but never A's ids.
				if scope == "partnerB" && rt.partnerA && !strings.Contains(rt.path, "{") {
					allowed = true
				}
				switch {
				case scope == "none":
					if code != http.StatusUnauthorized {
						t.Fatalf("no key: %d %s, want 401", code, body)
					}
				case allowed:
					if code == 401 || code == 403 || code == 404 || code >= 500 {
						t.Fatalf("%s was refused: %d %s", scope, code, body)
					}
				case scope == "partnerA" || scope == "partnerB":
					if code != http.StatusNotFound && !(code == 403 && strings.Contains(string(body), "publish_types")) {
						t.Fatalf("%s got %d %s, want 404", scope, code, body)
					}
				default:
					if code != http.StatusForbidden {
						t.Fatalf("%s got %d %s, want 403", scope, code, body)
					}
				}
			})
		}
	}
}

func routePattern(path string) string {
	return strings.NewReplacer("{evt}", "{id}", "{sub}", "{id}", "{dlv}", "{id}", "{ptn}", "{id}", "{key}", "{id}", "order.created", "{name}").Replace(path)
}

// TestPartnerSeesOnlyItsOwn: lists answer a partner only its own things,
// and what it creates is its own.
func TestPartnerSeesOnlyItsOwn(t *testing.T) {
	f := newFixture(t)
	var subs struct {
		Data []struct{ ID, PartnerID string }
	}
	_, body := f.call("partnerA", "GET", "/v1/subscriptions", "")
	json.Unmarshal(body, &subs)
	if len(subs.Data) != 1 || subs.Data[0].ID != f.subA {
		t.Fatalf("partner A lists %s, want only %s", body, f.subA)
	}
	var ds struct{ Data []struct{ ID string } }
	_, body = f.call("partnerB", "GET", "/v1/deliveries", "")
	json.Unmarshal(body, &ds)
	for _, d := range ds.Data {
		if d.ID == f.dlvA {
			t.Fatalf("partner B sees partner A's delivery: %s", body)
		}
	}
	code, body := f.call("partnerA", "POST", "/v1/subscriptions", `{"name":"mine","environment":"prod","channel":{"type":"webhook","url":"https://example.com/h"}}`)
	var created struct {
		PartnerID   string `json:"partner_id"`
		Environment string
	}
	json.Unmarshal(body, &created)
	if code != 201 || created.PartnerID != f.partnerA || created.Environment != "prod" {
		t.Fatalf("partner's new subscription: %d %s", code, body)
	}
	code, body = f.call("partnerA", "POST", "/v1/subscriptions", `{"name":"x","partner_id":"ptn_other","channel":{"type":"webhook","url":"https://example.com/h"}}`)
	if code != 422 || !strings.Contains(string(body), "partner_id") {
		t.Fatalf("partner naming another partner: %d %s", code, body)
	}
	code, body = f.call("partnerA", "POST", "/v1/subscriptions", `{"name":"x","environment":"staging","channel":{"type":"webhook","url":"https://example.com/h"}}`)
	if code != 422 || !strings.Contains(string(body), "environment") {
		t.Fatalf("unknown environment: %d %s", code, body)
	}
}

// TestRevokedKeyStopsAtOnce: revoking a key (or deleting its partner) on
// this node stops it at once, despite the key cache.
func TestRevokedKeyStopsAtOnce(t *testing.T) {
	f := newFixture(t)
	if code, body := f.call("partnerA", "GET", "/v1/subscriptions", ""); code != 200 {
		t.Fatalf("before revocation: %d %s", code, body)
	}
	f.e.must(204, "DELETE", "/v1/keys/"+f.keyA, nil, nil)
	if code, _ := f.call("partnerA", "GET", "/v1/subscriptions", ""); code != 401 {
		t.Fatalf("a revoked key answered %d, want 401", code)
	}
	if code, _ := f.call("publisher", "POST", "/v1/events", `{"type":"order.created","data":{}}`); code != 202 {
		t.Fatalf("another key stopped working: %d", code)
	}
}
