package gateway

import (
	"context"
	"encoding/json"
	"github.com/eventgate/eventgate/internal/channel/pull"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/eventgate/eventgate/internal/auth"
	"github.com/eventgate/eventgate/internal/event"
	"github.com/eventgate/eventgate/internal/ingest"
	"github.com/eventgate/eventgate/internal/store"
	"github.com/eventgate/eventgate/internal/store/postgres"
	"github.com/eventgate/eventgate/internal/store/postgres/pgtest"
)

// pullNodes are two nodes on one PostgreSQL schema that look at the store
// only once an hour: what wakes their long polls is their own ingest or
// the other's notification.
func pullNodes(t *testing.T) (a, b *Gateway, sub *event.Subscription) {
	t.Helper()
	url := pgtest.FreshSchema(t)
	node := func() *Gateway {
		st, err := postgres.Open(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return startNode(t, st, func(c *Config) { c.PollInterval = time.Hour })
	}
	a, b = node(), node()
	sub = &event.Subscription{Name: "pulled", Channel: event.Channel{Type: "pull", Config: &pull.Config{VisibilityTimeout: event.Duration(12 * time.Hour)}}}
	if err := a.CreateSubscription(context.Background(), auth.Admin, sub); err != nil {
		t.Fatal(err)
	}
	return a, b, sub
}

func publishOn(t *testing.T, g *Gateway, n int) {
	t.Helper()
	entries := make([]ingest.Entry, n)
	for i := range entries {
		entries[i] = ingest.Entry{Event: &event.Event{ID: event.NewID(event.PrefixEvent), Type: "order.created", Time: time.Now().UTC(), Data: json.RawMessage(`{}`)}}
	}
	if _, err := g.ingest.Publish(context.Background(), entries); err != nil {
		t.Fatal(err)
	}
}

func (w *pullWaiters) asleep(id string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.sleeping[id]
}

// TestLongPollWakesOnAnotherNodesPublish: a long poll on node a answers
// when node b stores a message, through PostgreSQL's notification. The
// wake latencies are logged, not asserted.
func TestLongPollWakesOnAnotherNodesPublish(t *testing.T) {
	a, b, sub := pullNodes(t)
	ctx := context.Background()
	var latencies, afterCommit []time.Duration
	for range 20 {
		got := make(chan []*Message, 1)
		go func() {
			msgs, err := a.Pull(ctx, auth.Admin, sub.ID, PullRequest{Wait: MaxPullWait})
			if err != nil {
				t.Error(err)
			}
			got <- msgs
		}()
		for a.pullWaiters.asleep(sub.ID) == 0 {
			runtime.Gosched()
		}
		start := time.Now()
		publishOn(t, b, 1)
		committed := time.Now()
		msgs := <-got
		latencies, afterCommit = append(latencies, time.Since(start)), append(afterCommit, time.Since(committed))
		if len(msgs) != 1 {
			t.Fatalf("a long poll on node a brought %d messages after node b stored one, want 1", len(msgs))
		}
		if _, err := a.Ack(ctx, auth.Admin, sub.ID, []string{msgs[0].Receipt}); err != nil {
			t.Fatal(err)
		}
	}
	slices.Sort(latencies)
	slices.Sort(afterCommit)
	t.Logf("publish on b -> pull on a answered: median %s, max %s; after b acknowledged the publish: median %s, max %s (20 tries)",
		latencies[len(latencies)/2], latencies[len(latencies)-1], afterCommit[len(afterCommit)/2], afterCommit[len(afterCommit)-1])
}

// TestConsumersOnTwoNodesNeverShareAMessage: consumers pulling through
// both nodes at once each get a message only while no other holds it,
// and together drain the backlog.
func TestConsumersOnTwoNodesNeverShareAMessage(t *testing.T) {
	a, b, sub := pullNodes(t)
	ctx := context.Background()
	const n = 400
	for range n / 100 {
		publishOn(t, a, 100)
	}
	var mu sync.Mutex
	held := map[string]int{}
	var wg sync.WaitGroup
	for i := range 4 {
		node := []*Gateway{a, b}[i%2]
		wg.Go(func() {
			for {
				limit := 15
				msgs, err := node.Pull(ctx, auth.Admin, sub.ID, PullRequest{MaxMessages: &limit})
				if err != nil {
					t.Error(err)
					return
				}
				if len(msgs) == 0 {
					return
				}
				receipts := make([]string, len(msgs))
				mu.Lock()
				for j, m := range msgs {
					held[m.DeliveryID]++
					receipts[j] = m.Receipt
				}
				mu.Unlock()
				statuses, err := node.Ack(ctx, auth.Admin, sub.ID, receipts)
				if err != nil {
					t.Error(err)
					return
				}
				for _, s := range statuses {
					if s.Status != "acked" {
						t.Errorf("receipt %s: %s", s.Receipt, s.Status)
					}
				}
			}
		})
	}
	wg.Wait()
	if len(held) != n {
		t.Fatalf("the consumers got %d distinct messages, want %d", len(held), n)
	}
	for id, times := range held {
		if times != 1 {
			t.Fatalf("%s was handed out %d times with a 12h visibility timeout", id, times)
		}
	}
	done, _, err := a.store.ListDeliveries(ctx, store.DeliveryQuery{SubscriptionID: sub.ID, Status: event.Succeeded, Page: store.Page{Limit: store.MaxLimit}})
	if err != nil || len(done) != n {
		t.Fatalf("%d deliveries succeeded (%v), want %d", len(done), err, n)
	}
}
