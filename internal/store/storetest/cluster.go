package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/eventgate/eventgate/internal/event"
	"github.com/eventgate/eventgate/internal/store"
)

// The cases of the Cluster and Retention interfaces: what nodes sharing a
// store coordinate through, and what the leader prunes.

func versions(t *testing.T, s store.Store) store.Versions {
	t.Helper()
	v, err := s.Versions(ctx)
	if err != nil {
		t.Fatalf("Versions: %v", err)
	}
	return v
}

// testVersions: every change of a subscription or an event type definition
// moves its counter, and nothing else does.
func testVersions(t *testing.T, s store.Store) {
	last := versions(t, s)
	step := func(what string, subsMoved, typesMoved bool) {
		t.Helper()
		v := versions(t, s)
		if (v.Subscriptions != last.Subscriptions) != subsMoved || (v.EventTypes != last.EventTypes) != typesMoved {
			t.Fatalf("%s: versions went from %+v to %+v; want subscriptions moved=%v, event types moved=%v", what, last, v, subsMoved, typesMoved)
		}
		last = v
	}
	sub := newSubscription(t, s, "a")
	step("create subscription", true, false)
	sub.Name = "b"
	if err := s.UpdateSubscription(ctx, sub); err != nil {
		t.Fatal(err)
	}
	step("update subscription", true, false)
	lease := store.Lease{Owner: "n", Until: time.Now().Add(time.Minute)}
	publish(t, s, lease, "order.created", sub)
	step("first event of a type (registers it)", false, true)
	publish(t, s, lease, "order.created", sub)
	step("another event of a known type", false, false)
	now := time.Now().UTC()
	if err := s.PutEventType(ctx, &event.EventType{Name: "order.created", Description: "d", CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	step("put event type", false, true)
	if err := s.DeleteEventType(ctx, "order.created"); err != nil {
		t.Fatal(err)
	}
	step("delete event type", false, true)
	if err := s.DeleteSubscription(ctx, sub.ID); err != nil {
		t.Fatal(err)
	}
	step("delete subscription", true, false)
	if err := s.DeleteSubscription(ctx, sub.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
	step("delete of a missing subscription", false, false)

	// Routing applies partners' grants: a changed grant is a subscription change.
	p := &event.Partner{ID: event.NewID(event.PrefixPartner), Name: "p", Environments: []string{"prod"}, SubscribeTypes: []string{"order.*"}, CreatedAt: now, UpdatedAt: now}
	if err := s.CreatePartner(ctx, p); err != nil {
		t.Fatal(err)
	}
	step("create partner", false, false)
	p.Name = "renamed"
	if err := s.UpdatePartner(ctx, p); err != nil {
		t.Fatal(err)
	}
	step("rename partner", false, false)
	p.SubscribeTypes = []string{"order.*", "shipment.status"}
	if err := s.UpdatePartner(ctx, p); err != nil {
		t.Fatal(err)
	}
	step("change a partner's subscribe_types", true, false)
}

func testLeaderLease(t *testing.T, s store.Store) {
	now := time.Now()
	at := func(owner string, until, now time.Time, want bool) {
		t.Helper()
		got, err := s.AcquireLeader(ctx, "jobs", owner, until, now)
		if err != nil || got != want {
			t.Fatalf("AcquireLeader(%s) = %v, %v; want %v", owner, got, err, want)
		}
	}
	at("a", now.Add(10*time.Second), now, true)                     // free
	at("b", now.Add(15*time.Second), now.Add(5*time.Second), false) // a's
	at("a", now.Add(15*time.Second), now.Add(5*time.Second), true)  // a renews
	at("b", now.Add(24*time.Second), now.Add(14*time.Second), false)
	at("b", now.Add(25*time.Second), now.Add(15*time.Second), true) // expired: taken over
	at("a", now.Add(26*time.Second), now.Add(16*time.Second), false)
	at("b", now.Add(16*time.Second), now.Add(16*time.Second), true) // b gives it up
	at("a", now.Add(26*time.Second), now.Add(16*time.Second), true)
	if got, err := s.AcquireLeader(ctx, "other", "b", now.Add(time.Minute), now); err != nil || !got {
		t.Fatalf("a lease of another name: %v, %v; want it free", got, err)
	}
}

func testRetention(t *testing.T, s store.Store) {
	sub := newSubscription(t, s, "a")
	lease := store.Lease{Owner: "n", Until: time.Now().Add(time.Minute)}
	settle := func(d *event.Delivery, status event.DeliveryStatus) {
		t.Helper()
		o := &store.Outcome{DeliveryID: d.ID, Attempt: attempt(d.ID, 500, "x"), Status: status, NextAttemptAt: time.Now().Add(time.Hour)}
		if err := s.Settle(ctx, "n", []*store.Outcome{o}); err != nil {
			t.Fatal(err)
		}
	}
	done := publish(t, s, lease, "order.created", sub, sub)
	settle(done.Deliveries[0], event.Succeeded)
	settle(done.Deliveries[1], event.Dead)
	retrying := publish(t, s, lease, "order.created", sub)
	settle(retrying.Deliveries[0], event.Failed)
	pending := publish(t, s, lease, "order.created", sub)
	unrouted := publish(t, s, lease, "order.created")
	time.Sleep(5 * time.Millisecond)
	cutoff := time.Now()
	time.Sleep(5 * time.Millisecond)
	fresh := publish(t, s, lease, "order.created", sub)
	settle(fresh.Deliveries[0], event.Succeeded)

	if n, err := s.DeleteOldEvents(ctx, cutoff.Add(-time.Hour), 100); err != nil || n != 0 {
		t.Fatalf("nothing is an hour old, yet %d events were deleted (%v)", n, err)
	}
	if n, err := s.DeleteOldEvents(ctx, cutoff, 1); err != nil || n != 1 {
		t.Fatalf("first batch of 1: %d, %v", n, err)
	}
	if n, err := s.DeleteOldEvents(ctx, cutoff, 100); err != nil || n != 1 {
		t.Fatalf("second batch: %d, %v; want the other old event without waiting deliveries", n, err)
	}
	if n, err := s.DeleteOldEvents(ctx, cutoff, 100); err != nil || n != 0 {
		t.Fatalf("third batch: %d, %v; want nothing left", n, err)
	}
	for _, gone := range []*store.Append{done, unrouted} {
		if _, err := s.GetEvent(ctx, gone.Event.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("old event with only final deliveries: %v, want it deleted", err)
		}
	}
	for _, d := range done.Deliveries {
		if _, err := s.GetDelivery(ctx, d.ID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("delivery of a deleted event: %v, want it deleted", err)
		}
		if atts, _ := s.ListAttempts(ctx, d.ID); len(atts) != 0 {
			t.Fatalf("attempts of a deleted delivery remain: %d", len(atts))
		}
	}
	for _, kept := range []*store.Append{retrying, pending, fresh} {
		if _, err := s.GetEvent(ctx, kept.Event.ID); err != nil {
			t.Fatalf("an event that is waited for or recent was deleted: %v", err)
		}
		mustDelivery(t, s, kept.Deliveries[0].ID)
	}
}

func testIdempotencyKeyPruning(t *testing.T, s store.Store) {
	sub := newSubscription(t, s, "a")
	lease := store.Lease{Owner: "n", Until: time.Now().Add(time.Minute)}
	first := newAppend("order.created", sub)
	first.IdempotencyKey = "key-1"
	if err := s.AppendEvents(ctx, lease, []*store.Append{first}); err != nil {
		t.Fatal(err)
	}
	if n, err := s.PruneIdempotencyKeys(ctx, time.Now().Add(-time.Hour), 100); err != nil || n != 0 {
		t.Fatalf("pruned %d fresh keys (%v), want 0", n, err)
	}
	if n, err := s.PruneIdempotencyKeys(ctx, time.Now().Add(time.Second), 100); err != nil || n != 1 {
		t.Fatalf("pruned %d keys (%v), want 1", n, err)
	}
	again := newAppend("order.created", sub)
	again.IdempotencyKey = "key-1"
	if err := s.AppendEvents(ctx, lease, []*store.Append{again}); err != nil {
		t.Fatal(err)
	}
	if again.DuplicateOf != "" {
		t.Fatalf("a pruned key still made a duplicate of %s", again.DuplicateOf)
	}
}
