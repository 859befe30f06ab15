package api_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestUsageAndMonthlyQuota: a partner's usage counts its deliveries; at
// its monthly quota its subscriptions pause (deliveries wait, none lost)
// and resume when the quota allows again.
func TestUsageAndMonthlyQuota(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t, nil)
	var p struct{ ID string }
	e.must(201, "POST", "/v1/partners", `{"name":"Acme","quotas":{"monthly_deliveries":2},"subscribe_types":["*"]}`, &p)
	var sub struct{ ID string }
	e.must(201, "POST", "/v1/subscriptions", map[string]any{"name": "acme", "partner_id": p.ID, "channel": map[string]any{"type": "webhook", "url": rc.URL}}, &sub)
	e.waitStatus(e.publish("a.b", `{"x":1}`), "succeeded")
	e.waitStatus(e.publish("a.b", `{"x":2}`), "succeeded")

	var usage struct {
		Days []struct {
			Day                        string
			Delivered, Attempts, Bytes int64
		}
		Month struct{ Delivered, Quota int64 }
	}
	e.must(200, "GET", "/v1/partners/"+p.ID+"/usage", nil, &usage)
	today := time.Now().UTC().Format(time.DateOnly)
	if len(usage.Days) != 1 || usage.Days[0].Day != today || usage.Days[0].Delivered != 2 || usage.Days[0].Attempts != 2 || usage.Days[0].Bytes < 100 ||
		usage.Month.Delivered != 2 || usage.Month.Quota != 2 {
		t.Fatalf("usage %+v", usage)
	}
	if code, _, body := e.do("GET", "/v1/partners/"+p.ID+"/usage?from=yesterday", nil); code != 400 || !strings.Contains(string(body), "RFC 3339") {
		t.Fatalf("bad from: %d %s", code, body)
	}

	if err := e.g.EnforceQuotas(context.Background(), time.Now()); err != nil {
		t.Fatal(err)
	}
	var s struct {
		Status       string `json:"status"`
		StatusReason string `json:"status_reason"`
	}
	e.must(200, "GET", "/v1/subscriptions/"+sub.ID, nil, &s)
	if s.Status != "paused" || !strings.Contains(s.StatusReason, "monthly delivery quota reached (2 of 2)") {
		t.Fatalf("at quota the subscription is %+v, want paused with the reason", s)
	}
	waiting := e.publish("a.b", `{"x":3}`)
	time.Sleep(100 * time.Millisecond)
	if rc.count() != 2 {
		t.Fatalf("a paused subscription delivered: %d", rc.count())
	}
	// Raising the quota resumes at once.
	e.must(200, "PATCH", "/v1/partners/"+p.ID, `{"quotas":{"monthly_deliveries":10}}`, nil)
	e.waitStatus(waiting, "succeeded")
}

// TestMonthlyQuotaHoldsAtDispatch: a quota of 3 delivers exactly 3 of 6
// events, however many are in flight; the rest wait untried, the partner
// cannot resume past its quota, and raising the quota sends the rest.
func TestMonthlyQuotaHoldsAtDispatch(t *testing.T) {
	e := newEnv(t)
	rc := newReceiver(t, nil)
	var p struct{ ID string }
	e.must(201, "POST", "/v1/partners", `{"name":"Acme","subscribe_types":["a.*"],"quotas":{"monthly_deliveries":3}}`, &p)
	var key struct{ Key string }
	e.must(201, "POST", "/v1/keys", `{"scope":"partner","name":"acme","partner_id":"`+p.ID+`"}`, &key)
	sub := e.subscribe(rc.URL, map[string]any{"partner_id": p.ID, "max_concurrency": 10})
	for i := range 6 {
		e.publish("a.b", fmt.Sprintf(`{"n":%d}`, i))
	}

	var s struct {
		Status       string `json:"status"`
		StatusReason string `json:"status_reason"`
	}
	waitFor(t, "the subscription to pause at its quota", func() bool {
		e.must(200, "GET", "/v1/subscriptions/"+sub.ID, nil, &s)
		return s.Status == "paused"
	})
	if !strings.Contains(s.StatusReason, "monthly delivery quota reached (3 of 3)") {
		t.Fatalf("paused with reason %q", s.StatusReason)
	}
	waitFor(t, "3 deliveries to succeed and 3 to wait untried", func() bool {
		succeeded, waiting := 0, 0
		for _, d := range e.deliveries("subscription_id=" + sub.ID) {
			switch {
			case d.Status == "succeeded":
				succeeded++
			case d.Status == "pending" && d.AttemptCount == 0:
				waiting++
			}
		}
		return succeeded == 3 && waiting == 3
	})
	if rc.count() != 3 {
		t.Fatalf("a quota of 3 delivered %d", rc.count())
	}

	code, hdr, body := e.do("POST", "/v1/subscriptions/"+sub.ID+"/resume", nil, "Authorization", "Bearer "+key.Key)
	if code != 409 || hdr.Get("Content-Type") != "application/problem+json" || !strings.Contains(string(body), "delivered 3 of its 3 monthly deliveries") {
		t.Fatalf("resume over quota answered %d %s", code, body)
	}

	e.must(200, "PATCH", "/v1/partners/"+p.ID, `{"quotas":{"monthly_deliveries":10}}`, nil)
	waitFor(t, "the waiting deliveries to go out", func() bool {
		for _, d := range e.deliveries("subscription_id=" + sub.ID) {
			if d.Status != "succeeded" || d.AttemptCount != 1 {
				return false
			}
		}
		return true
	})
	if rc.count() != 6 {
		t.Fatalf("after raising the quota the receiver got %d, want 6", rc.count())
	}
}
