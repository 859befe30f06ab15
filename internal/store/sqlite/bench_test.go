package sqlite_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/eventgate/eventgate/internal/event"
	"github.com/eventgate/eventgate/internal/store"
	"github.com/eventgate/eventgate/internal/store/sqlite"
)

// BenchmarkAppendEvents commits groups of events with one delivery each,
// as ingest's group commit does, durably (fsync'd WAL): a group of 100 as
// under load, and a group of 1 for the fixed cost of a commit.
func BenchmarkAppendEvents(b *testing.B) {
	for _, group := range []int{100, 1} {
		b.Run(fmt.Sprintf("group=%d", group), func(b *testing.B) { benchmarkAppend(b, group) })
	}
}

func benchmarkAppend(b *testing.B, group int) {
	ctx := context.Background()
	s, err := sqlite.Open(ctx, b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	sub := &event.Subscription{ID: event.NewID(event.PrefixSubscription), Name: "bench", Status: event.Active,
		Channel: event.Channel{Type: "webhook", URL: "http://127.0.0.1:1/"}, Secrets: []event.Secret{{Value: "whsec_x"}},
		CreatedAt: time.Now(), UpdatedAt: time.Now()}
	if err := s.CreateSubscription(ctx, sub); err != nil {
		b.Fatal(err)
	}
	data := json.RawMessage(`{"order_id": 1001, "total": 49.90, "customer": "c-42"}`)
	lease := store.Lease{Owner: "bench", Until: time.Now().Add(time.Minute)}
	b.ReportAllocs()
	events := 0
	for b.Loop() {
		entries := make([]*store.Append, group)
		for i := range entries {
			e := &event.Event{ID: event.NewID(event.PrefixEvent), Type: "order.created", Time: time.Now().UTC(), Data: data}
			env, _ := e.Envelope()
			entries[i] = &store.Append{Event: e, Envelope: env, Deliveries: []*event.Delivery{{
				ID: event.NewID(event.PrefixDelivery), EventID: e.ID, SubscriptionID: sub.ID, Status: event.Pending, CreatedAt: time.Now().UTC(),
			}}}
		}
		if err := s.AppendEvents(ctx, lease, entries); err != nil {
			b.Fatal(err)
		}
		events += group
	}
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
}
