package gateway

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"github.com/eventgate/eventgate/internal/auth"
	"github.com/eventgate/eventgate/internal/channel/pull"
	"github.com/eventgate/eventgate/internal/channel/webhook"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/eventgate/eventgate/internal/event"
	"github.com/eventgate/eventgate/internal/observe/observetest"
	"github.com/eventgate/eventgate/internal/source"
)

// TestObserverHearsPublishAttemptAndRejection: a signed request to a
// source is published, committed, sent to a real receiver and settled, and
// a request with a wrong signature is rejected; the observer hears each.
func TestObserverHearsPublishAttemptAndRejection(t *testing.T) {
	ctx := context.Background()
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	t.Cleanup(receiver.Close)
	rec := &observetest.Recorder{}
	g := startNode(t, sharedStore(t), func(c *Config) { c.Observer = rec })
	sub := &event.Subscription{Name: "s", Channel: event.Channel{Type: "webhook", Config: &webhook.Config{URL: receiver.URL}}}
	if err := g.CreateSubscription(ctx, auth.Admin, sub); err != nil {
		t.Fatal(err)
	}
	src := &source.Source{Name: "provider", Verify: source.Verify{Type: source.HMAC, Secret: "provider-secret", Header: "X-Signature"}, EventType: source.Locator{Literal: "provider.ping"}}
	if err := g.CreateSource(ctx, auth.Admin, src); err != nil {
		t.Fatal(err)
	}

	body := []byte(`{"ping":1}`)
	mac := hmac.New(sha256.New, []byte("provider-secret"))
	mac.Write(body)
	signed := http.Header{"X-Signature": {hex.EncodeToString(mac.Sum(nil))}}
	if _, err := g.Receive(ctx, Inbound{SourceID: src.ID, Header: signed, Body: body}); err != nil {
		t.Fatal(err)
	}
	forged := http.Header{"X-Signature": {hex.EncodeToString(make([]byte, sha256.Size))}}
	var rejection *source.Rejection
	if _, err := g.Receive(ctx, Inbound{SourceID: src.ID, Header: forged, Body: body}); !errors.As(err, &rejection) {
		t.Fatalf("a forged signature: %v, want a rejection", err)
	}

	eventually(t, "the attempt and its settle to be observed", func() bool {
		seen := rec.Seen()
		return len(seen.Attempts) > 0 && len(seen.Settles) > 0
	})
	seen := rec.Seen()
	if len(seen.Publishes) != 1 || seen.Publishes[0].Events != 1 || seen.Publishes[0].Err != nil || seen.Publishes[0].Latency <= 0 {
		t.Errorf("publishes %+v, want one of one event without error, timed", seen.Publishes)
	}
	if len(seen.Commits) != 1 || seen.Commits[0].Events != 1 || seen.Commits[0].Deliveries != 1 || seen.Commits[0].Err != nil || seen.Commits[0].Latency <= 0 {
		t.Errorf("commits %+v, want one of one event with one delivery, timed, without error", seen.Commits)
	}
	if a := seen.Attempts; len(a) != 1 || a[0].SubscriptionID != sub.ID || a[0].Channel != "webhook" || a[0].Outcome != event.Succeeded || a[0].StatusCode != http.StatusNoContent || a[0].Latency <= 0 {
		t.Errorf("attempts %+v, want one that succeeded with 204, timed, to %s over webhook", a, sub.ID)
	}
	if s := seen.Settles; s[0].Outcomes != 1 || s[0].Err != nil {
		t.Errorf("settles %+v, want the attempt's outcome written", s)
	}
	if r := seen.Rejections; len(r) != 1 || r[0].SourceID != src.ID || r[0].Reason == "" {
		t.Errorf("rejections %+v, want one of %s with its reason", r, src.ID)
	}
}

// TestObserverHearsPulledTries: an ack and a nack settle a pulled try
// each, and the observer hears them as the dispatcher's sends are heard.
func TestObserverHearsPulledTries(t *testing.T) {
	ctx := context.Background()
	rec := &observetest.Recorder{}
	g := startNode(t, sharedStore(t), func(c *Config) { c.Observer = rec })
	sub := &event.Subscription{Name: "pulled", Channel: event.Channel{Type: "pull", Config: &pull.Config{}}}
	if err := g.CreateSubscription(ctx, auth.Admin, sub); err != nil {
		t.Fatal(err)
	}
	p, err := g.Prepare(auth.Admin, &event.Event{Type: "order.created", Data: []byte(`{}`)}, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.Publish(ctx, []Prepared{p}); err != nil {
		t.Fatal(err)
	}
	pullOne := func() string {
		t.Helper()
		msgs, err := g.Pull(ctx, auth.Admin, sub.ID, PullRequest{Wait: MaxPullWait})
		if err != nil || len(msgs) != 1 {
			t.Fatalf("pulled %v, %v; want one message", msgs, err)
		}
		return msgs[0].Receipt
	}
	if _, err := g.Nack(ctx, auth.Admin, sub.ID, []string{pullOne()}, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := g.Ack(ctx, auth.Admin, sub.ID, []string{pullOne()}); err != nil {
		t.Fatal(err)
	}
	var outcomes []event.DeliveryStatus
	for _, a := range rec.Seen().Attempts {
		if a.SubscriptionID != sub.ID || a.Channel != "pull" {
			t.Errorf("attempt %+v, want one of the pull subscription", a)
		}
		outcomes = append(outcomes, a.Outcome)
	}
	if !slices.Equal(outcomes, []event.DeliveryStatus{event.Failed, event.Succeeded}) {
		t.Fatalf("observed outcomes %v, want failed (the nack) then succeeded (the ack)", outcomes)
	}
}
