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
	"time"

	"github.com/eventgate/eventgate/internal/event"
	"github.com/eventgate/eventgate/internal/observe"
	"github.com/eventgate/eventgate/internal/route"
	"github.com/eventgate/eventgate/internal/store"
)

// ErrClosed is returned once the ingester stops accepting.
var ErrClosed = errors.New("the gateway is shutting down; retry the request against another node or in a moment")

// MaxGroup bounds how many events one commit carries.
const MaxGroup = 2000

// Handoff receives the jobs of freshly committed deliveries.
type Handoff func([]*store.Job)

// Ingester routes and stores events.
type Ingester struct {
	store    store.Events
	router   *route.Router
	handoff  Handoff
	lease    func() store.Lease
	obs      observe.Observer
	requests chan *request

	mu     sync.RWMutex // guards closed against sends on requests
	closed bool
	done   chan struct{}
}

type request struct {
	entries []*store.Append
	result  chan error
}

// New starts an ingester. lease says which node owns fresh deliveries and
// for how long; handoff receives them after each commit; obs (nil: none)
// hears of publishes and commits.
func New(s store.Events, r *route.Router, lease func() store.Lease, handoff Handoff, obs observe.Observer) *Ingester {
	in := &Ingester{store: s, router: r, handoff: handoff, lease: lease, obs: observe.OrNop(obs), requests: make(chan *request, 256), done: make(chan struct{})}
	go in.commitLoop()
	return in
}

// Entry is an event to publish.
type Entry struct {
	Event          *event.Event
	IdempotencyKey string
	ClientID       bool
}

// Publish routes and durably stores entries, returning once they are
// committed. For each entry it returns the id of the stored event: the new
// one, or the original one when the entry repeats an earlier publish.
func (in *Ingester) Publish(ctx context.Context, entries []Entry) ([]string, error) {
	ids, err := in.publish(ctx, entries)
	in.obs.Published(observe.Publish{Events: len(entries), Err: err})
	return ids, err
}

func (in *Ingester) publish(ctx context.Context, entries []Entry) ([]string, error) {
	appends := make([]*store.Append, len(entries))
	for i, e := range entries {
		a, err := in.prepare(e)
		if err != nil {
			return nil, err
		}
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
	ids := make([]string, len(appends))
	for i, a := range appends {
		ids[i] = a.Event.ID
		if a.DuplicateOf != "" {
			ids[i] = a.DuplicateOf
		}
	}
	return ids, nil
}

// prepare encodes the envelope and creates one delivery per matching subscription.
func (in *Ingester) prepare(e Entry) (*store.Append, error) {
	env, err := e.Event.Envelope()
	if err != nil {
		return nil, err
	}
	a := &store.Append{Event: e.Event, Envelope: env, IdempotencyKey: e.IdempotencyKey, ClientID: e.ClientID}
	subs, err := in.router.Match(e.Event, env)
	if err != nil {
		return nil, err
	}
	now := time.Now().UTC()
	for _, sub := range subs {
		a.Deliveries = append(a.Deliveries, &event.Delivery{
			ID: event.NewID(event.PrefixDelivery), EventID: e.Event.ID, SubscriptionID: sub.ID,
			Status: event.Pending, CreatedAt: now,
		})
	}
	return a, nil
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
	lease := in.lease()
	// A commit is not cancelled by any one client: it carries many.
	began := time.Now()
	err := in.store.AppendEvents(context.Background(), lease, entries)
	in.obs.Committed(observe.Commit{Requests: len(group), Events: len(entries), Deliveries: deliveries(entries), Latency: time.Since(began), Err: err})
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
		if a.DuplicateOf != "" {
			continue
		}
		for _, d := range a.Deliveries {
			jobs = append(jobs, &store.Job{
				DeliveryID: d.ID, EventID: d.EventID, SubscriptionID: d.SubscriptionID,
				Envelope: a.Envelope, CycleStart: d.CreatedAt,
			})
		}
	}
	if len(jobs) > 0 {
		in.handoff(jobs)
	}
}

// Close stops accepting, commits what was accepted, and returns when done.
func (in *Ingester) Close() {
	in.mu.Lock()
	if !in.closed {
		in.closed = true
		close(in.requests)
	}
	in.mu.Unlock()
	<-in.done
}

// deliveries counts the deliveries of entries.
func deliveries(entries []*store.Append) (n int) {
	for _, a := range entries {
		n += len(a.Deliveries)
	}
	return n
}
