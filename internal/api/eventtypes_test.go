package api_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/eventgate/eventgate/internal/gateway"
)

const orderSchema = `{"type":"object","required":["order_id","total"],"properties":{
	"order_id":{"type":"integer"},"total":{"type":"number","minimum":0},"currency":{"enum":["EUR","USD"]}}}`

type eventType struct {
	Name          string
	Description   string
	Count         int64
	Example       json.RawMessage
	Deprecated    bool
	Subscriptions []string
}

func TestSchemaViolationsAreRefusedAndNothingStored(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t, nil)
	sub := e.subscribe(rc.URL, map[string]any{"filter": map[string]any{"event_types": []string{"order.*"}}})
	var et eventType
	e.must(200, "PUT", "/v1/event-types/order.created", `{"description":"An order was placed","schema":`+orderSchema+`,"example":{"order_id":1,"total":9.5}}`, &et)
	if et.Name != "order.created" || len(et.Subscriptions) != 1 || et.Subscriptions[0] != sub.ID || string(et.Example) != `{"order_id":1,"total":9.5}` {
		t.Fatalf("catalog entry %+v", et)
	}

	code, _, body := e.do("POST", "/v1/events", `{"type":"order.created","data":{"order_id":"seven","total":-1,"currency":"GBP"}}`)
	var p problem
	json.Unmarshal(body, &p)
	if code != 422 || !hasField(p, "data/order_id") || !hasField(p, "data/total") || !hasField(p, "data/currency") {
		t.Fatalf("schema violations: %d %s; want 422 naming data/order_id, data/total and data/currency", code, body)
	}
	code, _, body = e.do("POST", "/v1/events", `{"type":"order.created","data":{"order_id":7}}`)
	json.Unmarshal(body, &p)
	if code != 422 || !strings.Contains(p.Detail, "total") {
		t.Fatalf("missing required property: %d %s", code, body)
	}
	var batch struct {
		Results []struct {
			ID    string
			Error *problem
		}
	}
	e.must(202, "POST", "/v1/events/batch", `{"events":[{"type":"order.created","data":{"order_id":1}},{"type":"order.created","data":{"order_id":2,"total":3}}]}`, &batch)
	if batch.Results[0].Error == nil || batch.Results[0].Error.Status != 422 || batch.Results[1].ID == "" {
		t.Fatalf("batch with one violation: %+v", batch.Results)
	}
	waitFor(t, "the valid event", func() bool { return rc.count() == 1 })
	var events struct{ Data []json.RawMessage }
	e.must(200, "GET", "/v1/events", nil, &events)
	if len(events.Data) != 1 {
		t.Fatalf("%d events stored, want only the valid one", len(events.Data))
	}
	e.must(200, "GET", "/v1/event-types/order.created", nil, &et)
	if et.Count != 1 {
		t.Fatalf("count %d, want 1", et.Count)
	}
}

func TestEventTypeDefinitionErrors(t *testing.T) {
	e := newEnv(t)
	cases := []struct{ path, body, field string }{
		{"/v1/event-types/order.created", `{"schema":{"type":"bogus"}}`, "schema"},
		{"/v1/event-types/order.created", `{"schema":{"$ref":"https://example.com/s.json"}}`, "schema"},
		{"/v1/event-types/order.created", `{"schema":` + orderSchema + `,"example":{"order_id":1}}`, "example"},
		{"/v1/event-types/Order%20Created", `{}`, "name"},
	}
	for _, c := range cases {
		code, _, body := e.do("PUT", c.path, c.body)
		var p problem
		json.Unmarshal(body, &p)
		if code != 422 || !hasField(p, c.field) {
			t.Errorf("PUT %s %s: %d %s; want 422 naming %s", c.path, c.body, code, body, c.field)
		}
	}
	e.must(404, "GET", "/v1/event-types/order.created", nil, nil)
}

func TestCatalogFollowsRealityAndDeleteNeedsNoReceivers(t *testing.T) {
	e := newEnv(t)
	e.publish("invoice.paid", `{}`)
	e.publish("invoice.paid", `{}`)
	var page struct{ Data []eventType }
	e.must(200, "GET", "/v1/event-types", nil, &page)
	if len(page.Data) != 1 || page.Data[0].Name != "invoice.paid" || page.Data[0].Count != 2 {
		t.Fatalf("catalog %+v, want invoice.paid seen twice", page.Data)
	}
	rc := newReceiver(t, nil)
	sub := e.subscribe(rc.URL, map[string]any{"filter": map[string]any{"event_types": []string{"invoice.*"}}})
	code, _, body := e.do("DELETE", "/v1/event-types/invoice.paid", nil)
	if code != 409 || !strings.Contains(string(body), sub.ID) {
		t.Fatalf("delete of a received type: %d %s", code, body)
	}
	e.must(204, "DELETE", "/v1/subscriptions/"+sub.ID, nil, nil)
	e.must(204, "DELETE", "/v1/event-types/invoice.paid", nil, nil)
	e.must(404, "DELETE", "/v1/event-types/invoice.paid", nil, nil)
}

func TestStrictEventTypesRefuseUnknownTypes(t *testing.T) {
	e := newEnv(t, func(c *gateway.Config) { c.StrictEventTypes = true })
	code, _, body := e.do("POST", "/v1/events", `{"type":"order.created","data":{}}`)
	var p problem
	json.Unmarshal(body, &p)
	if code != 422 || !hasField(p, "type") || !strings.Contains(p.Detail, "PUT /v1/event-types/order.created") {
		t.Fatalf("unknown type in strict mode: %d %s", code, body)
	}
	e.must(200, "PUT", "/v1/event-types/order.created", `{"description":"x"}`, nil)
	e.publish("order.created", `{}`)
}

// TestDeprecatingKeepsTheSchema: deprecating a type with PUT and only
// {"deprecated": true} wiped its schema and let invalid data in. PUT now
// refuses to drop a schema unless told to; PATCH changes only what it names.
func TestDeprecatingKeepsTheSchema(t *testing.T) {
	e := newEnv(t)
	const path = "/v1/event-types/order.created"
	e.must(200, "PUT", path, `{"description":"An order was placed","schema":`+orderSchema+`}`, nil)

	code, _, body := e.do("PUT", path, `{"deprecated":true}`)
	var p problem
	json.Unmarshal(body, &p)
	if code != 422 || !hasField(p, "schema") || !strings.Contains(p.Detail, `"schema": null`) {
		t.Fatalf("PUT without the schema: %d %s; want 422 naming schema", code, body)
	}

	type withSchema struct {
		eventType
		Schema json.RawMessage
	}
	answer := func(method, body string) (et withSchema) { // a fresh value: the answer leaves out empty fields
		e.must(200, method, path, body, &et)
		return et
	}
	et := answer("PATCH", `{"deprecated":true}`)
	if !et.Deprecated || et.Description != "An order was placed" || len(et.Schema) == 0 {
		t.Fatalf("PATCH deprecated: %+v, want deprecated with description and schema kept", et)
	}
	if code, _, body := e.do("POST", "/v1/events", `{"type":"order.created","data":{"order_id":"seven"}}`); code != 422 {
		t.Fatalf("invalid data after deprecating: %d %s; want 422", code, body)
	}

	et = answer("PATCH", `{"description":null,"schema":null}`)
	if !et.Deprecated || et.Description != "" || len(et.Schema) != 0 {
		t.Fatalf("PATCH clearing description and schema: %+v", et)
	}
	e.publish("order.created", `{"order_id":"seven"}`) // no schema now: accepted

	e.must(200, "PUT", path, `{"schema":`+orderSchema+`}`, nil)
	et = answer("PUT", `{"description":"gone","schema":null}`)
	if len(et.Schema) != 0 || et.Deprecated {
		t.Fatalf("PUT with \"schema\": null: %+v, want no schema and not deprecated", et)
	}

	code, _, body = e.do("PATCH", path, `{"deprecated":"yes","colour":"red"}`)
	json.Unmarshal(body, &p)
	if code != 422 || !hasField(p, "deprecated") || !hasField(p, "colour") {
		t.Fatalf("bad PATCH: %d %s; want 422 naming deprecated and colour", code, body)
	}
	e.must(404, "PATCH", "/v1/event-types/never.seen", `{"deprecated":true}`, nil)
}
