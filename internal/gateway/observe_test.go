package gateway

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"

	"github.com/eventgate/eventgate/internal/event"
	"github.com/eventgate/eventgate/internal/observe"
	"github.com/eventgate/eventgate/internal/source"
)

// recorder is an observer that keeps what it hears.
type recorder struct {
	mu         sync.Mutex
	publishes  []observe.Publish
	commits    []observe.Commit
	attempts   []observe.Attempt
	settles    []observe.Settle
	rejections []observe.SourceRejection
}

func (r *recorder) Published(p observe.Publish)              { keep(r, &r.publishes, p) }
func (r *recorder) Committed(c observe.Commit)               { keep(r, &r.commits, c) }
func (r *recorder) Claimed(observe.Claim)                    {}
func (r *recorder) Attempted(a observe.Attempt)              { keep(r, &r.attempts, a) }
func (r *recorder) Settled(s observe.Settle)                 { keep(r, &r.settles, s) }
func (r *recorder) SourceRejected(s observe.SourceRejection) { keep(r, &r.rejections, s) }

func keep[T any](r *recorder, list *[]T, v T) {
	r.mu.Lock()
	defer r.mu.Unlock()
	*list = append(*list, v)
}

// seen returns a copy of what r holds, under its lock.
func (r *recorder) seen() recorder {
	r.mu.Lock()
	defer r.mu.Unlock()
	return recorder{publishes: slices.Clone(r.publishes), commits: slices.Clone(r.commits), attempts: slices.Clone(r.attempts),
		settles: slices.Clone(r.settles), rejections: slices.Clone(r.rejections)}
}

// TestObserverHearsPublishAttemptAndRejection: a signed request to a
// source is published, committed, sent to a real receiver and settled, and
// a request with a wrong signature is rejected; the observer hears each.
func TestObserverHearsPublishAttemptAndRejection(t *testing.T) {
	ctx := context.Background()
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	t.Cleanup(receiver.Close)
	rec := &recorder{}
	g := startNode(t, sharedStore(t), func(c *Config) { c.Observer = rec })
	sub := &event.Subscription{Name: "s", Channel: event.Channel{Type: "webhook", URL: receiver.URL}}
	if err := g.CreateSubscription(ctx, sub); err != nil {
		t.Fatal(err)
	}
	src := &source.Source{Name: "provider", Verify: source.Verify{Type: source.HMAC, Secret: "provider-secret", Header: "X-Signature"}, EventType: source.Locator{Literal: "provider.ping"}}
	if err := g.CreateSource(ctx, src); err != nil {
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
		seen := rec.seen()
		return len(seen.attempts) > 0 && len(seen.settles) > 0
	})
	seen := rec.seen()
	if len(seen.publishes) != 1 || seen.publishes[0] != (observe.Publish{Events: 1}) {
		t.Errorf("publishes %+v, want one of one event without error", seen.publishes)
	}
	if len(seen.commits) != 1 || seen.commits[0].Events != 1 || seen.commits[0].Deliveries != 1 || seen.commits[0].Err != nil || seen.commits[0].Latency <= 0 {
		t.Errorf("commits %+v, want one of one event with one delivery, timed, without error", seen.commits)
	}
	if a := seen.attempts; len(a) != 1 || a[0].SubscriptionID != sub.ID || a[0].Channel != "webhook" || a[0].Outcome != event.Succeeded || a[0].StatusCode != http.StatusNoContent || a[0].Latency <= 0 {
		t.Errorf("attempts %+v, want one that succeeded with 204, timed, to %s over webhook", a, sub.ID)
	}
	if s := seen.settles; s[0].Outcomes != 1 || s[0].Err != nil {
		t.Errorf("settles %+v, want the attempt's outcome written", s)
	}
	if r := seen.rejections; len(r) != 1 || r[0].SourceID != src.ID || r[0].Reason == "" {
		t.Errorf("rejections %+v, want one of %s with its reason", r, src.ID)
	}
}
