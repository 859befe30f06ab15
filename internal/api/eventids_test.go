package api_test

import (
	"encoding/json"
	"net/http"
	"testing"
)

// TestClientIDsBelongToTheirPublisher: a client-supplied event id is its
// publishing key's. Another key's event with the same id is refused with
// 409, never acknowledged and dropped; the owner's repeat is acknowledged
// as a replay.
func TestClientIDsBelongToTheirPublisher(t *testing.T) {
	e := newEnv(t)
	var partner struct{ Key string }
	e.must(http.StatusCreated, "POST", "/v1/keys", `{"scope":"publisher","name":"partner","publish_types":["order.*"]}`, &partner)
	asPartner := []string{"Authorization", "Bearer " + partner.Key}
	const event = `{"id":"order-1001","type":"order.created","data":{}}`

	code, h, body := e.do("POST", "/v1/events", event, asPartner...)
	if code != http.StatusAccepted || string(body) != `{"id":"order-1001"}`+"\n" || h.Get("Idempotent-Replayed") != "false" {
		t.Fatalf("first publish of a client id: %d %s (Idempotent-Replayed %q), want 202 with the id, not replayed", code, body, h.Get("Idempotent-Replayed"))
	}
	code, h, body = e.do("POST", "/v1/events", event)
	if code != http.StatusConflict || h.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("another key publishing a taken id: %d %s, want a 409 problem", code, body)
	}
	code, h, body = e.do("POST", "/v1/events", event, asPartner...)
	if code != http.StatusAccepted || string(body) != `{"id":"order-1001"}`+"\n" || h.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("the owner repeating its id: %d %s (Idempotent-Replayed %q), want 202 with the id, replayed", code, body, h.Get("Idempotent-Replayed"))
	}

	var batch struct {
		Results []struct {
			ID    string
			Error *struct{ Status int }
		}
	}
	e.must(http.StatusAccepted, "POST", "/v1/events/batch", `{"events":[`+event+`,{"id":"order-1002","type":"order.created","data":{}}]}`, &batch)
	if r := batch.Results; len(r) != 2 || r[0].Error == nil || r[0].Error.Status != http.StatusConflict || r[0].ID != "" || r[1].ID != "order-1002" {
		t.Fatalf("a batch with a taken id and a free one: %+v, want 409 for the first, the second stored", r)
	}
	var page struct{ Data []json.RawMessage }
	e.must(http.StatusOK, "GET", "/v1/events", nil, &page)
	if len(page.Data) != 2 {
		t.Fatalf("%d events stored, want 2 (order-1001 once, order-1002)", len(page.Data))
	}
}
