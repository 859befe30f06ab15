package gateway

import (
	"context"
	"encoding/json"
	"github.com/eventgate/eventgate/internal/auth"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eventgate/eventgate/internal/channel/webhook"
	"github.com/eventgate/eventgate/internal/event"
	"github.com/eventgate/eventgate/internal/ingest"
	"github.com/eventgate/eventgate/internal/source"
	"github.com/eventgate/eventgate/internal/store"
)

// unreachableStore stands for a database that stopped answering: once
// down, every write the gateway makes in the background and while stopping
// waits until its context ends, as on a network that drops the packets.
type unreachableStore struct {
	store.Store
	down atomic.Bool
}

func (s *unreachableStore) hang(ctx context.Context) error {
	<-ctx.Done()
	return ctx.Err()
}

func (s *unreachableStore) AppendEvents(ctx context.Context, lease store.Lease, entries []*store.Append) error {
	if s.down.Load() {
		return s.hang(ctx)
	}
	return s.Store.AppendEvents(ctx, lease, entries)
}

func (s *unreachableStore) Settle(ctx context.Context, owner string, outcomes []*store.Outcome) error {
	if s.down.Load() {
		return s.hang(ctx)
	}
	return s.Store.Settle(ctx, owner, outcomes)
}

func (s *unreachableStore) ClaimDue(ctx context.Context, lease store.Lease, now time.Time, limit int) ([]*store.Job, error) {
	if s.down.Load() {
		return nil, s.hang(ctx)
	}
	return s.Store.ClaimDue(ctx, lease, now, limit)
}

func (s *unreachableStore) AcquireLeader(ctx context.Context, name, owner string, until, now time.Time) (bool, error) {
	if s.down.Load() {
		return false, s.hang(ctx)
	}
	return s.Store.AcquireLeader(ctx, name, owner, until, now)
}

func (s *unreachableStore) AddSourceCounts(ctx context.Context, id string, c source.Counts) error {
	if s.down.Load() {
		return s.hang(ctx)
	}
	return s.Store.AddSourceCounts(ctx, id, c)
}

// TestShutdownKeepsItsBudgetWithTheDatabaseDown: with the database
// unreachable, a commit under way and an outcome to record, Shutdown still
// returns by its deadline, and the publisher gets an error, not a hang.
func TestShutdownKeepsItsBudgetWithTheDatabaseDown(t *testing.T) {
	st := &unreachableStore{Store: sharedStore(t)}
	g := startNode(t, st, func(c *Config) { c.SingleNode = true })
	stopped[g] = true
	answered := make(chan struct{}, 1)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable) // an outcome to record
		select {
		case answered <- struct{}{}:
		default:
		}
	}))
	defer receiver.Close()
	ctx := context.Background()
	if err := g.CreateSubscription(ctx, auth.Admin, &event.Subscription{Name: "s", Channel: event.Channel{Type: "webhook", Config: &webhook.Config{URL: receiver.URL}}}); err != nil {
		t.Fatal(err)
	}
	newEntry := func() []ingest.Entry {
		return []ingest.Entry{{Event: &event.Event{ID: event.NewID(event.PrefixEvent), Type: "order.created", Time: time.Now().UTC(), Data: json.RawMessage(`{}`)}}}
	}
	if _, err := g.ingest.Publish(ctx, newEntry()); err != nil {
		t.Fatal(err)
	}
	<-answered
	st.down.Store(true)
	published := make(chan error, 1)
	go func() {
		_, err := g.ingest.Publish(ctx, newEntry())
		published <- err
	}()

	const budget = 2 * time.Second
	stopCtx, cancel := context.WithTimeout(ctx, budget)
	defer cancel()
	returned := make(chan struct{})
	began := time.Now()
	go func() { g.Shutdown(stopCtx); close(returned) }()
	select {
	case <-returned:
	case <-time.After(20 * time.Second):
		t.Fatal("Shutdown with the database down did not return")
	}
	if took := time.Since(began); took > budget+500*time.Millisecond {
		t.Fatalf("Shutdown with the database down took %v, its budget is %v", took, budget)
	}
	if err := <-published; err == nil {
		t.Fatal("a publish whose commit the database never answered succeeded")
	}
}
