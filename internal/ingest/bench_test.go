package ingest_test

import (
	"context"
	"testing"
	"time"

	"github.com/eventgate/eventgate/internal/event"
	"github.com/eventgate/eventgate/internal/ingest"
	"github.com/eventgate/eventgate/internal/metrics"
	"github.com/eventgate/eventgate/internal/observe"
	"github.com/eventgate/eventgate/internal/store"
)

// BenchmarkPublish publishes single events from parallel clients into a
// store that takes every commit at once: what ingest itself costs per
// event (routing to one subscription, grouping, handing the jobs over),
// with no observer and with the Prometheus metrics listening.
func BenchmarkPublish(b *testing.B) {
	for _, obs := range benchObservers {
		b.Run("observer="+obs.name, func(b *testing.B) { benchmarkPublish(b, obs.new()) })
	}
}

// benchObservers are what the benchmarks run with.
var benchObservers = []struct {
	name string
	new  func() observe.Observer
}{
	{"none", func() observe.Observer { return nil }},
	{"metrics", func() observe.Observer { return metrics.New(metrics.Options{}) }},
}

func benchmarkPublish(b *testing.B, obs observe.Observer) {
	in := ingest.New(acceptAll{}, oneSubscription(), alone{}, lease, func([]*store.Job) {}, obs)
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
