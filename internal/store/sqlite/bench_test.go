package sqlite_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/eventgate/eventgate/internal/channel/webhook"
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
	s, sub := openBench(b)
	lease := store.Lease{Owner: "bench", Until: time.Now().Add(time.Minute)}
	b.ReportAllocs()
	events := 0
	for b.Loop() {
		if err := s.AppendEvents(ctx, lease, benchEntries(sub, group)); err != nil {
			b.Fatal(err)
		}
		events += group
	}
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
}

// openBench opens a store in a temporary directory with one subscription.
func openBench(b *testing.B) (*sqlite.Store, *event.Subscription) {
	s, err := sqlite.Open(context.Background(), b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s, createBenchSubscription(b, s)
}

func createBenchSubscription(b *testing.B, s *sqlite.Store) *event.Subscription {
	sub := &event.Subscription{ID: event.NewID(event.PrefixSubscription), Name: "bench", Status: event.Active,
		Channel: event.Channel{Type: "webhook", Config: &webhook.Config{URL: "http://127.0.0.1:1/"}}, Secrets: []event.Secret{{Value: "whsec_x"}},
		CreatedAt: time.Now(), UpdatedAt: time.Now()}
	if err := s.CreateSubscription(context.Background(), sub); err != nil {
		b.Fatal(err)
	}
	return sub
}

// benchEntries makes n events of about 1 KiB with one delivery each to sub.
func benchEntries(sub *event.Subscription, n int) []*store.Append {
	data := json.RawMessage(`{"order_id": 1001, "total": 49.90, "customer": "c-42", "note": "` + strings.Repeat("x", 900) + `"}`)
	// One envelope serves all: its bytes, not its id, are what the store costs.
	env, _ := (&event.Event{ID: event.NewID(event.PrefixEvent), Type: "order.created", Time: time.Now().UTC(), Data: data}).Envelope()
	entries := make([]*store.Append, n)
	for i := range entries {
		e := &event.Event{ID: event.NewID(event.PrefixEvent), Type: "order.created", Time: time.Now().UTC(), Data: data}
		entries[i] = &store.Append{Event: e, Envelope: env, Deliveries: []*event.Delivery{{
			ID: event.NewID(event.PrefixDelivery), EventID: e.ID, SubscriptionID: sub.ID, Status: event.Pending, CreatedAt: time.Now().UTC(),
		}}}
	}
	return entries
}

// BenchmarkDeliveryLifecycle stores events with one delivery each and settles
// every delivery as delivered, in groups of 400 as under load: the store's
// whole write cost of one successful delivery, per event. The deliveries go
// to one subscription, or spread over 10,000 as under the bench's filters
// scenario, where each commit inserts into pages all over the
// per-subscription index.
func BenchmarkDeliveryLifecycle(b *testing.B) {
	for _, subs := range []int{1, 10_000} {
		b.Run(fmt.Sprintf("subscriptions=%d", subs), func(b *testing.B) { benchmarkLifecycle(b, subs) })
	}
}

func benchmarkLifecycle(b *testing.B, subscriptions int) {
	ctx := context.Background()
	s, sub := openBench(b)
	subs := []*event.Subscription{sub}
	for range subscriptions - 1 {
		subs = append(subs, createBenchSubscription(b, s))
	}
	lease := store.Lease{Owner: "bench", Until: time.Now().Add(time.Hour)}
	const group = 400
	b.ReportAllocs()
	cpu := cpuTime()
	next := 0
	for b.Loop() {
		entries := benchEntries(sub, group)
		for _, a := range entries {
			a.Deliveries[0].SubscriptionID = subs[next%len(subs)].ID
			next++
		}
		if err := s.AppendEvents(ctx, lease, entries); err != nil {
			b.Fatal(err)
		}
		outcomes := make([]*store.Outcome, 0, group)
		for _, a := range entries {
			d := a.Deliveries[0]
			outcomes = append(outcomes, &store.Outcome{DeliveryID: d.ID, Status: event.Succeeded, Attempt: &event.Attempt{
				ID: event.NewID(event.PrefixAttempt), DeliveryID: d.ID, At: time.Now(), StatusCode: 204, Latency: time.Millisecond,
			}})
		}
		if err := s.Settle(ctx, lease.Owner, outcomes); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*group), "µs/delivery")
	b.ReportMetric(float64((cpuTime()-cpu).Microseconds())/float64(b.N*group), "cpu-µs/delivery")
}

// cpuTime is the CPU this process has used, user and system: on a shared
// machine it varies less than elapsed time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkPullLeaseAck stores events with one pull delivery each, then
// leases them 100 at a time and acknowledges each lease, as a pulling
// consumer does: the store's whole cost of one pulled delivery.
func BenchmarkPullLeaseAck(b *testing.B) {
	ctx := context.Background()
	s, sub := openBench(b)
	lease := store.Lease{Owner: "bench", Until: time.Now().Add(time.Hour)}
	const pull = 100
	b.ReportAllocs()
	var cpu time.Duration
	for b.Loop() {
		b.StopTimer()
		entries := benchEntries(sub, pull)
		for _, a := range entries {
			a.Deliveries[0].Pull = true
		}
		if err := s.AppendEvents(ctx, lease, entries); err != nil {
			b.Fatal(err)
		}
		start := cpuTime()
		b.StartTimer()
		now := time.Now()
		msgs, err := s.LeasePull(ctx, store.PullLease{SubscriptionID: sub.ID, Limit: pull, Now: now, Until: now.Add(time.Minute)})
		if err != nil || len(msgs) != pull {
			b.Fatalf("leased %d of %d: %v", len(msgs), pull, err)
		}
		receipts := make([]store.Receipt, len(msgs))
		for i, m := range msgs {
			receipts[i] = m.Receipt
		}
		acked, err := s.AckPull(ctx, sub.ID, receipts, now)
		if err != nil || !acked[pull-1] {
			b.Fatalf("ack: %v %v", acked, err)
		}
		cpu += cpuTime() - start
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*pull), "µs/delivery")
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N*pull), "cpu-µs/delivery")
}
