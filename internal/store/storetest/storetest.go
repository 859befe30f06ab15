// Package storetest is the behaviour suite every store.Store implementation
// must pass. It is written once, against the interface.
package storetest

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/eventgate/eventgate/internal/channel/webhook"
	"github.com/eventgate/eventgate/internal/event"
	"github.com/eventgate/eventgate/internal/store"
)

// Opener returns a fresh, empty store for one test.
type Opener func(t *testing.T) store.Store

// Run runs the whole suite.
func Run(t *testing.T, open Opener) {
	tests := map[string]func(*testing.T, store.Store){
		"Subscriptions":          testSubscriptions,
		"SubscriptionPagination": testSubscriptionPagination,
		"AppendAndRead":          testAppendAndRead,
		"Idempotency":            testIdempotency,
		"ClientIDsPerPublisher":  testClientIDsPerPublisher,
		"EventPagination":        testEventPagination,
		"LeasesAndClaims":        testLeasesAndClaims,
		"SettleOutcomes":         testSettleOutcomes,
		"Envelopes":              testEnvelopes,
		"PauseParksDeliveries":   testPauseParks,
		"RetryAndRedrive":        testRetryAndRedrive,
		"DeleteCascades":         testDeleteCascades,
		"Keys":                   testKeys,
		"StaleReferences":        testStaleReferences,
		"EventTypeCatalog":       testEventTypeCatalog,
		"Partners":               testPartners,
		"PartnerUsage":           testPartnerUsage,
		"Versions":               testVersions,
		"LeaderLease":            testLeaderLease,
		"Retention":              testRetention,
		"IdempotencyKeyPruning":  testIdempotencyKeyPruning,
		"Sources":                testSources,
		"Audit":                  testAudit,
		"Replays":                testReplays,
		"Health":                 testHealth,
		"TraceParent":            testTraceParent,
		"PullLeases":             testPullLeases,
		"PullRepeatedReceipts":   testPullRepeatedReceipts,
		"PullAckOfManyMessages":  testPullAckOfManyMessages,
		"PullExpiryAndNack":      testPullExpiryAndNack,
		"PullConcurrentLeases":   testPullConcurrentLeases,

		"ConcurrentClaimsAreDisjoint":    testConcurrentClaimsAreDisjoint,
		"ConcurrentAppendsStoreOnce":     testConcurrentAppendsStoreOnce,
		"ReleaseDuringResume":            testReleaseDuringResume,
		"DeleteSubscriptionDuringWrites": testDeleteSubscriptionDuringWrites,
	}
	for name, fn := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel() // each has a store of its own
			fn(t, open(t))
		})
	}
}

var ctx = context.Background()

func newSubscription(t *testing.T, s store.Store, name string) *event.Subscription {
	t.Helper()
	now := time.Now().UTC().Truncate(time.Microsecond)
	sub := &event.Subscription{
		ID: event.NewID(event.PrefixSubscription), Name: name,
		Channel:   event.Channel{Type: "webhook", Config: &webhook.Config{URL: "https://example.com/hook", Headers: map[string]string{"X-Team": "a"}}},
		Filter:    event.Filter{EventTypes: []string{"order.*"}},
		Secrets:   []event.Secret{{Value: "whsec_c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0"}},
		CreatedAt: now, UpdatedAt: now,
	}
	sub.ApplyDefaults()
	if err := s.CreateSubscription(ctx, sub); err != nil {
		t.Fatalf("CreateSubscription: %v", err)
	}
	return sub
}

// publish appends one event with a delivery to each subscription, leased by owner.
func publish(t *testing.T, s store.Store, lease store.Lease, typ string, subs ...*event.Subscription) *store.Append {
	t.Helper()
	a := newAppend(typ, subs...)
	if err := s.AppendEvents(ctx, lease, []*store.Append{a}); err != nil {
		t.Fatalf("AppendEvents: %v", err)
	}
	return a
}

func newAppend(typ string, subs ...*event.Subscription) *store.Append {
	e := &event.Event{ID: event.NewID(event.PrefixEvent), Type: typ, Time: time.Now().UTC(), Data: json.RawMessage(`{"n":1}`)}
	env, _ := e.Envelope()
	a := &store.Append{Event: e, Envelope: env}
	for _, sub := range subs {
		a.Deliveries = append(a.Deliveries, &event.Delivery{
			ID: event.NewID(event.PrefixDelivery), EventID: e.ID, SubscriptionID: sub.ID,
			Status: event.Pending, CreatedAt: time.Now().UTC(), Pull: sub.Channel.Type == "pull",
		})
	}
	return a
}

func testEnvelopes(t *testing.T, s store.Store) {
	sub := newSubscription(t, s, "orders")
	lease := store.Lease{Owner: "node-a", Until: time.Now().Add(time.Minute)}
	a, b := publish(t, s, lease, "order.created", sub), publish(t, s, lease, "order.paid", sub)
	missing := event.NewID(event.PrefixEvent)
	got, err := s.Envelopes(ctx, []string{a.Event.ID, b.Event.ID, missing})
	if err != nil {
		t.Fatalf("Envelopes: %v", err)
	}
	if len(got) != 2 || string(got[a.Event.ID]) != string(a.Envelope) || string(got[b.Event.ID]) != string(b.Envelope) {
		t.Fatalf("Envelopes = %q, want the two stored envelopes and nothing for %s", got, missing)
	}
	// More ids than one query binds: every stored one is found.
	ids := []string{a.Event.ID}
	for range 1200 {
		ids = append(ids, event.NewID(event.PrefixEvent))
	}
	ids = append(ids, b.Event.ID)
	if got, err := s.Envelopes(ctx, ids); err != nil || len(got) != 2 {
		t.Fatalf("Envelopes of 1202 ids: %d found, %v; want 2", len(got), err)
	}
}

func mustDelivery(t *testing.T, s store.Store, id string) *event.Delivery {
	t.Helper()
	d, err := s.GetDelivery(ctx, id)
	if err != nil {
		t.Fatalf("GetDelivery(%s): %v", id, err)
	}
	return d
}

func wantStatus(t *testing.T, s store.Store, id string, want event.DeliveryStatus) *event.Delivery {
	t.Helper()
	d := mustDelivery(t, s, id)
	if d.Status != want {
		t.Fatalf("delivery %s status = %s, want %s", id, d.Status, want)
	}
	return d
}

func claimIDs(t *testing.T, s store.Store, lease store.Lease, now time.Time) map[string]*store.Job {
	t.Helper()
	jobs, err := s.ClaimDue(ctx, lease, now, 100)
	if err != nil {
		t.Fatalf("ClaimDue: %v", err)
	}
	out := map[string]*store.Job{}
	for _, j := range jobs {
		out[j.DeliveryID] = j
	}
	return out
}

func attempt(deliveryID string, code int, errText string) *event.Attempt {
	return &event.Attempt{ID: event.NewID(event.PrefixAttempt), DeliveryID: deliveryID, At: time.Now().UTC(), StatusCode: code, Latency: 1500 * time.Microsecond, ResponseBody: "ok", Error: errText}
}

func testSubscriptions(t *testing.T, s store.Store) {
	sub := newSubscription(t, s, "orders")
	got, err := s.GetSubscription(ctx, sub.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "orders" || got.Channel.Config.(*webhook.Config).URL != sub.Channel.Config.(*webhook.Config).URL || got.Channel.Config.(*webhook.Config).Headers["X-Team"] != "a" ||
		got.Filter.EventTypes[0] != "order.*" || got.RetryPolicy != sub.RetryPolicy || got.MaxConcurrency != event.DefaultMaxConcurrency ||
		len(got.Secrets) != 1 || got.Secrets[0].Value != sub.Secrets[0].Value || !got.CreatedAt.Equal(sub.CreatedAt) || got.Status != event.Active {
		t.Fatalf("round trip changed the subscription:\n got %+v\nwant %+v", got, sub)
	}
	got.Name, got.Status, got.StatusReason = "renamed", event.Disabled, "410 Gone"
	if err := s.UpdateSubscription(ctx, got); err != nil {
		t.Fatal(err)
	}
	again, _ := s.GetSubscription(ctx, sub.ID)
	if again.Name != "renamed" || again.Status != event.Disabled || again.StatusReason != "410 Gone" {
		t.Fatalf("update not stored: %+v", again)
	}
	all, err := s.AllSubscriptions(ctx)
	if err != nil || len(all) != 1 {
		t.Fatalf("AllSubscriptions = %d, %v", len(all), err)
	}
	if _, err := s.GetSubscription(ctx, "sub_missing"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing subscription: %v, want ErrNotFound", err)
	}
	missing := *got
	missing.ID = "sub_missing"
	if err := s.UpdateSubscription(ctx, &missing); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("update missing: %v, want ErrNotFound", err)
	}
	if err := s.DeleteSubscription(ctx, sub.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteSubscription(ctx, sub.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("second delete: %v, want ErrNotFound", err)
	}
}

func testSubscriptionPagination(t *testing.T, s store.Store) {
	var ids []string
	for i := range 5 {
		ids = append(ids, newSubscription(t, s, fmt.Sprint("s", i)).ID)
	}
	var seen []string
	page := store.SubscriptionQuery{Page: store.Page{Limit: 2}}
	for range 10 {
		subs, next, err := s.ListSubscriptions(ctx, page)
		if err != nil {
			t.Fatal(err)
		}
		for _, sub := range subs {
			seen = append(seen, sub.ID)
		}
		if next == "" {
			break
		}
		page.After = next
	}
	if fmt.Sprint(seen) != fmt.Sprint(reverse(ids)) {
		t.Fatalf("pages gave %v, want newest first %v", seen, reverse(ids))
	}
	if _, _, err := s.ListSubscriptions(ctx, store.SubscriptionQuery{Page: store.Page{After: "!!not-a-cursor"}}); !errors.Is(err, store.ErrBadCursor) {
		t.Fatalf("bad cursor: %v, want ErrBadCursor", err)
	}
}

func reverse(in []string) []string {
	out := make([]string, len(in))
	for i, v := range in {
		out[len(in)-1-i] = v
	}
	return out
}

func testAppendAndRead(t *testing.T, s store.Store) {
	a, b := newSubscription(t, s, "a"), newSubscription(t, s, "b")
	lease := store.Lease{Owner: "node-1", Until: time.Now().Add(time.Minute)}
	ap := publish(t, s, lease, "order.created", a, b)
	e, err := s.GetEvent(ctx, ap.Event.ID)
	if err != nil {
		t.Fatal(err)
	}
	if e.Type != "order.created" || string(e.Data) != `{"n":1}` {
		t.Fatalf("event read back as %+v", e)
	}
	ds, _, err := s.ListDeliveries(ctx, store.DeliveryQuery{EventID: e.ID})
	if err != nil || len(ds) != 2 {
		t.Fatalf("deliveries of event: %d, %v", len(ds), err)
	}
	for _, d := range ds {
		if d.Status != event.Pending || d.Attempts != 0 {
			t.Fatalf("new delivery %+v", d)
		}
	}
	ds, _, _ = s.ListDeliveries(ctx, store.DeliveryQuery{SubscriptionID: a.ID, Status: event.Pending})
	if len(ds) != 1 || ds[0].SubscriptionID != a.ID {
		t.Fatalf("filter by subscription and status: %+v", ds)
	}
	if _, err := s.GetEvent(ctx, "evt_missing"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing event: %v", err)
	}
	if _, err := s.GetDelivery(ctx, "dlv_missing"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing delivery: %v", err)
	}
}

func testIdempotency(t *testing.T, s store.Store) {
	sub := newSubscription(t, s, "a")
	lease := store.Lease{Owner: "n", Until: time.Now().Add(time.Minute)}
	first := newAppend("order.created", sub)
	first.IdempotencyKey = "key-1"
	sameKey := newAppend("order.created", sub)
	sameKey.IdempotencyKey = "key-1"
	if err := s.AppendEvents(ctx, lease, []*store.Append{first, sameKey}); err != nil {
		t.Fatal(err)
	}
	if first.DuplicateOf != "" || sameKey.DuplicateOf != first.Event.ID {
		t.Fatalf("same key in one batch: first dup=%q second dup=%q, want second = %s", first.DuplicateOf, sameKey.DuplicateOf, first.Event.ID)
	}
	clientID := newAppend("order.created", sub)
	clientID.Event.ID, clientID.ClientID = "order-42-created", true
	repeat := newAppend("order.created", sub)
	repeat.Event.ID, repeat.ClientID = "order-42-created", true
	if err := s.AppendEvents(ctx, lease, []*store.Append{clientID}); err != nil {
		t.Fatal(err)
	}
	if err := s.AppendEvents(ctx, lease, []*store.Append{repeat}); err != nil {
		t.Fatal(err)
	}
	if repeat.DuplicateOf != "order-42-created" {
		t.Fatalf("repeated client id: DuplicateOf = %q", repeat.DuplicateOf)
	}
	once, twice := newAppend("order.created", sub), newAppend("order.created", sub)
	once.Event.ID, once.ClientID = "order-43-created", true
	twice.Event.ID, twice.ClientID = "order-43-created", true
	if err := s.AppendEvents(ctx, lease, []*store.Append{once, twice}); err != nil {
		t.Fatalf("a client id twice in one batch failed the commit: %v", err)
	}
	if once.DuplicateOf != "" || twice.DuplicateOf != "order-43-created" {
		t.Fatalf("client id twice in one batch: first dup=%q second dup=%q", once.DuplicateOf, twice.DuplicateOf)
	}
	ds, _, _ := s.ListDeliveries(ctx, store.DeliveryQuery{SubscriptionID: sub.ID})
	if len(ds) != 3 {
		t.Fatalf("duplicates created deliveries: %d, want 3", len(ds))
	}
}

// testClientIDsPerPublisher: a client-supplied id is its publisher's. A
// repeat by that publisher is a duplicate; by another one it is refused
// (IDTaken) and stores nothing, so that no publisher can make another's
// event vanish by publishing its id first.
func testClientIDsPerPublisher(t *testing.T, s store.Store) {
	sub := newSubscription(t, s, "a")
	lease := store.Lease{Owner: "n", Until: time.Now().Add(time.Minute)}
	withID := func(id, publisher string) *store.Append {
		a := newAppend("order.created", sub)
		a.Event.ID, a.Deliveries[0].EventID, a.ClientID, a.Publisher = id, id, true, publisher
		return a
	}
	append := func(entries ...*store.Append) {
		t.Helper()
		if err := s.AppendEvents(ctx, lease, entries); err != nil {
			t.Fatal(err)
		}
	}
	partner := withID("order-1001", "key_partner")
	append(partner)
	operator := withID("order-1001", "key_operator")
	append(operator)
	if !operator.IDTaken || operator.DuplicateOf != "" {
		t.Fatalf("another publisher's repeat of an id: IDTaken=%v DuplicateOf=%q, want taken", operator.IDTaken, operator.DuplicateOf)
	}
	again := withID("order-1001", "key_partner")
	append(again)
	if again.IDTaken || again.DuplicateOf != "order-1001" {
		t.Fatalf("the publisher's own repeat of its id: IDTaken=%v DuplicateOf=%q, want a duplicate of order-1001", again.IDTaken, again.DuplicateOf)
	}
	first, second := withID("order-1002", "key_partner"), withID("order-1002", "key_operator")
	append(first, second)
	if first.IDTaken || first.DuplicateOf != "" || !second.IDTaken {
		t.Fatalf("one id from two publishers in one batch: first taken=%v dup=%q, second taken=%v; want the first stored, the second taken",
			first.IDTaken, first.DuplicateOf, second.IDTaken)
	}
	ds, _, err := s.ListDeliveries(ctx, store.DeliveryQuery{SubscriptionID: sub.ID})
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 2 {
		t.Fatalf("%d deliveries, want 2: refused and repeated events store none", len(ds))
	}
}

func testEventPagination(t *testing.T, s store.Store) {
	lease := store.Lease{Owner: "n", Until: time.Now().Add(time.Minute)}
	var orders []string
	for i := range 7 {
		typ := "order.created"
		if i%2 == 1 {
			typ = "invoice.paid"
		}
		a := publish(t, s, lease, typ)
		if typ == "order.created" {
			orders = append(orders, a.Event.ID)
		}
	}
	var seen []string
	q := store.EventQuery{Type: "order.created", Page: store.Page{Limit: 3}}
	for range 10 {
		evs, next, err := s.ListEvents(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			seen = append(seen, e.ID)
		}
		if next == "" {
			break
		}
		q.After = next
	}
	if fmt.Sprint(seen) != fmt.Sprint(reverse(orders)) {
		t.Fatalf("pages gave %v, want %v", seen, reverse(orders))
	}
	all, _, _ := s.ListEvents(ctx, store.EventQuery{})
	if len(all) != 7 {
		t.Fatalf("all events: %d, want 7", len(all))
	}
}

func testLeasesAndClaims(t *testing.T, s store.Store) {
	sub := newSubscription(t, s, "a")
	now := time.Now()
	mine := store.Lease{Owner: "node-1", Until: now.Add(30 * time.Second)}
	ap := publish(t, s, mine, "order.created", sub)
	id := ap.Deliveries[0].ID
	other := store.Lease{Owner: "node-2", Until: now.Add(time.Hour)}
	if got := claimIDs(t, s, other, now); len(got) != 0 {
		t.Fatalf("a fresh delivery leased by its creator was claimed by another node: %v", got)
	}
	if err := s.ExtendLeases(ctx, store.Lease{Owner: "node-1", Until: now.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if got := claimIDs(t, s, other, now.Add(45*time.Second)); len(got) != 0 {
		t.Fatalf("an extended lease was claimed before it expired: %v", got)
	}
	got := claimIDs(t, s, other, now.Add(61*time.Second))
	j := got[id]
	if j == nil {
		t.Fatalf("an expired lease was not taken over: %v", got)
	}
	if j.EventID != ap.Event.ID || j.SubscriptionID != sub.ID || string(j.Envelope) != string(ap.Envelope) {
		t.Fatalf("claimed job %+v", j)
	}
	if again := claimIDs(t, s, mine, now.Add(2*time.Minute)); len(again) != 0 {
		t.Fatalf("a delivery was claimed twice within the lease: %v", again)
	}
	// The old owner's late outcome must not overwrite the new owner's claim.
	if err := s.Settle(ctx, "node-1", []*store.Outcome{{DeliveryID: id, Attempt: attempt(id, 200, ""), Status: event.Succeeded}}); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, s, id, event.Pending)
	if err := s.Settle(ctx, "node-2", []*store.Outcome{{DeliveryID: id, Attempt: attempt(id, 200, ""), Status: event.Succeeded}}); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, s, id, event.Succeeded)

	// A node that owns the store alone may drop every lease at start.
	ap2 := publish(t, s, mine, "order.created", sub)
	if err := s.ReleaseAllLeases(ctx, now); err != nil {
		t.Fatal(err)
	}
	// The lease is gone and the delivery is due at once: a restart does not wait for old leases.
	if got := claimIDs(t, s, other, now); got[ap2.Deliveries[0].ID] == nil {
		t.Fatalf("released delivery not claimable at once: %v", got)
	}
}

func testSettleOutcomes(t *testing.T, s store.Store) {
	sub := newSubscription(t, s, "a")
	now := time.Now()
	lease := store.Lease{Owner: "n", Until: now.Add(time.Minute)}
	ap := publish(t, s, lease, "order.created", sub, sub, sub)
	ok, retry, dead := ap.Deliveries[0].ID, ap.Deliveries[1].ID, ap.Deliveries[2].ID
	next := now.Add(10 * time.Second)
	err := s.Settle(ctx, "n", []*store.Outcome{
		{DeliveryID: ok, Attempt: attempt(ok, 204, ""), Status: event.Succeeded},
		{DeliveryID: retry, Attempt: attempt(retry, 500, "HTTP 500"), Status: event.Failed, NextAttemptAt: next},
		{DeliveryID: dead, Attempt: attempt(dead, 0, "connection refused"), Status: event.Dead},
	})
	if err != nil {
		t.Fatal(err)
	}
	d := wantStatus(t, s, ok, event.Succeeded)
	if d.Attempts != 1 || d.LastStatusCode != 204 {
		t.Fatalf("succeeded delivery %+v", d)
	}
	d = wantStatus(t, s, retry, event.Failed)
	if d.NextAttemptAt == nil || d.NextAttemptAt.Sub(next).Abs() > time.Millisecond || d.LastError != "HTTP 500" {
		t.Fatalf("failed delivery %+v", d)
	}
	wantStatus(t, s, dead, event.Dead)
	atts, err := s.ListAttempts(ctx, retry)
	if err != nil || len(atts) != 1 || atts[0].StatusCode != 500 || atts[0].Latency != 1500*time.Microsecond || atts[0].ResponseBody != "ok" {
		t.Fatalf("attempts: %+v, %v", atts, err)
	}
	// Only the failed one comes due again, and only when its time comes.
	if got := claimIDs(t, s, lease, now.Add(5*time.Second)); len(got) != 0 {
		t.Fatalf("claimed before due: %v", got)
	}
	got := claimIDs(t, s, lease, now.Add(11*time.Second))
	if len(got) != 1 || got[retry] == nil || got[retry].Attempts != 1 || got[retry].CycleAttempts != 1 {
		t.Fatalf("due claim: %+v", got)
	}
	// A release makes it due at once, with no attempt recorded.
	if err := s.Settle(ctx, "n", []*store.Outcome{{DeliveryID: retry, Now: now.Add(12 * time.Second)}}); err != nil {
		t.Fatal(err)
	}
	if got := claimIDs(t, s, lease, now.Add(12*time.Second)); got[retry] == nil {
		t.Fatalf("released delivery not due: %v", got)
	}
	if atts, _ := s.ListAttempts(ctx, retry); len(atts) != 1 {
		t.Fatalf("release recorded an attempt: %d", len(atts))
	}
}

func testPauseParks(t *testing.T, s store.Store) {
	sub := newSubscription(t, s, "a")
	now := time.Now()
	lease := store.Lease{Owner: "n", Until: now.Add(time.Minute)}
	waiting := publish(t, s, lease, "order.created", sub).Deliveries[0].ID
	leased := publish(t, s, lease, "order.created", sub).Deliveries[0].ID
	if err := s.Settle(ctx, "n", []*store.Outcome{{DeliveryID: waiting, Now: now}}); err != nil {
		t.Fatal(err)
	}
	sub.Status, sub.UpdatedAt = event.Paused, now
	if err := s.UpdateSubscription(ctx, sub); err != nil {
		t.Fatal(err)
	}
	// The leased one is released while paused: it parks too.
	if err := s.Settle(ctx, "n", []*store.Outcome{{DeliveryID: leased, Now: now}}); err != nil {
		t.Fatal(err)
	}
	if got := claimIDs(t, s, lease, now.Add(time.Hour)); len(got) != 0 {
		t.Fatalf("deliveries of a paused subscription were claimed: %v", got)
	}
	sub.Status, sub.UpdatedAt = event.Active, now.Add(time.Second)
	if err := s.UpdateSubscription(ctx, sub); err != nil {
		t.Fatal(err)
	}
	got := claimIDs(t, s, lease, now.Add(2*time.Second))
	if got[waiting] == nil || got[leased] == nil {
		t.Fatalf("resume did not make parked deliveries due: %v", got)
	}
}

func testRetryAndRedrive(t *testing.T, s store.Store) {
	sub := newSubscription(t, s, "a")
	now := time.Now()
	lease := store.Lease{Owner: "n", Until: now.Add(time.Minute)}
	ap := publish(t, s, lease, "order.created", sub, sub, sub)
	d1, d2, d3 := ap.Deliveries[0].ID, ap.Deliveries[1].ID, ap.Deliveries[2].ID
	if _, err := s.RetryDelivery(ctx, d1, now); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("retry of an in-flight delivery: %v, want ErrConflict", err)
	}
	if _, err := s.RetryDelivery(ctx, "dlv_missing", now); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("retry of a missing delivery: %v, want ErrNotFound", err)
	}
	var dead []*store.Outcome
	for _, id := range []string{d1, d2, d3} {
		dead = append(dead, &store.Outcome{DeliveryID: id, Attempt: attempt(id, 500, "HTTP 500"), Status: event.Dead})
	}
	if err := s.Settle(ctx, "n", dead); err != nil {
		t.Fatal(err)
	}
	later := now.Add(time.Hour)
	d, err := s.RetryDelivery(ctx, d1, later)
	if err != nil || d.Status != event.Pending || d.Attempts != 1 {
		t.Fatalf("retry: %+v, %v", d, err)
	}
	n, err := s.Redrive(ctx, sub.ID, later)
	if err != nil || n != 2 {
		t.Fatalf("redrive: %d, %v; want 2", n, err)
	}
	got := claimIDs(t, s, lease, later)
	for _, id := range []string{d1, d2, d3} {
		j := got[id]
		if j == nil || j.Attempts != 1 || j.CycleAttempts != 0 || !j.CycleStart.Equal(later.Truncate(time.Microsecond)) {
			t.Fatalf("redriven %s: %+v (a new cycle starts at %v with 0 attempts)", id, j, later)
		}
	}
}

func testDeleteCascades(t *testing.T, s store.Store) {
	sub, keep := newSubscription(t, s, "gone"), newSubscription(t, s, "kept")
	lease := store.Lease{Owner: "n", Until: time.Now().Add(time.Minute)}
	ap := publish(t, s, lease, "order.created", sub, keep)
	id := ap.Deliveries[0].ID
	if err := s.Settle(ctx, "n", []*store.Outcome{{DeliveryID: id, Attempt: attempt(id, 500, "x"), Status: event.Dead}}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteSubscription(ctx, sub.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetDelivery(ctx, id); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("delivery of a deleted subscription: %v, want ErrNotFound", err)
	}
	if atts, _ := s.ListAttempts(ctx, id); len(atts) != 0 {
		t.Fatalf("attempts of a deleted subscription remain: %d", len(atts))
	}
	mustDelivery(t, s, ap.Deliveries[1].ID)
	if _, err := s.GetEvent(ctx, ap.Event.ID); err != nil {
		t.Fatalf("the event must stay: %v", err)
	}
}

func testKeys(t *testing.T, s store.Store) {
	hash := sha256.Sum256([]byte("eg_adm_secret"))
	k := &store.Key{ID: event.NewID(event.PrefixKey), Name: "bootstrap", Scope: "admin", Prefix: "eg_adm_sec", Hash: hash[:], CreatedAt: time.Now().UTC()}
	if n, _ := s.CountKeys(ctx, "admin"); n != 0 {
		t.Fatalf("empty store has %d admin keys", n)
	}
	if err := s.CreateKey(ctx, k); err != nil {
		t.Fatal(err)
	}
	got, err := s.KeyByHash(ctx, hash[:])
	if err != nil || got.ID != k.ID || got.Scope != "admin" || got.LastUsedAt != nil {
		t.Fatalf("KeyByHash: %+v, %v", got, err)
	}
	other := sha256.Sum256([]byte("eg_adm_other"))
	if _, err := s.KeyByHash(ctx, other[:]); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown hash: %v", err)
	}
	if err := s.TouchKey(ctx, k.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.KeyByHash(ctx, hash[:]); got.LastUsedAt == nil {
		t.Fatal("TouchKey did not record last use")
	}
	if n, _ := s.CountKeys(ctx, "admin"); n != 1 {
		t.Fatalf("CountKeys = %d, want 1", n)
	}
	pubHash := sha256.Sum256([]byte("publisher secret"))
	if err := s.CreateKey(ctx, &store.Key{ID: event.NewID(event.PrefixKey), Name: "shop", Scope: "publisher", Prefix: "eg_pub_sec", Hash: pubHash[:], CreatedAt: time.Now().UTC()}); err != nil {
		t.Fatal(err)
	}
	if admins, _, err := s.ListKeys(ctx, store.KeyQuery{Scope: "admin"}); err != nil || len(admins) != 1 || admins[0].ID != k.ID {
		t.Fatalf("ListKeys of scope admin = %v, %v; want only %s", admins, err, k.ID)
	}
}

// testStaleReferences: a subscription deleted between routing and commit,
// or between claim and settle, must cost only its own rows, never the
// other entries of a group commit; a repeated settle changes nothing.
func testStaleReferences(t *testing.T, s store.Store) {
	kept := newSubscription(t, s, "kept")
	gone := newSubscription(t, s, "gone")
	if err := s.DeleteSubscription(ctx, gone.ID); err != nil {
		t.Fatal(err)
	}
	lease := store.Lease{Owner: "n", Until: time.Now().Add(time.Minute)}
	stale, fine := newAppend("order.created", gone, kept), newAppend("order.created", kept)
	if err := s.AppendEvents(ctx, lease, []*store.Append{stale, fine}); err != nil {
		t.Fatalf("a delivery to a deleted subscription failed the group commit: %v", err)
	}
	if _, err := s.GetDelivery(ctx, stale.Deliveries[0].ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("delivery to a deleted subscription stored: %v", err)
	}
	mustDelivery(t, s, stale.Deliveries[1].ID)
	mustDelivery(t, s, fine.Deliveries[0].ID)

	doomed := newSubscription(t, s, "doomed")
	ap := publish(t, s, lease, "order.created", doomed)
	if err := s.DeleteSubscription(ctx, doomed.ID); err != nil {
		t.Fatal(err)
	}
	ok := fine.Deliveries[0].ID
	outcomes := []*store.Outcome{
		{DeliveryID: ap.Deliveries[0].ID, Attempt: attempt(ap.Deliveries[0].ID, 200, ""), Status: event.Succeeded},
		{DeliveryID: ok, Attempt: attempt(ok, 200, ""), Status: event.Succeeded},
	}
	if err := s.Settle(ctx, "n", outcomes); err != nil {
		t.Fatalf("an outcome for a deleted delivery failed the batch: %v", err)
	}
	if err := s.Settle(ctx, "n", outcomes); err != nil {
		t.Fatalf("a repeated settle failed: %v", err)
	}
	if d := wantStatus(t, s, ok, event.Succeeded); d.Attempts != 1 {
		t.Fatalf("a repeated settle counted %d attempts, want 1", d.Attempts)
	}
	if atts, _ := s.ListAttempts(ctx, ok); len(atts) != 1 {
		t.Fatalf("a repeated settle logged %d attempts, want 1", len(atts))
	}
}

func testEventTypeCatalog(t *testing.T, s store.Store) {
	now := time.Now().UTC().Truncate(time.Microsecond)
	def := &event.EventType{Name: "order.created", Description: "An order was placed", Schema: json.RawMessage(`{"type":"object"}`),
		Example: json.RawMessage(`{"order_id":1}`), CreatedAt: now, UpdatedAt: now}
	if err := s.PutEventType(ctx, def); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetEventType(ctx, "order.created")
	if err != nil || got.Description != def.Description || string(got.Schema) != `{"type":"object"}` || string(got.Example) != `{"order_id":1}` || got.Count != 0 || got.FirstSeen != nil {
		t.Fatalf("GetEventType: %+v, %v", got, err)
	}
	lease := store.Lease{Owner: "n", Until: now.Add(time.Minute)}
	publish(t, s, lease, "order.created")
	publish(t, s, lease, "order.created")
	publish(t, s, lease, "invoice.paid") // never defined: registered by being seen
	got, _ = s.GetEventType(ctx, "order.created")
	if got.Count != 2 || got.FirstSeen == nil || got.LastSeen == nil || got.Description != def.Description {
		t.Fatalf("statistics after two events: %+v", got)
	}
	seen, err := s.GetEventType(ctx, "invoice.paid")
	if err != nil || seen.Count != 1 || seen.Schema != nil || seen.Deprecated {
		t.Fatalf("auto-registered type: %+v, %v", seen, err)
	}
	def.Description, def.Schema, def.Deprecated = "changed", nil, true
	if err := s.PutEventType(ctx, def); err != nil {
		t.Fatal(err)
	}
	got, _ = s.GetEventType(ctx, "order.created")
	if got.Description != "changed" || got.Schema != nil || !got.Deprecated || got.Count != 2 {
		t.Fatalf("a new definition must keep the statistics: %+v", got)
	}
	page, next, err := s.ListEventTypes(ctx, store.Page{Limit: 1})
	if err != nil || len(page) != 1 || page[0].Name != "invoice.paid" || next == "" {
		t.Fatalf("first page: %+v %q %v", page, next, err)
	}
	page, next, _ = s.ListEventTypes(ctx, store.Page{Limit: 1, After: next})
	if len(page) != 1 || page[0].Name != "order.created" || next != "" {
		t.Fatalf("second and last page: %+v %q", page, next)
	}
	all, err := s.AllEventTypes(ctx)
	if err != nil || len(all) != 2 {
		t.Fatalf("AllEventTypes: %d, %v", len(all), err)
	}
	if err := s.DeleteEventType(ctx, "invoice.paid"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetEventType(ctx, "invoice.paid"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("deleted type: %v", err)
	}
	if err := s.DeleteEventType(ctx, "invoice.paid"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
}

func testPartners(t *testing.T, s store.Store) {
	now := time.Now().UTC().Truncate(time.Microsecond)
	acme := &event.Partner{ID: event.NewID(event.PrefixPartner), Name: "Acme", Environments: []string{"prod", "test"},
		Metadata: map[string]string{"tier": "gold"}, Quotas: event.Quotas{MaxSubscriptions: 5}, SubscribeTypes: []string{"order.*"}, CreatedAt: now, UpdatedAt: now}
	other := &event.Partner{ID: event.NewID(event.PrefixPartner), Name: "Other", Environments: []string{"prod"}, CreatedAt: now, UpdatedAt: now}
	for _, p := range []*event.Partner{acme, other} {
		if err := s.CreatePartner(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.GetPartner(ctx, acme.ID)
	if err != nil || got.Name != "Acme" || len(got.Environments) != 2 || got.Metadata["tier"] != "gold" || got.Quotas.MaxSubscriptions != 5 ||
		!slices.Equal(got.SubscribeTypes, []string{"order.*"}) {
		t.Fatalf("GetPartner: %+v, %v", got, err)
	}
	if none, _ := s.GetPartner(ctx, other.ID); none.SubscribeTypes == nil || len(none.SubscribeTypes) != 0 {
		t.Fatalf("a partner granted nothing reads back subscribe_types %#v, want empty", none.SubscribeTypes)
	}
	got.Name, got.SubscribeTypes, got.UpdatedAt = "Acme Corp", []string{"order.*", "shipment.status"}, now.Add(time.Second)
	if err := s.UpdatePartner(ctx, got); err != nil {
		t.Fatal(err)
	}
	if again, _ := s.GetPartner(ctx, acme.ID); again.Name != "Acme Corp" || !slices.Equal(again.SubscribeTypes, got.SubscribeTypes) {
		t.Fatalf("update not stored: %+v", again)
	}
	list, _, err := s.ListPartners(ctx, store.Page{})
	if err != nil || len(list) != 2 {
		t.Fatalf("ListPartners: %d, %v", len(list), err)
	}

	mine := newSubscription(t, s, "acme prod")
	mine.PartnerID, mine.Environment = acme.ID, "prod"
	if err := s.UpdateSubscription(ctx, mine); err != nil {
		t.Fatal(err)
	}
	theirs := newSubscription(t, s, "internal")
	subs, _, err := s.ListSubscriptions(ctx, store.SubscriptionQuery{PartnerID: acme.ID})
	if err != nil || len(subs) != 1 || subs[0].ID != mine.ID || subs[0].PartnerID != acme.ID || subs[0].Environment != "prod" {
		t.Fatalf("partner's subscriptions: %+v, %v", subs, err)
	}
	if n, _ := s.CountSubscriptions(ctx, acme.ID); n != 1 {
		t.Fatalf("CountSubscriptions = %d, want 1", n)
	}
	lease := store.Lease{Owner: "n", Until: now.Add(time.Minute)}
	ap := publish(t, s, lease, "order.created", mine, theirs)
	if err := s.Settle(ctx, "n", []*store.Outcome{{DeliveryID: ap.Deliveries[0].ID, Now: now}}); err != nil {
		t.Fatal(err)
	}
	ds, _, _ := s.ListDeliveries(ctx, store.DeliveryQuery{PartnerID: acme.ID})
	if len(ds) != 1 || ds[0].SubscriptionID != mine.ID {
		t.Fatalf("partner's deliveries: %+v", ds)
	}

	hash := sha256.Sum256([]byte("eg_ptn_acme"))
	key := &store.Key{ID: event.NewID(event.PrefixKey), Name: "acme", Scope: "partner", Prefix: "eg_ptn_acm", Hash: hash[:],
		PartnerID: acme.ID, PublishTypes: []string{"request.*"}, CreatedAt: now}
	if err := s.CreateKey(ctx, key); err != nil {
		t.Fatal(err)
	}
	k, err := s.KeyByHash(ctx, hash[:])
	if err != nil || k.PartnerID != acme.ID || len(k.PublishTypes) != 1 || k.PublishTypes[0] != "request.*" {
		t.Fatalf("partner key: %+v, %v", k, err)
	}
	keys, _, _ := s.ListKeys(ctx, store.KeyQuery{PartnerID: acme.ID})
	if len(keys) != 1 || keys[0].ID != key.ID {
		t.Fatalf("ListKeys of partner: %+v", keys)
	}
	if err := s.RevokeKey(ctx, key.ID, other.ID, now); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("another partner revoked the key: %v", err)
	}

	if err := s.DeletePartner(ctx, acme.ID, now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetPartner(ctx, acme.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("deleted partner: %v", err)
	}
	if _, err := s.KeyByHash(ctx, hash[:]); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a deleted partner's key still works: %v", err)
	}
	if sub, _ := s.GetSubscription(ctx, mine.ID); sub.Status != event.Disabled {
		t.Fatalf("a deleted partner's subscription is %s, want disabled", sub.Status)
	}
	if got := claimIDs(t, s, lease, now.Add(time.Hour)); got[ap.Deliveries[0].ID] != nil {
		t.Fatal("a deleted partner's delivery was still claimed")
	}
	if err := s.DeletePartner(ctx, acme.ID, now); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
}

func testPartnerUsage(t *testing.T, s store.Store) {
	now := time.Now().UTC()
	p := &event.Partner{ID: event.NewID(event.PrefixPartner), Name: "p", Environments: []string{"prod"}, CreatedAt: now, UpdatedAt: now}
	if err := s.CreatePartner(ctx, p); err != nil {
		t.Fatal(err)
	}
	sub := newSubscription(t, s, "p's")
	sub.PartnerID, sub.Environment = p.ID, "prod"
	if err := s.UpdateSubscription(ctx, sub); err != nil {
		t.Fatal(err)
	}
	internal := newSubscription(t, s, "internal")
	lease := store.Lease{Owner: "n", Until: now.Add(time.Minute)}
	a1 := publish(t, s, lease, "order.created", sub, internal)
	a2 := publish(t, s, lease, "order.created", sub)
	yesterday := now.Add(-24 * time.Hour)
	at := func(id string, code int, when time.Time) *store.Outcome {
		a := attempt(id, code, "")
		a.At = when
		status := event.Succeeded
		if code >= 300 {
			status = event.Dead
		}
		return &store.Outcome{DeliveryID: id, Attempt: a, Status: status}
	}
	err := s.Settle(ctx, "n", []*store.Outcome{
		at(a1.Deliveries[0].ID, 200, now),
		at(a1.Deliveries[1].ID, 200, now), // the internal subscription's: not the partner's usage
		at(a2.Deliveries[0].ID, 500, yesterday),
	})
	if err != nil {
		t.Fatal(err)
	}
	days, err := s.PartnerUsage(ctx, p.ID, now.Add(-48*time.Hour), now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(days) != 2 || days[0].Day != yesterday.Format(time.DateOnly) || days[1].Day != now.Format(time.DateOnly) {
		t.Fatalf("usage days %+v", days)
	}
	if d := days[0]; d.Attempts != 1 || d.Delivered != 0 || d.Bytes != 0 {
		t.Fatalf("yesterday %+v: one failed attempt", d)
	}
	if d := days[1]; d.Attempts != 1 || d.Delivered != 1 || d.Bytes != int64(len(a1.Envelope)) {
		t.Fatalf("today %+v: one delivery of %d bytes", d, len(a1.Envelope))
	}
	if none, _ := s.PartnerUsage(ctx, p.ID, now.Add(time.Hour), now.Add(2*time.Hour)); len(none) != 0 {
		t.Fatalf("an empty range reported %+v", none)
	}
}
