package dispatch_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/eventgate/eventgate/internal/channel/webhook"
	"github.com/eventgate/eventgate/internal/dispatch"
	"github.com/eventgate/eventgate/internal/event"
	"github.com/eventgate/eventgate/internal/netguard"
	"github.com/eventgate/eventgate/internal/route"
	"github.com/eventgate/eventgate/internal/store"
	"github.com/eventgate/eventgate/internal/store/sqlite"
)

// releaseCounter counts the outcomes that hand a delivery back to the store
// unsent (releases): each is a write now and a claim later. It also
// counts the payloads read back for held deliveries.
type releaseCounter struct {
	store.Store
	mu        sync.Mutex
	releases  int
	readBacks int
}

func (c *releaseCounter) Envelopes(ctx context.Context, eventIDs []string) (map[string][]byte, error) {
	c.mu.Lock()
	c.readBacks += len(eventIDs)
	c.mu.Unlock()
	return c.Store.Envelopes(ctx, eventIDs)
}

func (c *releaseCounter) Settle(ctx context.Context, owner string, outcomes []*store.Outcome) error {
	c.mu.Lock()
	for _, o := range outcomes {
		if o.Attempt == nil {
			c.releases++
		}
	}
	c.mu.Unlock()
	return c.Store.Settle(ctx, owner, outcomes)
}

func (c *releaseCounter) count() (releases, readBacks int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.releases, c.readBacks
}

// A burst far larger than a subscription's queue is held in memory and
// refilled as the queue drains: every delivery arrives once, with its own
// payload, and none is released to the store to be claimed again. Held
// deliveries keep their payloads within HoldBytes; beyond it they are read
// back. Beyond HoldMax the rest is released, and still arrives, through
// the poller.
func TestBurstLargerThanTheQueue(t *testing.T) {
	for _, tc := range []struct {
		name          string
		holdMax       int
		holdBytes     int64
		wantReleases  bool
		wantReadBacks bool
	}{
		{"held with payloads", 1000, 0, false, false},
		{"held, payloads read back", 1000, 1, false, true},
		{"beyond HoldMax", 100, 0, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const burst = 300
			ctx := context.Background()
			s, err := sqlite.Open(ctx, t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			counted := &releaseCounter{Store: s}

			gate := make(chan struct{})
			var mu sync.Mutex
			received := map[string]int{}
			bodies := map[string]string{}
			receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				<-gate // hold every send until the burst is in
				body, _ := io.ReadAll(r.Body)
				mu.Lock()
				received[r.Header.Get("webhook-id")]++
				bodies[r.Header.Get("webhook-id")] = string(body)
				mu.Unlock()
				w.WriteHeader(http.StatusNoContent)
			}))
			t.Cleanup(receiver.Close)

			sub := &event.Subscription{ID: event.NewID(event.PrefixSubscription), Name: "burst", Status: event.Active,
				Channel: event.Channel{Type: "webhook", Config: &webhook.Config{URL: receiver.URL}}, MaxConcurrency: 2,
				Secrets: []event.Secret{{Value: "whsec_c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0"}}, CreatedAt: time.Now(), UpdatedAt: time.Now()}
			sub.ApplyDefaults()
			if err := s.CreateSubscription(ctx, sub); err != nil {
				t.Fatal(err)
			}
			router := route.New()
			if err := router.Load([]*event.Subscription{sub}); err != nil {
				t.Fatal(err)
			}
			d := dispatch.New(dispatch.Config{Owner: "node", QueueSize: 8, HoldMax: tc.holdMax, HoldBytes: tc.holdBytes, PollInterval: 50 * time.Millisecond},
				counted, router, webhookSenders(webhook.New(webhook.Options{Guard: netguard.Guard{AllowPrivate: true}})))
			d.Start()

			// Stored and handed over as ingest does: leased by this node.
			var jobs []*store.Job
			var entries []*store.Append
			for i := range burst {
				e := &event.Event{ID: event.NewID(event.PrefixEvent), Type: "order.created", Time: time.Now().UTC(), Data: json.RawMessage(fmt.Sprintf(`{"n":%d}`, i))}
				env, err := e.Envelope()
				if err != nil {
					t.Fatal(err)
				}
				dl := &event.Delivery{ID: event.NewID(event.PrefixDelivery), EventID: e.ID, SubscriptionID: sub.ID, Status: event.Pending, CreatedAt: time.Now().UTC()}
				entries = append(entries, &store.Append{Event: e, Envelope: env, Deliveries: []*event.Delivery{dl}})
				jobs = append(jobs, &store.Job{DeliveryID: dl.ID, EventID: e.ID, SubscriptionID: sub.ID, Envelope: env, CycleStart: dl.CreatedAt})
			}
			if err := s.AppendEvents(ctx, d.Lease(), entries); err != nil {
				t.Fatal(err)
			}
			d.Enqueue(jobs)
			close(gate)

			deadline := time.Now().Add(20 * time.Second)
			for {
				mu.Lock()
				n := len(received)
				mu.Unlock()
				if n == burst {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("%d of %d deliveries arrived", n, burst)
				}
				time.Sleep(20 * time.Millisecond)
			}
			shutdown, cancel := context.WithTimeout(ctx, 10*time.Second)
			defer cancel()
			d.Shutdown(shutdown)

			for id, n := range received {
				if n != 1 {
					t.Errorf("delivery %s arrived %d times", id, n)
				}
			}
			for _, j := range jobs {
				got, err := s.GetDelivery(ctx, j.DeliveryID)
				if err != nil || got.Status != event.Succeeded {
					t.Fatalf("delivery %s: %v %v, want succeeded", j.DeliveryID, got, err)
				}
			}
			for _, j := range jobs {
				if got := bodies[j.EventID]; got != string(j.Envelope) {
					t.Fatalf("event %s arrived as %s, want %s", j.EventID, got, j.Envelope)
				}
			}
			releases, readBacks := counted.count()
			if (releases > 0) != tc.wantReleases {
				t.Errorf("%d deliveries were released to the store; want releases: %v", releases, tc.wantReleases)
			}
			if (readBacks > 0) != tc.wantReadBacks {
				t.Errorf("%d payloads were read back from the store; want read-backs: %v", readBacks, tc.wantReadBacks)
			}
		})
	}
}
