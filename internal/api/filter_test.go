package api_test

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestContentPatternsRouteOnlyMatchingEvents: subscriptions with content
// patterns receive exactly the events their patterns match, combined with
// their event types by AND.
func TestContentPatternsRouteOnlyMatchingEvents(t *testing.T) {
	e := newEnv(t)
	big := newReceiver(t, nil)
	eu := newReceiver(t, nil)
	e.subscribe(big.URL, map[string]any{"filter": map[string]any{
		"event_types": []string{"order.*"},
		"pattern":     json.RawMessage(`{"data": {"total": [{"numeric": [">=", 100]}]}}`),
	}})
	e.subscribe(eu.URL, map[string]any{"filter": map[string]any{
		"pattern": json.RawMessage(`{"attributes": {"region": [{"prefix": "eu-"}]}, "$or": [{"severity": ["error"]}, {"data": {"vip": [true]}}]}`),
	}})
	publish := func(body string) string {
		var out struct{ ID string }
		e.must(202, "POST", "/v1/events", body, &out)
		return out.ID
	}
	bigOrder := publish(`{"type":"order.created","data":{"total":250}}`)
	publish(`{"type":"order.created","data":{"total":99.5}}`)
	publish(`{"type":"invoice.paid","data":{"total":500}}`) // pattern matches, type does not
	euVip := publish(`{"type":"customer.seen","attributes":{"region":"eu-west"},"data":{"vip":true}}`)
	euErr := publish(`{"type":"sync.failed","severity":"error","attributes":{"region":"eu-north"},"data":{}}`)
	publish(`{"type":"sync.failed","severity":"error","attributes":{"region":"us-east"},"data":{}}`)
	publish(`{"type":"customer.seen","attributes":{"region":"eu-west"},"data":{"vip":false}}`)

	e.waitAllSucceeded("", 3) // one for big, two for eu
	got := func(rc *receiver) []string {
		var ids []string
		for _, r := range rc.requests() {
			ids = append(ids, r.Header.Get("Webhook-Id"))
		}
		return ids
	}
	if ids := got(big); len(ids) != 1 || ids[0] != bigOrder {
		t.Fatalf("numeric-filtered subscription got %v, want only %s", ids, bigOrder)
	}
	if ids := strings.Join(got(eu), ","); !strings.Contains(ids, euVip) || !strings.Contains(ids, euErr) || eu.count() != 2 {
		t.Fatalf("prefix+$or subscription got %s, want %s and %s", ids, euVip, euErr)
	}
}

func TestInvalidPatternIsRefusedWithItsPath(t *testing.T) {
	e := newEnv(t)
	code, _, body := e.do("POST", "/v1/subscriptions", `{"name":"x","channel":{"type":"webhook","url":"https://example.com/h"},
		"filter":{"pattern":{"data":{"amount":[{"numeric":[">", "ten"]}]}}}}`)
	var p problem
	json.Unmarshal(body, &p)
	if code != 422 || !hasField(p, "filter.pattern") || !strings.Contains(p.Detail, "$.data.amount") {
		t.Fatalf("bad pattern: %d %s; want 422 naming filter.pattern and the path $.data.amount", code, body)
	}
	code, _, body = e.do("POST", "/v1/subscriptions", `{"name":"x","channel":{"type":"webhook","url":"https://example.com/h"},"filter":{"pattern":{"data":{"n":5}}}}`)
	json.Unmarshal(body, &p)
	if code != 422 || !strings.Contains(p.Detail, "$.data.n") {
		t.Fatalf("scalar leaf: %d %s", code, body)
	}
}

func TestFilterTestEndpoint(t *testing.T) {
	e := newEnv(t)
	var out struct{ Match bool }
	e.must(200, "POST", "/v1/filters/test", `{"pattern":{"source":[{"prefix":"shop"}]},"event":{"type":"a","source":"shop-eu","data":{}}}`, &out)
	if !out.Match {
		t.Fatal("prefix pattern did not match")
	}
	e.must(200, "POST", "/v1/filters/test", `{"pattern":{"source":[{"prefix":"shop"}]},"event":{"type":"a","source":"crm","data":{}}}`, &out)
	if out.Match {
		t.Fatal("prefix pattern matched a different source")
	}
	code, _, body := e.do("POST", "/v1/filters/test", `{"pattern":{"source":[{"prefx":"shop"}]},"event":{}}`)
	var p problem
	json.Unmarshal(body, &p)
	if code != 422 || !hasField(p, "pattern") || !strings.Contains(p.Detail, "prefx") {
		t.Fatalf("unknown operator: %d %s", code, body)
	}
	code, _, _ = e.do("POST", "/v1/filters/test", `{"pattern":{"source":["x"]}}`)
	if code != 422 {
		t.Fatalf("missing event: %d", code)
	}
}
