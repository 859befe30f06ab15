package ingest_test

import (
	"context"
	"testing"
	"time"

	"github.com/eventgate/eventgate/internal/event"
	"github.com/eventgate/eventgate/internal/ingest"
	"github.com/eventgate/eventgate/internal/store"
)

// BenchmarkPublish publishes single events from parallel clients into a
// store that takes every commit at once: what ingest itself costs per
// event (routing to one subscription, grouping, handing the jobs over).
func BenchmarkPublish(b *testing.B) {
	in := ingest.New(acceptAll{}, oneSubscription(), alone{}, lease, func([]*store.Job) {}, nil)
	defer in.Close(context.Background())
	b.ReportAllocs()
	b.SetParallelism(8) // enough clients to make groups
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			e := &event.Event{ID: event.NewID(event.PrefixEvent), Type: "order.created", Source: "bench", Time: time.Now().UTC(), Data: []byte(`{"total":1}`)}
			if _, err := in.Publish(context.Background(), []ingest.Entry{{Event: e}}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// acceptAll is a store that commits instantly.
type acceptAll struct{ store.Events }

func (acceptAll) AppendEvents(context.Context, store.Lease, []*store.Append) error { return nil }
