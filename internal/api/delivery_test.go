package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/eventgate/eventgate/internal/gateway"
	"github.com/eventgate/eventgate/internal/observe/observetest"
)

// fastRetries makes retries come due in test time.
var fastRetries = map[string]any{"retry_policy": map[string]any{"min_backoff": "100ms", "max_backoff": "200ms", "max_attempts": 3}}

func TestPublishDeliversSignedEnvelope(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t, nil)
	sub := e.subscribe(rc.URL+"/hook", map[string]any{"filter": map[string]any{"event_types": []string{"order.*"}}})
	other := e.subscribe(rc.URL+"/other", map[string]any{"filter": map[string]any{"event_types": []string{"invoice.paid"}}})

	var out struct{ ID string }
	e.must(http.StatusAccepted, "POST", "/v1/events",
		`{"type":"order.created","source":"shop","subject":"order/42","severity":"info","attributes":{"region":"eu","amount":12.5},"data":{"order_id":42}}`, &out)
	d := e.waitStatus(out.ID, "succeeded")
	if d.AttemptCount != 1 || len(d.Attempts) != 1 || d.Attempts[0].StatusCode != 204 {
		t.Fatalf("delivery %+v", d)
	}
	reqs := rc.requests()
	if len(reqs) != 1 {
		t.Fatalf("receiver got %d requests, want 1 (the invoice subscription must not receive an order)", len(reqs))
	}
	r := reqs[0]
	if r.Header.Get("Webhook-Id") != out.ID || r.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("headers %v", r.Header)
	}
	wh, _ := standardwebhooks.NewWebhook(sub.Secret)
	if err := wh.Verify(r.Body, r.Header); err != nil {
		t.Fatalf("the reference Standard Webhooks library rejects the signature: %v", err)
	}
	wrong, _ := standardwebhooks.NewWebhook(other.Secret)
	if wrong.Verify(r.Body, r.Header) == nil {
		t.Fatal("another subscription's secret verified the signature")
	}
	var env map[string]any
	if err := json.Unmarshal(r.Body, &env); err != nil {
		t.Fatal(err)
	}
	if env["id"] != out.ID || env["type"] != "order.created" || env["source"] != "shop" || env["subject"] != "order/42" ||
		env["severity"] != "info" || env["attributes"].(map[string]any)["region"] != "eu" || env["data"].(map[string]any)["order_id"] != 42.0 || env["time"] == nil {
		t.Fatalf("envelope %s", r.Body)
	}
	var ev struct {
		ID         string
		Deliveries []struct {
			SubscriptionID string `json:"subscription_id"`
			Status         string
		}
	}
	e.must(http.StatusOK, "GET", "/v1/events/"+out.ID, nil, &ev)
	if len(ev.Deliveries) != 1 || ev.Deliveries[0].SubscriptionID != sub.ID || ev.Deliveries[0].Status != "succeeded" {
		t.Fatalf("event summary %+v", ev)
	}
}

func TestBatchAcceptsValidEntriesInOrder(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t, nil)
	e.subscribe(rc.URL, nil)
	var out struct {
		Results []struct {
			ID    string
			Error *problem
		}
	}
	e.must(http.StatusAccepted, "POST", "/v1/events/batch",
		`{"events":[{"type":"a.one","data":1},{"type":"BAD","data":2},{"type":"a.three","data":3,"oops":1},{"type":"a.four","data":4}]}`, &out)
	res := out.Results
	if len(res) != 4 || res[0].ID == "" || res[3].ID == "" || res[1].Error == nil || res[2].Error == nil {
		t.Fatalf("results %+v", res)
	}
	if res[1].Error.Status != 422 || res[1].Error.Errors[0].Field != "type" || res[2].Error.Status != 400 || !strings.Contains(res[2].Error.Detail, "oops") {
		t.Fatalf("entry errors %+v %+v", res[1].Error, res[2].Error)
	}
	waitFor(t, "two deliveries", func() bool { return rc.count() == 2 })
	var page struct{ Data []struct{ ID, Type string } }
	e.must(http.StatusOK, "GET", "/v1/events", nil, &page)
	if len(page.Data) != 2 || page.Data[0].ID != res[3].ID || page.Data[1].ID != res[0].ID {
		t.Fatalf("stored events %+v, want the two valid ones, newest first", page.Data)
	}
}

func TestIdempotentPublish(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t, nil)
	e.subscribe(rc.URL, nil)
	body := `{"type":"order.created","data":{"n":1}}`
	_, h1, b1 := e.do("POST", "/v1/events", body, "Idempotency-Key", "abc")
	code, h2, b2 := e.do("POST", "/v1/events", body, "Idempotency-Key", "abc")
	if code != 202 || string(b1) != string(b2) || h2.Get("Idempotent-Replayed") != "true" || h1.Get("Idempotent-Replayed") == "true" {
		t.Fatalf("repeat answered %d %s (replayed=%q), first %s", code, b2, h2.Get("Idempotent-Replayed"), b1)
	}
	_, _, b3 := e.do("POST", "/v1/events", `{"id":"order-7-created","type":"order.created","data":{}}`)
	_, _, b4 := e.do("POST", "/v1/events", `{"id":"order-7-created","type":"order.created","data":{"changed":true}}`)
	if string(b3) != `{"id":"order-7-created"}`+"\n" || string(b3) != string(b4) {
		t.Fatalf("client id: %s then %s", b3, b4)
	}
	e.waitAllSucceeded("", 2)
	var page struct{ Data []json.RawMessage }
	e.must(http.StatusOK, "GET", "/v1/events", nil, &page)
	if len(page.Data) != 2 || rc.count() != 2 {
		t.Fatalf("%d events stored and %d delivered, want 2 and 2", len(page.Data), rc.count())
	}
}

func TestFailingDeliveryRetriesThenDiesThenRedrives(t *testing.T) {
	e := newEnv(t)
	var healthy sync.Map
	rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if _, ok := healthy.Load("yes"); ok {
			w.WriteHeader(200)
			return
		}
		w.WriteHeader(500)
		fmt.Fprint(w, "database unavailable")
	})
	sub := e.subscribe(rc.URL, fastRetries)
	id := e.publish("order.created", `{}`)
	d := e.waitStatus(id, "dead")
	if d.AttemptCount != 3 || len(d.Attempts) != 3 || rc.count() != 3 {
		t.Fatalf("dead after %d attempts (%d logged, %d received), want 3", d.AttemptCount, len(d.Attempts), rc.count())
	}
	for _, a := range d.Attempts {
		if a.StatusCode != 500 || a.ResponseBody != "database unavailable" || a.Error != "HTTP 500 Internal Server Error" {
			t.Fatalf("attempt %+v", a)
		}
	}
	for i := 1; i < 3; i++ {
		if gap := d.Attempts[i].At.Sub(d.Attempts[i-1].At); gap < 100*time.Millisecond {
			t.Fatalf("attempt %d came %v after the previous one; min_backoff is 100ms", i+1, gap)
		}
	}
	healthy.Store("yes", true)
	var out struct{ Redriven int }
	e.must(http.StatusAccepted, "POST", "/v1/subscriptions/"+sub.ID+"/redrive", nil, &out)
	if out.Redriven != 1 {
		t.Fatalf("redriven %d, want 1", out.Redriven)
	}
	d = e.waitStatus(id, "succeeded")
	if d.AttemptCount != 4 {
		t.Fatalf("after redrive: %d attempts, want 4", d.AttemptCount)
	}
	// A delivery that is waiting cannot be retried; a finished one can.
	var again delivery
	e.must(http.StatusAccepted, "POST", "/v1/deliveries/"+d.ID+"/retry", nil, &again)
	if again.Status != "pending" {
		t.Fatalf("retry answered %+v", again)
	}
	waitFor(t, "the manual retry", func() bool { return rc.count() == 5 })
}

func TestConnectionErrorsAreRetried(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t, nil)
	url := rc.URL
	rc.Close() // nothing listens there now
	e.subscribe(url, fastRetries)
	id := e.publish("order.created", `{}`)
	d := e.waitStatus(id, "dead")
	if len(d.Attempts) != 3 || d.Attempts[0].StatusCode != 0 || !strings.Contains(d.Attempts[0].Error, "connection refused") {
		t.Fatalf("attempts %+v", d.Attempts)
	}
}

func TestRetryAfterIsHonoured(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 1 {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.WriteHeader(200)
	})
	e.subscribe(rc.URL, map[string]any{"retry_policy": map[string]any{"min_backoff": "100ms", "max_backoff": "10s"}})
	id := e.publish("order.created", `{}`)
	e.waitStatus(id, "succeeded")
	reqs := rc.requests()
	if gap := reqs[1].At.Sub(reqs[0].At); gap < time.Second {
		t.Fatalf("retried %v after a 429 with Retry-After: 1", gap)
	}
}

func TestGoneDisablesSubscription(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request, n int) { w.WriteHeader(http.StatusGone) })
	sub := e.subscribe(rc.URL, fastRetries)
	id := e.publish("order.created", `{}`)
	d := e.waitStatus(id, "dead")
	if d.AttemptCount != 1 {
		t.Fatalf("410 must not be retried: %d attempts", d.AttemptCount)
	}
	var s struct{ Status, StatusReason string }
	waitFor(t, "the subscription to be disabled", func() bool {
		e.must(200, "GET", "/v1/subscriptions/"+sub.ID, nil, &s)
		return s.Status == "disabled"
	})
	next := e.publish("order.created", `{}`)
	if ds := e.deliveries("event_id=" + next); len(ds) != 0 {
		t.Fatalf("a disabled subscription received a new delivery: %+v", ds)
	}
	e.must(200, "POST", "/v1/subscriptions/"+sub.ID+"/resume", nil, &s)
	if s.Status != "active" {
		t.Fatalf("resume: %+v", s)
	}
}

func TestPausedSubscriptionAccumulatesAndSendsOnResume(t *testing.T) {
	rec := &observetest.Recorder{}
	e := newEnv(t, func(c *gateway.Config) { c.Observer = rec })
	rc := newReceiver(t, nil)
	sub := e.subscribe(rc.URL, nil)
	var s subscription
	e.must(200, "POST", "/v1/subscriptions/"+sub.ID+"/pause", nil, &s)
	if s.Status != "paused" {
		t.Fatalf("pause answered %+v", s)
	}
	ids := []string{e.publish("a.b", "1"), e.publish("a.b", "2"), e.publish("a.b", "3")}
	// The dispatcher hands deliveries of a paused subscription back to the store.
	waitFor(t, "the deliveries to be handed back", func() bool { return rec.Seen().Settled() == 3 })
	if rc.count() != 0 {
		t.Fatalf("a paused subscription sent %d deliveries", rc.count())
	}
	if ds := e.deliveries("status=pending&subscription_id=" + sub.ID); len(ds) != 3 {
		t.Fatalf("%d pending deliveries, want 3", len(ds))
	}
	e.must(200, "POST", "/v1/subscriptions/"+sub.ID+"/resume", nil, &s)
	for _, id := range ids {
		e.waitStatus(id, "succeeded")
	}
}

func TestRotatedSecretSignsBesideTheOldOne(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t, nil)
	sub := e.subscribe(rc.URL, nil)
	var rotated subscription
	e.must(200, "POST", "/v1/subscriptions/"+sub.ID+"/rotate-secret", nil, &rotated)
	if rotated.Secret == "" || rotated.Secret == sub.Secret {
		t.Fatalf("rotation returned %q", rotated.Secret)
	}
	e.waitStatus(e.publish("a.b", "1"), "succeeded")
	r := rc.requests()[0]
	if n := len(strings.Fields(r.Header.Get("Webhook-Signature"))); n != 2 {
		t.Fatalf("%d signatures during rotation, want 2", n)
	}
	for _, secret := range []string{sub.Secret, rotated.Secret} {
		wh, _ := standardwebhooks.NewWebhook(secret)
		if err := wh.Verify(r.Body, r.Header); err != nil {
			t.Fatalf("secret does not verify during rotation: %v", err)
		}
	}
	var got map[string]any
	e.must(200, "GET", "/v1/subscriptions/"+sub.ID, nil, &got)
	if _, leaked := got["secret"]; leaked {
		t.Fatal("GET returned the secret")
	}
}

// TestSlowEndpointDoesNotDelayOthers: one endpoint hangs; another must get
// all its deliveries meanwhile.
func TestSlowEndpointDoesNotDelayOthers(t *testing.T) {
	e := newEnv(t)
	release := make(chan struct{})
	slow := newReceiver(t, func(w http.ResponseWriter, r *http.Request, n int) {
		select {
		case <-release:
		case <-time.After(5 * time.Second):
		}
		w.WriteHeader(200)
	})
	fast := newReceiver(t, nil)
	e.subscribe(slow.URL, map[string]any{"max_concurrency": 2, "filter": map[string]any{"event_types": []string{"slow.*"}}})
	e.subscribe(fast.URL, map[string]any{"filter": map[string]any{"event_types": []string{"fast.*"}}})
	for range 20 {
		e.publish("slow.tick", "{}")
	}
	const n = 50
	for i := range n {
		e.publish("fast.tick", fmt.Sprint(i))
	}
	waitFor(t, "the fast endpoint's deliveries", func() bool { return fast.count() == n })
	if got := slow.count(); got != 2 {
		t.Fatalf("slow endpoint has %d requests in flight, want its max_concurrency 2", got)
	}
	close(release)
	waitFor(t, "the slow endpoint to catch up", func() bool { return slow.count() == 20 })
}

func TestDeliveriesPaginate(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t, nil)
	e.subscribe(rc.URL, nil)
	for i := range 5 {
		e.publish("a.b", fmt.Sprint(i))
	}
	seen := map[string]bool{}
	path := "/v1/deliveries?limit=2"
	for pages := 0; ; pages++ {
		var page struct {
			Data []delivery
			Next *string
		}
		e.must(200, "GET", path, nil, &page)
		for _, d := range page.Data {
			seen[d.ID] = true
		}
		if page.Next == nil {
			if pages != 2 {
				t.Fatalf("%d pages, want 3", pages+1)
			}
			break
		}
		path = "/v1/deliveries?limit=2&after=" + *page.Next
	}
	if len(seen) != 5 {
		t.Fatalf("pages covered %d deliveries, want 5", len(seen))
	}
}

func TestPatchSubscription(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t, nil)
	sub := e.subscribe(rc.URL, nil)
	var got struct {
		Name           string
		MaxConcurrency int `json:"max_concurrency"`
		Filter         struct {
			EventTypes []string `json:"event_types"`
		}
	}
	e.must(200, "PATCH", "/v1/subscriptions/"+sub.ID, `{"name":"renamed","filter":{"event_types":["x.*"]}}`, &got)
	if got.Name != "renamed" || got.MaxConcurrency != 10 || len(got.Filter.EventTypes) != 1 {
		t.Fatalf("patched %+v", got)
	}
	e.publish("y.z", "{}")
	e.waitStatus(e.publish("x.y", "{}"), "succeeded")
	if rc.count() != 1 {
		t.Fatalf("the new filter let %d events through, want 1", rc.count())
	}
	e.must(204, "DELETE", "/v1/subscriptions/"+sub.ID, nil, nil)
	e.must(404, "GET", "/v1/subscriptions/"+sub.ID, nil, nil)
}

func TestBatchRefusesAnOversizedEntryAlone(t *testing.T) {
	e := newEnv(t)
	big := `{"type":"a.big","data":"` + strings.Repeat("x", 300<<10) + `"}`
	var out struct {
		Results []struct {
			ID    string
			Error *problem
		}
	}
	e.must(http.StatusAccepted, "POST", "/v1/events/batch", `{"events":[{"type":"a.ok","data":1},`+big+`]}`, &out)
	if len(out.Results) != 2 || out.Results[0].ID == "" || out.Results[1].Error == nil || out.Results[1].Error.Status != 413 {
		t.Fatalf("results %+v", out.Results)
	}
}
