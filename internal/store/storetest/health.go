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
