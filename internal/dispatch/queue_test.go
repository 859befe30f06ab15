package dispatch_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/eventgate/eventgate/internal/channel"
	"github.com/eventgate/eventgate/internal/channel/webhook"
	"github.com/eventgate/eventgate/internal/dispatch"
	"github.com/eventgate/eventgate/internal/event"
	"github.com/eventgate/eventgate/internal/metrics"
	"github.com/eventgate/eventgate/internal/observe"
	"github.com/eventgate/eventgate/internal/route"
	"github.com/eventgate/eventgate/internal/store"
)

// settleNothing is a store whose Settle keeps nothing: these tests watch
// the sends, not the records.
type settleNothing struct{ store.Store }

func (settleNothing) Settle(context.Context, string, []*store.Outcome) error { return nil }

// gatedSender holds every send until released, and records the order in
// which deliveries were sent and the most sends ever in flight at once.
type gatedSender struct {
	release chan struct{}
	mu      sync.Mutex
	order   []string
	now     int
	most    int
}

func (s *gatedSender) Send(ctx context.Context, m *channel.Message) channel.Result {
	s.mu.Lock()
	s.order = append(s.order, m.DeliveryID)
	s.now++
	s.most = max(s.most, s.now)
	s.mu.Unlock()
	select {
	case <-s.release:
	case <-ctx.Done(): // the test failed and shuts down
	}
	s.mu.Lock()
	s.now--
	s.mu.Unlock()
	return channel.Result{OK: true, StatusCode: 204}
}

func (s *gatedSender) sent() (order []string, inFlight, most int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.order...), s.now, s.most
}

// waitFor polls cond for up to 10 s.
func activeSubscription(id string, maxConcurrency int) *event.Subscription {
	return &event.Subscription{ID: id, Name: id, Status: event.Active, MaxConcurrency: maxConcurrency,
		Channel: event.Channel{Type: "webhook", Config: &webhook.Config{URL: "http://receiver.example/"}}}
}

func jobs(subID string, n int) []*store.Job {
	out := make([]*store.Job, n)
	for i := range out {
		out[i] = &store.Job{DeliveryID: fmt.Sprintf("dlv_%03d", i), EventID: "evt", SubscriptionID: subID, Envelope: []byte(`{}`), CycleStart: time.Now()}
	}
	return out
}

// A queue sends its jobs oldest first, never more at once than the
// subscription's max_concurrency, and follows a lowered or raised
// max_concurrency as its sends finish.
func TestQueueHonoursOrderAndConcurrency(t *testing.T) {
	router := route.New()
	sub := activeSubscription("sub_q", 3)
	router.Set(sub)
	sender := &gatedSender{release: make(chan struct{})}
	d := dispatch.New(dispatch.Config{Owner: "node"}, settleNothing{}, router, webhookSenders(sender))
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		d.Shutdown(ctx)
	}()

	const n = 20
	d.Enqueue(jobs(sub.ID, n))
	dispatch.WaitFor(t, "3 sends in flight", func() bool { _, now, _ := sender.sent(); return now == 3 })
	for range n {
		sender.release <- struct{}{}
	}
	dispatch.WaitFor(t, "every send to finish", func() bool { order, now, _ := sender.sent(); return len(order) == n && now == 0 })
	if _, _, most := sender.sent(); most != 3 {
		t.Errorf("at most %d sends were in flight; want max_concurrency 3", most)
	}

	// Lowered to 1: one send at a time, strictly oldest first.
	lowered := *sub
	lowered.MaxConcurrency = 1
	router.Set(&lowered)
	sender.mu.Lock()
	sender.most, sender.order = 0, nil
	sender.mu.Unlock()
	d.Enqueue(jobs(sub.ID, 5))
	for range 5 {
		dispatch.WaitFor(t, "the next send", func() bool { _, now, _ := sender.sent(); return now == 1 })
		sender.release <- struct{}{}
	}
	dispatch.WaitFor(t, "the last send to finish", func() bool { _, now, _ := sender.sent(); return now == 0 })
	order, _, most := sender.sent()
	if most != 1 {
		t.Errorf("with max_concurrency 1, %d sends were in flight at once", most)
	}
	for i, id := range order {
		if want := fmt.Sprintf("dlv_%03d", i); id != want {
			t.Errorf("send %d was %s, want %s: jobs must leave in order", i, id, want)
		}
	}

	// Raised to 4 with a backlog waiting: the next finished send starts
	// runners for it, without waiting for new jobs.
	d.Enqueue(jobs(sub.ID, 10))
	dispatch.WaitFor(t, "one send in flight", func() bool { _, now, _ := sender.sent(); return now == 1 })
	raised := *sub
	raised.MaxConcurrency = 4
	router.Set(&raised)
	sender.release <- struct{}{}
	dispatch.WaitFor(t, "4 sends in flight after max_concurrency was raised", func() bool { _, now, _ := sender.sent(); return now == 4 })
	for range 9 {
		sender.release <- struct{}{}
	}
}

// BenchmarkDispatch hands jobs to the dispatcher and waits for their
// sends, to a sender that answers at once: what a job costs the
// dispatcher itself, with one subscription and spread over 10,000, and
// spread over 10,000 that share one host of 128 slots; each also with the
// Prometheus metrics listening.
func BenchmarkDispatch(b *testing.B) {
	for _, tc := range []struct {
		subs        int
		oneHost     bool
		withMetrics bool
	}{{1, false, false}, {10_000, false, false}, {10_000, true, false}, {1, false, true}, {10_000, false, true}, {10_000, true, true}} {
		name := fmt.Sprintf("subscriptions=%d", tc.subs)
		if tc.oneHost {
			name += ",one-host"
		}
		var obs observe.Observer
		if tc.withMetrics {
			name += ",metrics"
			obs = metrics.New(metrics.Options{})
		}
		b.Run(name, func(b *testing.B) {
			router := route.New()
			ids := make([]string, tc.subs)
			for i := range ids {
				ids[i] = fmt.Sprintf("sub_%d", i)
				router.Set(activeSubscription(ids[i], 50))
			}
			var sent sync.WaitGroup
			var sender channel.Sender = countingSender{&sent}
			if tc.oneHost {
				sender = oneHostSender{countingSender{&sent}}
			}
			d := dispatch.New(dispatch.Config{Owner: "node", Observer: obs}, settleNothing{}, router, webhookSenders(sender))
			defer d.Shutdown(context.Background())
			const group = 400 // a group commit's worth
			b.ReportAllocs()
			next := 0
			for b.Loop() {
				batch := jobs("", group)
				for _, j := range batch {
					j.SubscriptionID = ids[next%tc.subs]
					next++
				}
				sent.Add(group)
				d.Enqueue(batch)
				sent.Wait()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*group), "ns/job")
		})
	}
}

// oneHostSender puts every subscription on one destination of 128 slots.
type oneHostSender struct{ countingSender }

func (oneHostSender) Destination(*event.Subscription) (string, int) { return "receiver.example", 128 }

type countingSender struct{ sent *sync.WaitGroup }

func (s countingSender) Send(context.Context, *channel.Message) channel.Result {
	s.sent.Done()
	return channel.Result{OK: true, StatusCode: 204}
}

// webhookOf returns the webhook settings of a subscription made by activeSubscription.
func webhookOf(sub *event.Subscription) *webhook.Config {
	return sub.Channel.Config.(*webhook.Config)
}

// webhookSenders sends every webhook subscription's deliveries through s.
func webhookSenders(s channel.Sender) channel.Senders {
	return channel.Senders{"webhook": s}
}
