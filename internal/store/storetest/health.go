package storetest

import (
	"testing"
	"time"

	"github.com/eventgate/eventgate/internal/event"
	"github.com/eventgate/eventgate/internal/store"
)

func testHealth(t *testing.T, s store.Store) {
	if err := s.Ready(ctx); err != nil {
		t.Fatalf("Ready on a migrated store: %v", err)
	}
	if stats, err := s.DeliveryStats(ctx); err != nil || stats != (store.DeliveryStats{}) {
		t.Fatalf("DeliveryStats of an empty store: %+v, %v", stats, err)
	}
	sub := newSubscription(t, s, "a")
	lease := store.Lease{Owner: "n", Until: time.Now().Add(time.Minute)}
	older := publish(t, s, lease, "order.created", sub, sub, sub)
	publish(t, s, lease, "order.created", sub) // a newer pending one
	ok, retry, dead := older.Deliveries[0].ID, older.Deliveries[1].ID, older.Deliveries[2].ID
	err := s.Settle(ctx, "n", []*store.Outcome{
		{DeliveryID: ok, Attempt: attempt(ok, 204, ""), Status: event.Succeeded},
		{DeliveryID: retry, Attempt: attempt(retry, 500, "HTTP 500"), Status: event.Failed, NextAttemptAt: time.Now().Add(time.Minute)},
		{DeliveryID: dead, Attempt: attempt(dead, 0, "connection refused"), Status: event.Dead},
	})
	if err != nil {
		t.Fatal(err)
	}
	stats, err := s.DeliveryStats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// Waiting: the failed one (to retry) and the newer pending one.
	oldest := older.Deliveries[1].CreatedAt
	if stats.Waiting != 2 || stats.Dead != 1 || stats.OldestWaiting.Sub(oldest).Abs() > time.Millisecond {
		t.Fatalf("DeliveryStats = %+v; want 2 waiting since %v, 1 dead", stats, oldest)
	}
}

// testTraceParent: an event's traceparent comes back with the jobs of its
// deliveries, and stays out of its envelope.
func testTraceParent(t *testing.T, s store.Store) {
	sub := newSubscription(t, s, "a")
	now := time.Now()
	lease := store.Lease{Owner: "n", Until: now.Add(time.Minute)}
	const traceParent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	traced := newAppend("order.created", sub)
	traced.TraceParent = traceParent
	untraced := newAppend("order.created", sub)
	if err := s.AppendEvents(ctx, lease, []*store.Append{traced, untraced}); err != nil {
		t.Fatal(err)
	}
	jobs := claimIDs(t, s, lease, now.Add(2*time.Minute)) // after the lease ran out
	if j := jobs[traced.Deliveries[0].ID]; j == nil || j.TraceParent != traceParent || string(j.Envelope) != string(traced.Envelope) {
		t.Fatalf("job of the traced event: %+v, want traceparent %s and the envelope as appended", j, traceParent)
	}
	if j := jobs[untraced.Deliveries[0].ID]; j == nil || j.TraceParent != "" {
		t.Fatalf("job of the untraced event: %+v, want no traceparent", j)
	}
}
