package dispatch_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eventgate/eventgate/internal/channel"
	"github.com/eventgate/eventgate/internal/channel/webhook"
	"github.com/eventgate/eventgate/internal/dispatch"
	"github.com/eventgate/eventgate/internal/event"
	"github.com/eventgate/eventgate/internal/netguard"
	"github.com/eventgate/eventgate/internal/route"
	"github.com/eventgate/eventgate/internal/sign"
	"github.com/eventgate/eventgate/internal/store"
)

// destSender holds every send until released. Its destinations are the
// subscriptions' hosts, each taking limit sends at once; it records the
// order of sends and the most in flight at once per host.
type destSender struct {
	limit   int
	release chan struct{}
	mu      sync.Mutex
	order   []string
	now     map[string]int
	most    map[string]int
}

func newDestSender(limit int) *destSender {
	return &destSender{limit: limit, release: make(chan struct{}), now: map[string]int{}, most: map[string]int{}}
}

func (s *destSender) Destination(sub *event.Subscription) (string, int) {
	return host(sub), s.limit
}

func host(sub *event.Subscription) string {
	return strings.Split(strings.TrimPrefix(webhookOf(sub).URL, "http://"), "/")[0]
}

func (s *destSender) Send(ctx context.Context, m *channel.Message) channel.Result {
	h := host(m.Subscription)
	s.mu.Lock()
	s.order = append(s.order, m.DeliveryID)
	s.now[h]++
	s.most[h] = max(s.most[h], s.now[h])
	s.mu.Unlock()
	select {
	case <-s.release:
	case <-ctx.Done():
	}
	s.mu.Lock()
	s.now[h]--
	s.mu.Unlock()
	return channel.Result{OK: true, StatusCode: 204}
}

// inFlight is how many sends are in flight to host h, and were at most.
func (s *destSender) inFlight(h string) (now, most int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.now[h], s.most[h]
}

func (s *destSender) sent() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.order)
}

// outcomes records what the dispatcher settled.
type outcomes struct {
	store.Store
	mu  sync.Mutex
	all []*store.Outcome
}

func (o *outcomes) Settle(_ context.Context, _ string, out []*store.Outcome) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.all = append(o.all, out...)
	return nil
}

func (o *outcomes) list() []*store.Outcome {
	o.mu.Lock()
	defer o.mu.Unlock()
	return slices.Clone(o.all)
}

// shutdown stops d, cutting short within a second the sends a failed
// test left waiting.
func shutdown(d *dispatch.Dispatcher) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	d.Shutdown(ctx)
}

// jobsNamed makes n jobs for subID whose delivery ids name it.
func jobsNamed(subID string, n int) []*store.Job {
	out := jobs(subID, n)
	for i, j := range out {
		j.DeliveryID = fmt.Sprintf("%s/%d", subID, i)
	}
	return out
}

// Subscriptions that share a destination share its slots: no more sends
// are in flight there than its limit, whatever each max_concurrency, and
// busy subscriptions take turns rather than one sending all it has first.
// Another destination is not held up by a full one.
func TestSubscriptionsSharingADestinationTakeTurns(t *testing.T) {
	router := route.New()
	for _, id := range []string{"a", "b", "c"} {
		sub := activeSubscription(id, 5)
		webhookOf(sub).URL = "http://shared.example/" + id
		router.Set(sub)
	}
	other := activeSubscription("other", 5)
	webhookOf(other).URL = "http://other.example/"
	router.Set(other)
	sender := newDestSender(2)
	d := dispatch.New(dispatch.Config{Owner: "node"}, settleNothing{}, router, webhookSenders(sender))
	defer shutdown(d)

	d.Enqueue(slices.Concat(jobsNamed("a", 4), jobsNamed("b", 4), jobsNamed("c", 4), jobsNamed("other", 1)))
	dispatch.WaitFor(t, "two sends to the shared host and one to the other", func() bool {
		shared, _ := sender.inFlight("shared.example")
		elsewhere, _ := sender.inFlight("other.example")
		return shared == 2 && elsewhere == 1
	})
	for range 13 {
		sender.release <- struct{}{}
	}
	dispatch.WaitFor(t, "every send", func() bool { return len(sender.sent()) == 13 })
	if _, most := sender.inFlight("shared.example"); most != 2 {
		t.Errorf("at most %d sends were in flight to the shared host, want its limit, 2", most)
	}
	order := sender.sent()
	first := func(sub string) int {
		return slices.IndexFunc(order, func(id string) bool { return strings.HasPrefix(id, sub+"/") })
	}
	lastOfA := -1
	for i, id := range order {
		if strings.HasPrefix(id, "a/") {
			lastOfA = i
		}
	}
	if first("b") > lastOfA || first("c") > lastOfA {
		t.Errorf("b and c waited for all of a: %v", order)
	}
}

// Through the real webhook sender and HTTP: sends to a host that is busy
// wait for a slot before their timeout starts, so that a send that waited
// longer than its timeout still succeeds, and the host never sees more
// than its slots at once.
func TestSendsToABusyHostWaitBeforeTheirTimeout(t *testing.T) {
	const answerAfter = 100 * time.Millisecond
	var inFlight, most atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		time.Sleep(answerAfter)
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	router := route.New()
	var all []*store.Job
	for i := range 4 {
		sub := activeSubscription(fmt.Sprintf("sub_%d", i), 5)
		webhookOf(sub).URL = fmt.Sprintf("%s/s%d", srv.URL, i)
		webhookOf(sub).Timeout = event.Duration(3 * answerAfter) // the last sends wait 4 × answerAfter for a slot
		sub.Secrets = []event.Secret{{Value: sign.NewSecret()}}
		router.Set(sub)
		all = append(all, jobsNamed(sub.ID, 2)...)
	}
	recorded := &outcomes{}
	d := dispatch.New(dispatch.Config{Owner: "node"}, recorded, router,
		webhookSenders(webhook.New(webhook.Options{Guard: netguard.Guard{AllowPrivate: true}, MaxConnsPerHost: 2})))
	defer shutdown(d)

	d.Enqueue(all)
	dispatch.WaitFor(t, "every outcome", func() bool { return len(recorded.list()) == len(all) })
	for _, o := range recorded.list() {
		if o.Status != event.Succeeded {
			t.Errorf("delivery %s: %s (%+v), want succeeded", o.DeliveryID, o.Status, o.Attempt)
		}
	}
	if got := most.Load(); got != 2 {
		t.Errorf("the host saw %d sends at once, want its 2 slots", got)
	}
}

// Jobs waiting in a destination's line when the dispatcher stops are
// released to the store, like any other waiting job.
func TestShutdownReleasesJobsWaitingForADestination(t *testing.T) {
	router := route.New()
	for _, id := range []string{"a", "b"} {
		sub := activeSubscription(id, 5)
		webhookOf(sub).URL = "http://shared.example/" + id
		router.Set(sub)
	}
	sender := newDestSender(1)
	recorded := &outcomes{}
	d := dispatch.New(dispatch.Config{Owner: "node"}, recorded, router, webhookSenders(sender))
	d.Enqueue(slices.Concat(jobsNamed("a", 2), jobsNamed("b", 2)))
	dispatch.WaitFor(t, "one send in flight", func() bool { now, _ := sender.inFlight("shared.example"); return now == 1 })

	stopped := make(chan struct{})
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		d.Shutdown(ctx)
		close(stopped)
	}()
	// Once Shutdown has begun, a send started before it ends when ctx does.
	dispatch.WaitFor(t, "Shutdown to begin", func() bool { return dispatch.Stopping(d) })
	sender.release <- struct{}{}
	<-stopped

	var attempts, releases int
	for _, o := range recorded.list() {
		if o.Attempt != nil {
			attempts++
		} else {
			releases++
		}
	}
	if attempts != 1 || releases != 3 {
		t.Fatalf("%d attempts and %d releases, want 1 and 3", attempts, releases)
	}
	if _, most := sender.inFlight("shared.example"); most != 1 {
		t.Fatalf("%d sends at once to a destination of 1 slot", most)
	}
}

// countingDestSender answers after a random moment and tallies, per host
// and per subscription, the sends in flight and the most at once, and how
// often each delivery was sent.
type countingDestSender struct {
	limit   int
	mu      sync.Mutex
	now     map[string]int
	most    map[string]int
	times   map[string]int
	perSub  map[string]int
	mostSub map[string]int
}

func newCountingDestSender(limit int) *countingDestSender {
	return &countingDestSender{limit: limit, now: map[string]int{}, most: map[string]int{}, times: map[string]int{},
		perSub: map[string]int{}, mostSub: map[string]int{}}
}

// subIDs names n subscriptions: sub_000, sub_001 and so on.
func subIDs(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("sub_%03d", i)
	}
	return ids
}

// enqueueShuffled makes perSub jobs for each subscription, shuffles them,
// and hands them to d in batches from several goroutines at once. It
// returns the jobs once all are handed over.
func enqueueShuffled(d *dispatch.Dispatcher, subIDs []string, perSub, goroutines, batchSize int) []*store.Job {
	var all []*store.Job
	for _, id := range subIDs {
		all = append(all, jobsNamed(id, perSub)...)
	}
	rand.Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })
	var handing sync.WaitGroup
	for part := range slices.Chunk(all, (len(all)+goroutines-1)/goroutines) {
		handing.Go(func() {
			for batch := range slices.Chunk(part, batchSize) {
				d.Enqueue(batch)
			}
		})
	}
	handing.Wait()
	return all
}

func (s *countingDestSender) Destination(sub *event.Subscription) (string, int) {
	return host(sub), s.limit
}

func (s *countingDestSender) Send(ctx context.Context, m *channel.Message) channel.Result {
	h, sub := host(m.Subscription), m.Subscription.ID
	s.mu.Lock()
	s.times[m.DeliveryID]++
	s.now[h]++
	s.most[h] = max(s.most[h], s.now[h])
	s.perSub[sub]++
	s.mostSub[sub] = max(s.mostSub[sub], s.perSub[sub])
	s.mu.Unlock()
	time.Sleep(time.Duration(rand.IntN(200)) * time.Microsecond)
	s.mu.Lock()
	s.now[h]--
	s.perSub[sub]--
	s.mu.Unlock()
	return channel.Result{OK: true, StatusCode: 204}
}

func (s *countingDestSender) sentOnce(n int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.times) == n
}

// Many subscriptions over a few hosts, jobs handed over from several
// goroutines at once: every job is sent exactly once, no host ever has more
// than its slots in flight, and no subscription more than its
// max_concurrency.
func TestDestinationsUnderLoad(t *testing.T) {
	const subscriptions, hosts, slots, perSub = 200, 3, 4, 20
	router := route.New()
	limits := map[string]int{}
	ids := subIDs(subscriptions)
	for i, id := range ids {
		sub := activeSubscription(id, 1+rand.IntN(5))
		webhookOf(sub).URL = fmt.Sprintf("http://host-%d.example/%d", i%hosts, i)
		router.Set(sub)
		limits[sub.ID] = sub.MaxConcurrency
	}
	sender := newCountingDestSender(slots)
	d := dispatch.New(dispatch.Config{Owner: "node", QueueSize: 8}, settleNothing{}, router, webhookSenders(sender))
	defer shutdown(d)

	all := enqueueShuffled(d, ids, perSub, 4, 50)
	dispatch.WaitFor(t, "every job sent", func() bool { return sender.sentOnce(len(all)) })

	sender.mu.Lock()
	defer sender.mu.Unlock()
	for id, n := range sender.times {
		if n != 1 {
			t.Errorf("%s was sent %d times", id, n)
		}
	}
	for h, most := range sender.most {
		if most > slots {
			t.Errorf("%s had %d sends at once, more than its %d slots", h, most, slots)
		}
	}
	for sub, most := range sender.mostSub {
		if most > limits[sub] {
			t.Errorf("%s had %d sends at once, more than its max_concurrency %d", sub, most, limits[sub])
		}
	}
}
