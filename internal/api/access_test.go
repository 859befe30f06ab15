package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/eventgate/eventgate/internal/event"
	"github.com/eventgate/eventgate/internal/gateway"
	"github.com/eventgate/eventgate/internal/metrics"
)

// fixture is one partner's world beside another partner and the admin's.
type fixture struct {
	e                 *env
	rc                *receiver
	keys              map[string]string // scope name -> key secret
	partnerA          string
	subA, dlvA, evtA  string
	subInternal       string
	keyA, partnerBSub string
	source            string
	replay            string // into subA
}

func newFixture(t *testing.T) *fixture {
	e := newEnv(t, func(c *gateway.Config) { c.Metrics = metrics.New(metrics.Options{}).Handler() })
	rc := newReceiver(t, nil)
	f := &fixture{e: e, rc: rc, keys: map[string]string{"admin": adminKey}}
	var a, b struct{ ID string }
	e.must(201, "POST", "/v1/partners", `{"name":"Acme","environments":["prod","test"],"subscribe_types":["order.*"]}`, &a)
	e.must(201, "POST", "/v1/partners", `{"name":"Globex","subscribe_types":["order.*"]}`, &b)
	f.partnerA = a.ID
	f.keyA, f.keys["partnerA"] = f.key(`{"scope":"partner","name":"acme","partner_id":"` + a.ID + `","publish_types":["request.*"]}`)
	_, f.keys["partnerB"] = f.key(`{"scope":"partner","name":"globex","partner_id":"` + b.ID + `"}`)
	_, f.keys["publisher"] = f.key(`{"scope":"publisher","name":"shop","publish_types":["order.*"]}`)
	f.subA = f.partnerSubscription(a.ID)
	f.partnerBSub = f.partnerSubscription(b.ID)
	f.subInternal = e.subscribe(rc.URL, map[string]any{"filter": map[string]any{"event_types": []string{"request.*"}}}).ID
	f.evtA = e.publish("order.created", `{"n":1}`)
	waitFor(t, "the deliveries", func() bool { return len(e.deliveries("event_id="+f.evtA)) == 2 })
	for _, d := range e.deliveries("event_id=" + f.evtA) {
		if d.SubscriptionID == f.subA {
			f.dlvA = d.ID
		}
	}
	waitFor(t, "delivery to finish", func() bool { return rc.count() >= 2 })
	f.source = e.createSource(githubSource).ID
	var r struct{ ID string }
	// A window before the fixture's events, so that their deliveries stay as they are.
	e.must(202, "POST", "/v1/replays", map[string]any{"subscription_id": f.subA, "from": "2026-01-01T00:00:00Z", "to": "2026-01-02T00:00:00Z"}, &r)
	f.replay = r.ID
	return f
}

// runningReplay stores a running replay into subA that no node works on,
// as one that a stopped node left, so that it can be cancelled.
func (f *fixture) runningReplay() string {
	at := time.Now().UTC()
	r := &event.Replay{ID: event.NewID(event.PrefixReplay), SubscriptionID: f.subA, From: at.Add(-48 * time.Hour), To: at.Add(-24 * time.Hour), Status: event.ReplayRunning, CreatedAt: at, UpdatedAt: at}
	if err := f.e.st.CreateReplay(context.Background(), r); err != nil {
		f.e.t.Fatal(err)
	}
	return r.ID
}

// key creates a key and returns its id and secret.
func (f *fixture) key(body string) (string, string) {
	var k struct{ ID, Key string }
	f.e.must(201, "POST", "/v1/keys", body, &k)
	return k.ID, k.Key
}

// partnerSubscription creates a partner's subscription to order.*.
func (f *fixture) partnerSubscription(partnerID string) string {
	var sub struct{ ID string }
	f.e.must(201, "POST", "/v1/subscriptions", map[string]any{"name": "hook", "partner_id": partnerID, "environment": "prod",
		"channel": map[string]any{"type": "webhook", "url": f.rc.URL}, "filter": map[string]any{"event_types": []string{"order.*"}}}, &sub)
	return sub.ID
}

// open is call for a stream: it reads the body only of an answer that is
// not 200.
func (f *fixture) open(scope, method, path, _ string) (int, []byte) {
	req, _ := http.NewRequest(method, f.e.srv.URL+path, nil)
	if k, ok := f.keys[scope]; ok {
		req.Header.Set("Authorization", "Bearer "+k)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		return resp.StatusCode, nil
	}
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
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

// TestAccessMatrix calls every route with every kind of key and checks
// that the handlers answer what the operations decide: 401 without a key,
// 403 for a publisher, 404 for a partner reaching what is not its own.
// Who may do what is tested on the operations themselves (the gateway's
// TestAccessMatrix); this checks the statuses. One fixture serves every
// case; routes that delete what they name get a fresh target ({new-...}).
func TestAccessMatrix(t *testing.T) {
	f := newFixture(t)
	var pullA struct{ ID string }
	f.e.must(201, "POST", "/v1/subscriptions", map[string]any{"name": "pulled", "partner_id": f.partnerA, "channel": map[string]any{"type": "pull"}}, &pullA)
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
		{"DELETE", "/v1/subscriptions/{new-sub}", "", false, true},
		{"POST", "/v1/subscriptions/{sub}/pause", "", false, true},
		{"POST", "/v1/subscriptions/{sub}/resume", "", false, true},
		{"POST", "/v1/subscriptions/{sub}/rotate-secret", "", false, true},
		{"POST", "/v1/subscriptions/{sub}/redrive", "", false, true},
		{"POST", "/v1/subscriptions/{pull}/pull", "", false, true},
		{"POST", "/v1/subscriptions/{pull}/ack", `{"receipts":["dlv_01M8VW4V3QAWHWYTWZP4VXNSWP.pull-AAAAAAAAAAAAAAAAAAAAAA"]}`, false, true},
		{"POST", "/v1/subscriptions/{pull}/nack", `{"receipts":["dlv_01M8VW4V3QAWHWYTWZP4VXNSWP.pull-AAAAAAAAAAAAAAAAAAAAAA"]}`, false, true},
		{"GET", "/v1/subscriptions/{pull}/stream", "", false, true},
		{"POST", "/v1/filters/test", `{"pattern":{"type":["a"]},"event":{"type":"a"}}`, false, true},
		{"POST", "/v1/transforms/test", `{"payload_format":"data","event":{"type":"a","data":{"x":1}}}`, false, true},
		{"GET", "/v1/event-types", "", false, true},
		{"GET", "/v1/event-types/order.created", "", false, true},
		{"PUT", "/v1/event-types/order.created", `{"description":"x"}`, false, false},
		{"PATCH", "/v1/event-types/order.created", `{"description":"y"}`, false, false},
		{"DELETE", "/v1/event-types/order.created", "", false, false}, // 409 for the admin: subscriptions receive it
		{"GET", "/v1/deliveries", "", false, true},
		{"GET", "/v1/deliveries/{dlv}", "", false, true},
		{"POST", "/v1/deliveries/{dlv}/retry", "", false, true},
		{"POST", "/v1/partners", `{"name":"x"}`, false, false},
		{"GET", "/v1/partners", "", false, false},
		{"GET", "/v1/partners/{ptn}", "", false, false},
		{"PATCH", "/v1/partners/{ptn}", `{"name":"y"}`, false, false},
		{"DELETE", "/v1/partners/{new-ptn}", "", false, false},
		{"GET", "/v1/partners/{ptn}/usage", "", false, true},
		{"POST", "/v1/keys", `{"scope":"publisher","name":"k"}`, false, false},
		{"GET", "/v1/keys", "", false, false},
		{"DELETE", "/v1/keys/{new-key}", "", false, false},
		{"POST", "/v1/sources", string(must(json.Marshal(githubSource))), false, false},
		{"GET", "/v1/sources", "", false, false},
		{"GET", "/v1/sources/{src}", "", false, false},
		{"PATCH", "/v1/sources/{src}", `{"name":"renamed"}`, false, false},
		{"DELETE", "/v1/sources/{new-src}", "", false, false},
		{"GET", "/v1/audit", "", false, false},
		{"POST", "/v1/replays", `{"subscription_id":"{sub}","from":"2026-01-01T00:00:00Z","to":"2026-01-02T00:00:00Z"}`, false, true},
		{"GET", "/v1/replays", "", false, true},
		{"GET", "/v1/replays/{rpl}", "", false, true},
		{"DELETE", "/v1/replays/{new-rpl}", "", false, true},
		{"GET", "/metrics", "", false, false},
	}
	covered := map[string]bool{}
	for _, rt := range routes {
		covered[rt.method+" "+routePattern(rt.path)] = true
	}
	for _, r := range f.e.api.Routes() {
		if !covered[r.Method+" "+r.Path] && r.Path != "/healthz" && r.Path != "/readyz" && r.Path != "/v1/openapi.json" && r.Path != "/ingest/{id}" {
			t.Errorf("route %s %s has no row in the access matrix", r.Method, r.Path)
		}
	}
	// A finished delivery can be retried; make sure it has finished.
	waitFor(t, "the deliveries to settle", func() bool {
		d := f.e.deliveries("event_id=" + f.evtA)
		return len(d) == 2 && d[0].Status != "pending" && d[1].Status != "pending"
	})
	fresh := map[string]func() string{
		"{new-sub}": func() string { return f.partnerSubscription(f.partnerA) },
		"{new-ptn}": func() string {
			var p struct{ ID string }
			f.e.must(201, "POST", "/v1/partners", `{"name":"doomed"}`, &p)
			return p.ID
		},
		"{new-key}": func() string { id, _ := f.key(`{"scope":"publisher","name":"doomed"}`); return id },
		"{new-src}": func() string { return f.e.createSource(githubSource).ID },
		"{new-rpl}": f.runningReplay,
	}
	for _, rt := range routes {
		for _, scope := range []string{"none", "publisher", "partnerB", "partnerA", "admin"} {
			path := strings.NewReplacer("{pull}", pullA.ID, "{evt}", f.evtA, "{sub}", f.subA, "{dlv}", f.dlvA, "{ptn}", f.partnerA, "{src}", f.source, "{rpl}", f.replay).Replace(rt.path)
			body := strings.ReplaceAll(rt.body, "{sub}", f.subA)
			for placeholder, create := range fresh {
				if strings.Contains(path, placeholder) {
					path = strings.Replace(path, placeholder, create(), 1)
				}
			}
			t.Run(fmt.Sprintf("%s %s as %s", rt.method, rt.path, scope), func(t *testing.T) {
				call := f.call
				if strings.HasSuffix(path, "/stream") {
					call = f.open // a stream that is let in never ends
				}
				code, body := call(scope, rt.method, path, body)
				allowed := map[string]bool{"admin": true, "publisher": rt.publisher, "partnerA": rt.partnerA}[scope]
				// Partner B may list (its own things) and use what takes no id, but never A's ids.
				if scope == "partnerB" && rt.partnerA && !strings.Contains(rt.path, "{") && !strings.Contains(rt.body, "{sub}") {
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

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func routePattern(path string) string {
	return strings.NewReplacer("{pull}", "{id}", "{evt}", "{id}", "{sub}", "{id}", "{dlv}", "{id}", "{ptn}", "{id}", "{src}", "{id}",
		"{new-sub}", "{id}", "{new-ptn}", "{id}", "{new-key}", "{id}", "{new-src}", "{id}", "{rpl}", "{id}", "{new-rpl}", "{id}", "order.created", "{name}").Replace(path)
}

// TestPartnerBoundaryAnswers: what the operations refuse at a partner's
// boundary answers as problem+json with a detail that says what to do.
func TestPartnerBoundaryAnswers(t *testing.T) {
	f := newFixture(t)
	code, body := f.call("partnerA", "POST", "/v1/subscriptions", `{"name":"x","partner_id":"ptn_other","channel":{"type":"webhook","url":"https://example.com/h"}}`)
	if code != 422 || !strings.Contains(string(body), "partner_id") {
		t.Fatalf("partner naming another partner: %d %s", code, body)
	}
	code, body = f.call("partnerA", "POST", "/v1/subscriptions", `{"name":"x","filter":{"event_types":["internal.payroll"]},"channel":{"type":"webhook","url":"https://example.com/h"}}`)
	if code != 403 || !strings.Contains(string(body), "an administrator grants event types with subscribe_types on the partner") {
		t.Fatalf("partner subscribing to an ungranted type: %d %s", code, body)
	}
	code, body = f.call("partnerA", "PATCH", "/v1/subscriptions/"+f.subA, `{"filter":{"event_types":["*"]}}`)
	if code != 403 || !strings.Contains(string(body), "subscribe_types") {
		t.Fatalf("partner widening its filter past its grant: %d %s", code, body)
	}

	var problem struct {
		Detail string
		Errors []struct{ Field, Message string }
	}
	code, _, body = f.e.do("POST", "/v1/events", `{"type":"order.created","source":"partner/`+f.partnerA+`","data":{}}`, "Authorization", "Bearer "+f.keys["publisher"])
	json.Unmarshal(body, &problem)
	if code != 400 || len(problem.Errors) != 1 || problem.Errors[0].Field != "source" || !strings.Contains(problem.Detail, "reserved for events the gateway stamps") {
		t.Fatalf("publisher forging a partner's origin: %d %s", code, body)
	}
	code, _, body = f.e.do("POST", "/v1/events/batch", `{"events":[{"type":"order.created","source":"source/`+f.source+`","data":{}}]}`)
	if code != 202 || !strings.Contains(string(body), `"status":400`) || !strings.Contains(string(body), `"field":"source"`) {
		t.Fatalf("admin forging a source's origin in a batch: %d %s", code, body)
	}

	var entry struct{ Subscriptions []string }
	code, _, body = f.e.do("GET", "/v1/event-types/order.created", nil, "Authorization", "Bearer "+f.keys["partnerA"])
	json.Unmarshal(body, &entry)
	if code != 200 || len(entry.Subscriptions) != 1 || entry.Subscriptions[0] != f.subA {
		t.Fatalf("partner A reading the catalog entry: %d %s, want only its own subscription %s", code, body, f.subA)
	}
	if code, body := f.call("partnerA", "GET", "/v1/event-types/request.created", ""); code != 404 {
		t.Fatalf("partner A reading a type it is not granted: %d %s, want 404", code, body)
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
