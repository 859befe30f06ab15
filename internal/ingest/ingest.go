// Package ingest turns accepted events into durable records. Requests from
// many goroutines are grouped into one transaction (group commit) so that
// durability costs one fsync per group, not per event; the transaction that
// stores an event also stores its deliveries, so no crash can lose fan-out.
package ingest

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/eventgate/eventgate/internal/event"
	"github.com/eventgate/eventgate/internal/observe"
	"github.com/eventgate/eventgate/internal/route"
	"github.com/eventgate/eventgate/internal/store"
)

// ErrClosed is returned once the ingester stops accepting.
var ErrClosed = errors.New("the gateway is shutting down; retry the request against another node or in a moment")

// ErrIDTaken is an entry's error when its client-supplied id belongs to an
// event another publisher stored.
var ErrIDTaken = errors.New("the event id is taken")

// MaxGroup bounds how many events one commit carries.
const MaxGroup = 2000

// commitTimeout bounds one commit, with its retries: with the database
// unreachable, publishers get an error and Close returns instead of waiting
// for it forever.
const commitTimeout = 5 * time.Second

// routingTries bounds how often one commit routes again because
// subscriptions changed meanwhile; more changes than that during one commit
// fail it, and its publishers retry.
const routingTries = 5

// Handoff receives the jobs of freshly committed deliveries.
type Handoff func([]*store.Job)

// Routing keeps the router in step with subscription changes made through
// other nodes sharing the store (see store.Append.RoutedAt).
type Routing interface {
	// Version returns the subscriptions version the router has loaded, and
	// false when no other node shares the store, so there is nothing to check.
	Version() (int64, bool)
	// CatchUp loads into the router what changed since that version.
	CatchUp(ctx context.Context) error
}

// Ingester routes and stores events.
type Ingester struct {
	store    store.Events
	router   *route.Router
	routing  Routing
	handoff  Handoff
	lease    func() store.Lease
	obs      observe.Observer
	requests chan *request

	diskFull atomic.Bool // the last commit failed for lack of space

	mu     sync.RWMutex // guards closed against sends on requests
	closed bool
	done   chan struct{}
	// ctx is the commits'; Close cancels it when it runs out of time.
	ctx    context.Context
	cancel context.CancelFunc
}

type request struct {
	entries []*store.Append
	result  chan error
}

// New starts an ingester. routing says which subscription changes the
// router has seen; lease says which node owns fresh deliveries and for how
// long; handoff receives them after each commit; obs (nil: none) hears of
// publishes and commits.
func New(s store.Events, r *route.Router, routing Routing, lease func() store.Lease, handoff Handoff, obs observe.Observer) *Ingester {
	in := &Ingester{store: s, router: r, routing: routing, handoff: handoff, lease: lease, obs: observe.OrNop(obs), requests: make(chan *request, 256), done: make(chan struct{})}
	in.ctx, in.cancel = context.WithCancel(context.Background())
	go in.commitLoop()
	return in
}

// Entry is an event to publish.
type Entry struct {
	Event          *event.Event
	IdempotencyKey string
	// ClientID says the client chose the event's id; it is Publisher's
	// (an API key id): a repeat by another publisher is refused.
	ClientID  bool
	Publisher string
	// TraceParent is the publish's W3C traceparent, for the deliveries' traces.
	TraceParent string
}

// Stored is what publishing one entry came to.
type Stored struct {
	// ID is the stored event's: the new one, or the original one when the
	// entry repeats an earlier publish.
	ID string
	// Replayed says nothing new was stored: the entry was a repeat.
	Replayed bool
	// Err is ErrIDTaken when the entry was refused; ID is empty then.
	Err error
}

// Publish routes and durably stores entries, returning once they are
// committed, with what each came to.
func (in *Ingester) Publish(ctx context.Context, entries []Entry) ([]Stored, error) {
	began := time.Now()
	stored, err := in.publish(ctx, entries)
	in.obs.Published(observe.Publish{Events: len(entries), Type: func(i int) string { return entries[i].Event.Type }, Latency: time.Since(began), Err: err})
	return stored, err
}

func (in *Ingester) publish(ctx context.Context, entries []Entry) ([]Stored, error) {
	routedAt := in.routedAt() // before routing, so that a change made meanwhile is caught
	appends := make([]*store.Append, len(entries))
	for i, e := range entries {
		a, err := in.prepare(e)
		if err != nil {
			return nil, err
		}
		a.RoutedAt = routedAt
		appends[i] = a
	}
	req := &request{entries: appends, result: make(chan error, 1)}
	in.mu.RLock()
	if in.closed {
		in.mu.RUnlock()
		return nil, ErrClosed
	}
	in.requests <- req
	in.mu.RUnlock()
	// The commit goes on even if the client leaves: what was sent is stored.
	if err := <-req.result; err != nil {
		return nil, err
	}
	stored := make([]Stored, len(appends))
	for i, a := range appends {
		switch {
		case a.IDTaken:
			stored[i].Err = ErrIDTaken
		case a.DuplicateOf != "":
			stored[i] = Stored{ID: a.DuplicateOf, Replayed: true}
		default:
			stored[i].ID = a.Event.ID
		}
	}
	return stored, nil
}

// routedAt returns the version to route at, or nil when there is nothing to check.
func (in *Ingester) routedAt() *int64 {
	v, check := in.routing.Version()
	if !check {
		return nil
	}
	return &v
}

// prepare encodes the envelope and routes the event.
func (in *Ingester) prepare(e Entry) (*store.Append, error) {
	env, err := e.Event.Envelope()
	if err != nil {
		return nil, err
	}
	a := &store.Append{Event: e.Event, Envelope: env, IdempotencyKey: e.IdempotencyKey, ClientID: e.ClientID, TraceParent: e.TraceParent}
	if e.ClientID {
		a.Publisher = e.Publisher
	}
	return a, in.route(a)
}

// route creates one delivery per matching subscription, replacing any
// that an earlier routing created.
func (in *Ingester) route(a *store.Append) error {
	subs, err := in.router.Match(a.Event, a.Envelope)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	a.Deliveries = a.Deliveries[:0]
	for _, sub := range subs {
		a.Deliveries = append(a.Deliveries, &event.Delivery{
			ID: event.NewID(event.PrefixDelivery), EventID: a.Event.ID, SubscriptionID: sub.ID,
			Status: event.Pending, CreatedAt: now, Pull: sub.Channel.Type == "pull",
		})
	}
	return nil
}

// commitLoop takes whatever requests are waiting, up to MaxGroup events,
// and commits them together.
func (in *Ingester) commitLoop() {
	defer close(in.done)
	for first := range in.requests {
		group := []*request{first}
		n := len(first.entries)
	gather:
		for n < MaxGroup {
			select {
			case r, ok := <-in.requests:
				if !ok {
					break gather
				}
				group = append(group, r)
				n += len(r.entries)
			default:
				break gather
			}
		}
		in.commit(group, n)
	}
}

func (in *Ingester) commit(group []*request, n int) {
	entries := make([]*store.Append, 0, n)
	for _, r := range group {
		entries = append(entries, r.entries...)
	}
	// A commit is not cancelled by any one client: it carries many.
	ctx, cancel := context.WithTimeout(in.ctx, commitTimeout)
	defer cancel()
	began := time.Now()
	err := in.append(ctx, entries)
	in.obs.Committed(observe.Commit{Requests: len(group), Events: len(entries), Deliveries: deliveries(entries), Latency: time.Since(began), Err: err})
	in.diskFull.Store(store.IsDiskFull(err))
	if err != nil {
		slog.Error("storing events failed", "events", len(entries), "err", err)
	}
	for _, r := range group {
		r.result <- err
	}
	if err != nil || in.handoff == nil {
		return
	}
	var jobs []*store.Job
	for _, a := range entries {
		if a.DuplicateOf != "" || a.IDTaken {
			continue
		}
		for _, d := range a.Deliveries {
			jobs = append(jobs, &store.Job{
				DeliveryID: d.ID, EventID: d.EventID, SubscriptionID: d.SubscriptionID,
				Envelope: a.Envelope, TraceParent: a.TraceParent, CycleStart: d.CreatedAt, Pull: d.Pull,
			})
		}
	}
	if len(jobs) > 0 {
		in.handoff(jobs)
	}
}

// DiskFull reports whether the last commit failed because the store's disk
// is full; the next commit that succeeds clears it.
func (in *Ingester) DiskFull() bool { return in.diskFull.Load() }

// append stores entries, routing them again while subscriptions changed
// since they were routed.
func (in *Ingester) append(ctx context.Context, entries []*store.Append) error {
	for try := 1; ; try++ {
		err := in.store.AppendEvents(ctx, in.lease(), entries)
		if !errors.Is(err, store.ErrStaleRouting) || try == routingTries {
			return err
		}
		if err := in.routing.CatchUp(ctx); err != nil {
			return err
		}
		routedAt := in.routedAt()
		for _, a := range entries {
			if err := in.route(a); err != nil {
				return err
			}
			a.RoutedAt = routedAt
		}
	}
}

// Close stops accepting, commits what was accepted while ctx allows, and
// returns when done; commits cut short answer their publishers an error.
func (in *Ingester) Close(ctx context.Context) {
	in.mu.Lock()
	if !in.closed {
		in.closed = true
		close(in.requests)
	}
	in.mu.Unlock()
	select {
	case <-in.done:
	case <-ctx.Done():
		in.cancel()
		<-in.done
	}
	in.cancel()
}

// deliveries counts the deliveries of entries.
func deliveries(entries []*store.Append) (n int) {
	for _, a := range entries {
		n += len(a.Deliveries)
	}
	return n
}
