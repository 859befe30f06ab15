package api_test

import (
	"encoding/json"
	"strings"
	"testing"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// TestTransformedPayloadIsWhatArrivesSigned: the transform's output is the
// body, and the signature covers exactly it.
func TestTransformedPayloadIsWhatArrivesSigned(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t, nil)
	sub := e.subscribe(rc.URL, map[string]any{"transform": map[string]any{
		"input_paths": map[string]string{"name": "$.data.customer.name", "order": "$.data.order_id", "missing": "$.data.nope"},
		"template":    `{"text": "Order <order> for <name>", "customer": <name>, "order": <order>, "gone": <missing>, "type": <eventgate.event.type>}`,
	}})
	id := e.publish("order.created", `{"order_id": 42, "customer": {"name": "Ada \"the\" Lovelace"}}`)
	e.waitStatus(id, "succeeded")
	r := rc.requests()[0]
	want := `{"text": "Order 42 for Ada \"the\" Lovelace", "customer": "Ada \"the\" Lovelace", "order": 42, "gone": null, "type": "order.created"}`
	if string(r.Body) != want {
		t.Fatalf("body\n got %s\nwant %s", r.Body, want)
	}
	if r.Header.Get("Content-Type") != "application/json" || r.Header.Get("Webhook-Id") != id {
		t.Fatalf("headers %v", r.Header)
	}
	wh, _ := standardwebhooks.NewWebhook(sub.Secret)
	if err := wh.Verify(r.Body, r.Header); err != nil {
		t.Fatalf("the transformed body is not what was signed: %v", err)
	}
}

func TestPayloadFormats(t *testing.T) {
	e := newEnv(t)
	data, ce := newReceiver(t, nil), newReceiver(t, nil)
	e.subscribe(data.URL, map[string]any{"payload_format": "data"})
	e.subscribe(ce.URL, map[string]any{"payload_format": "cloudevents"})
	var out struct{ ID string }
	e.must(202, "POST", "/v1/events", `{"type":"order.created","source":"shop","subject":"order/1","attributes":{"region":"eu"},"data":{"n":1}}`, &out)
	waitFor(t, "both deliveries", func() bool { return data.count() == 1 && ce.count() == 1 })
	if got := string(data.requests()[0].Body); got != `{"n":1}` {
		t.Fatalf("data format sent %s", got)
	}
	r := ce.requests()[0]
	if r.Header.Get("Content-Type") != "application/cloudevents+json" {
		t.Fatalf("cloudevents content type %q", r.Header.Get("Content-Type"))
	}
	var doc map[string]any
	json.Unmarshal(r.Body, &doc)
	if doc["specversion"] != "1.0" || doc["id"] != out.ID || doc["type"] != "order.created" || doc["source"] != "shop" ||
		doc["subject"] != "order/1" || doc["region"] != "eu" || doc["data"].(map[string]any)["n"] != 1.0 {
		t.Fatalf("cloudevents body %s", r.Body)
	}
}

func TestBadTransformsAreRefusedAtCreation(t *testing.T) {
	e := newEnv(t)
	cases := []struct{ extra, field string }{
		{`"transform":{"input_paths":{"n":"data.x"},"template":"<n>"}`, "transform.input_paths.n"},
		{`"transform":{"template":"{\"a\": <undeclared>}"}`, "transform.template"},
		{`"transform":{"template":"{\"a\": "}`, "transform.template"},
		{`"payload_format":"xml"`, "payload_format"},
		{`"payload_format":"data","transform":{"template":"x"}`, "payload_format"},
	}
	for _, c := range cases {
		code, _, body := e.do("POST", "/v1/subscriptions", `{"name":"x","channel":{"type":"webhook","url":"https://example.com"},`+c.extra+`}`)
		var p problem
		json.Unmarshal(body, &p)
		if code != 422 || !hasField(p, c.field) {
			t.Errorf("%s: %d %s; want 422 naming %s", c.extra, code, body, c.field)
		}
	}
}

func TestTransformTestEndpoint(t *testing.T) {
	e := newEnv(t)
	var out struct {
		ContentType string `json:"content_type"`
		Body        string
	}
	e.must(200, "POST", "/v1/transforms/test", `{"transform":{"input_paths":{"c":"$.data.c"},"template":"Hello <c>"},"event":{"id":"evt_1","type":"a","data":{"c":"world"}}}`, &out)
	if out.Body != "Hello world" || !strings.HasPrefix(out.ContentType, "text/plain") {
		t.Fatalf("text template: %+v", out)
	}
	code, _, body := e.do("POST", "/v1/transforms/test", `{"transform":{"template":"<x>"},"event":{}}`)
	if code != 422 || !strings.Contains(string(body), "transform.template") {
		t.Fatalf("undeclared placeholder: %d %s", code, body)
	}
}
