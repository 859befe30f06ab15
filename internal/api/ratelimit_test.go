package api_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/eventgate/eventgate/internal/gateway"
)

func TestPublishRateLimitPerKey(t *testing.T) {
	e := newEnv(t, func(c *gateway.Config) { c.PublishRateLimit = 5 }) // burst 10
	for i := range 10 {
		if code, _, body := e.do("POST", "/v1/events", `{"type":"a.b","data":{}}`); code != 202 {
			t.Fatalf("event %d within the burst: %d %s", i, code, body)
		}
	}
	code, h, body := e.do("POST", "/v1/events", `{"type":"a.b","data":{}}`)
	secs, _ := strconv.Atoi(h.Get("Retry-After"))
	if code != 429 || secs < 1 || !strings.Contains(string(body), "5 events per second") {
		t.Fatalf("over the limit: %d Retry-After=%q %s", code, h.Get("Retry-After"), body)
	}
	code, _, body = e.do("POST", "/v1/events/batch", `{"events":[`+strings.Repeat(`{"type":"a.b","data":{}},`, 10)+`{"type":"a.b","data":{}}]}`)
	if code != 429 || !strings.Contains(string(body), "smaller batches") {
		t.Fatalf("a batch larger than the burst: %d %s", code, body)
	}
	var page struct{ Data []struct{ ID string } }
	e.must(200, "GET", "/v1/events?limit=100", nil, &page)
	if len(page.Data) != 10 {
		t.Fatalf("%d events stored, want the 10 admitted", len(page.Data))
	}
}

// TestSubscriptionRateLimitMakesDeliveriesWait: over its rate a
// subscription's deliveries wait; none fails.
func TestSubscriptionRateLimitMakesDeliveriesWait(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t, nil)
	e.subscribe(rc.URL, map[string]any{"rate_limit": map[string]any{"per_second": 10}})
	var ids []string
	for range 20 {
		ids = append(ids, e.publish("a.b", "{}"))
	}
	for _, id := range ids {
		e.waitStatus(id, "succeeded")
	}
	reqs := rc.requests()
	// A burst of 10 goes at once; the next 10 are spaced by 100 ms.
	if span := reqs[19].At.Sub(reqs[0].At); span < 800*time.Millisecond {
		t.Fatalf("20 deliveries at 10/s took %v; the limit was not applied", span)
	}
	code, _, body := e.do("POST", "/v1/subscriptions", `{"name":"x","channel":{"type":"webhook","url":"https://example.com"},"rate_limit":{"per_second":0}}`)
	if code != 422 || !strings.Contains(string(body), "rate_limit.per_second") {
		t.Fatalf("zero rate: %d %s", code, body)
	}
}
