package metrics

import (
	"testing"
	"time"

	"github.com/eventgate/eventgate/internal/event"
	"github.com/eventgate/eventgate/internal/observe"
)

// BenchmarkObserve is what the hot path pays per call with the metrics
// listening: one attempt, one publish of one event.
func BenchmarkObserve(b *testing.B) {
	m := New(Options{})
	known := func(string) bool { return true }
	m.KnowTypes(known)
	b.Run("Attempted", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			m.Attempted(observe.Attempt{SubscriptionID: "sub_1", Channel: "webhook", Outcome: event.Succeeded, StatusCode: 204, Latency: time.Millisecond})
		}
	})
	b.Run("Published", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			m.Published(observe.Publish{Events: 1, Type: func(int) string { return "order.created" }, Latency: time.Millisecond})
		}
	})
}
