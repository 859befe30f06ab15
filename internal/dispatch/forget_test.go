package dispatch_test

import (
	"context"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/eventgate/eventgate/internal/dispatch"
	"github.com/eventgate/eventgate/internal/route"
	"github.com/eventgate/eventgate/internal/store"
)

// A deleted subscription's queue is forgotten once it has nothing left to
// send, and not before; a subscription that comes back gets a new queue.
func TestQueuesOfDeletedSubscriptionsAreForgotten(t *testing.T) {
	router := route.New()
	router.Set(activeSubscription("sub_gone", 1))
	router.Set(activeSubscription("sub_kept", 1))
	sender := &gatedSender{release: make(chan struct{})}
	d := dispatch.New(dispatch.Config{Owner: "node"}, settleNothing{}, router, webhookSenders(sender))
	defer shutdown(d)

	d.Enqueue(append(jobsNamed("sub_gone", 2), jobsNamed("sub_kept", 1)...))
	dispatch.WaitFor(t, "a send for each subscription", func() bool { _, inFlight, _ := sender.sent(); return inFlight == 2 })
	router.Remove("sub_gone")
	dispatch.ForgetGoneQueues(d)
	if n := dispatch.Queues(d); n != 2 {
		t.Fatalf("%d queues while the deleted subscription's send is in flight, want 2", n)
	}
	close(sender.release)
	dispatch.WaitFor(t, "the deleted subscription's queue forgotten", func() bool {
		dispatch.ForgetGoneQueues(d)
		return dispatch.Queues(d) == 1
	})

	router.Set(activeSubscription("sub_gone", 1))
	d.Enqueue(jobsNamed("sub_gone", 1))
	dispatch.WaitFor(t, "the returning subscription's delivery sent", func() bool {
		order, _, _ := sender.sent()
		return len(slices.DeleteFunc(order, func(id string) bool { return id != "sub_gone/0" })) == 2 // its first life's and this one
	})
	if n := dispatch.Queues(d); n != 2 {
		t.Errorf("%d queues after the subscription came back, want 2", n)
	}
}

// outcomeCounter counts the outcomes settled for each delivery.
type outcomeCounter struct {
	store.Store
	mu       sync.Mutex
	outcomes map[string]int
}

func (c *outcomeCounter) Settle(_ context.Context, _ string, outcomes []*store.Outcome) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, o := range outcomes {
		c.outcomes[o.DeliveryID]++
	}
	return nil
}

// Queues forgotten while subscriptions vanish and come back, with jobs
// handed over at the same time: every job is settled exactly once (sent,
// or released while its subscription was gone), and no subscription ever
// has more sends in flight than its max_concurrency, which two queues for
// one subscription would break.
func TestForgettingQueuesUnderLoad(t *testing.T) {
	const subscriptions, perSub = 20, 200
	router := route.New()
	ids := subIDs(subscriptions)
	for _, id := range ids {
		router.Set(activeSubscription(id, 1))
	}
	sender := newCountingDestSender(1000)
	settled := &outcomeCounter{outcomes: map[string]int{}}
	d := dispatch.New(dispatch.Config{Owner: "node", QueueSize: 8}, settled, router, webhookSenders(sender))

	var done atomic.Bool
	var flapping sync.WaitGroup
	flapping.Go(func() {
		for !done.Load() {
			sub := activeSubscription(ids[rand.IntN(subscriptions)], 1)
			router.Remove(sub.ID)
			dispatch.ForgetGoneQueues(d)
			router.Set(sub)
		}
	})
	all := enqueueShuffled(d, ids, perSub, 2, 10)
	dispatch.WaitFor(t, "every delivery settled", func() bool {
		settled.mu.Lock()
		defer settled.mu.Unlock()
		return len(settled.outcomes) == len(all)
	})
	done.Store(true)
	flapping.Wait()
	shutdown(d)

	settled.mu.Lock()
	defer settled.mu.Unlock()
	for id, n := range settled.outcomes {
		if n != 1 {
			t.Errorf("%s settled %d times", id, n)
		}
	}
	sender.mu.Lock()
	defer sender.mu.Unlock()
	for sub, most := range sender.mostSub {
		if most > 1 {
			t.Errorf("%s had %d sends at once, more than its max_concurrency 1", sub, most)
		}
	}
}
