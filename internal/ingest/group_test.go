package ingest_test

import (
	"context"
	"fmt"
	"github.com/eventgate/eventgate/internal/channel/webhook"
	"sync"
	"testing"
	"time"

	"github.com/eventgate/eventgate/internal/event"
	"github.com/eventgate/eventgate/internal/ingest"
	"github.com/eventgate/eventgate/internal/observe/observetest"
	"github.com/eventgate/eventgate/internal/route"
	"github.com/eventgate/eventgate/internal/store"
)

// Publishes from many goroutines at once are each committed once, with
// their deliveries, and handed over; the observer hears every publish and
// commits that add up to them. (CI runs this under the race detector.)
func TestConcurrentPublishesAreCommittedOnce(t *testing.T) {
	router := oneSubscription()
	st := &appendRecorder{}
	var handedMu sync.Mutex
	handed := map[string]int{}
	rec := &observetest.Recorder{}
	in := ingest.New(st, router, alone{}, lease, func(jobs []*store.Job) {
		handedMu.Lock()
		defer handedMu.Unlock()
		for _, j := range jobs {
			handed[j.EventID]++
		}
	}, rec)

	const clients, each = 8, 50
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			for i := range each {
				e := &event.Event{ID: fmt.Sprintf("evt_%d_%d", c, i), Type: "order.created", Time: time.Now().UTC(), Data: []byte(`{}`)}
				if _, err := in.Publish(context.Background(), []ingest.Entry{{Event: e}}); err != nil {
					t.Errorf("publish %s: %v", e.ID, err)
				}
			}
		})
	}
	wg.Wait()
	in.Close(context.Background())

	const total = clients * each
	if len(st.stored) != total || len(handed) != total {
		t.Fatalf("%d events stored and %d handed over, want %d each", len(st.stored), len(handed), total)
	}
	for id, n := range st.stored {
		if n != 1 || handed[id] != 1 {
			t.Fatalf("event %s stored %d times and handed over %d times, want once each", id, n, handed[id])
		}
	}
	seen := rec.Seen()
	var committed, deliveries int
	for _, c := range seen.Commits {
		committed, deliveries = committed+c.Events, deliveries+c.Deliveries
	}
	if len(seen.Publishes) != total || committed != total || deliveries != total {
		t.Fatalf("observed %d publishes and commits of %d events with %d deliveries, want %d of each", len(seen.Publishes), committed, deliveries, total)
	}
}

// appendRecorder is a store that counts the events each commit stores.
type appendRecorder struct {
	store.Events
	mu     sync.Mutex
	stored map[string]int
}

func (s *appendRecorder) AppendEvents(_ context.Context, _ store.Lease, entries []*store.Append) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stored == nil {
		s.stored = map[string]int{}
	}
	for _, a := range entries {
		if len(a.Deliveries) != 1 {
			return fmt.Errorf("event %s has %d deliveries, want 1", a.Event.ID, len(a.Deliveries))
		}
		s.stored[a.Event.ID]++
	}
	return nil
}

// alone is the routing of a node that shares its store with no other:
// nothing to check before a commit.
type alone struct{}

func (alone) Version() (int64, bool)            { return 0, false }
func (alone) CatchUp(ctx context.Context) error { return nil }

// oneSubscription is a router with one active subscription to every event.
func oneSubscription() *route.Router {
	router := route.New()
	router.Set(&event.Subscription{ID: "sub_1", Name: "sub_1", Status: event.Active, Channel: event.Channel{Type: "webhook", Config: &webhook.Config{URL: "http://receiver.example/"}}})
	return router
}

// lease owns fresh deliveries for a minute from now.
func lease() store.Lease { return store.Lease{Owner: "node", Until: time.Now().Add(time.Minute)} }
