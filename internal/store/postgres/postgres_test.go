package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/eventgate/eventgate/internal/channel/webhook"
	"github.com/eventgate/eventgate/internal/event"
	"github.com/eventgate/eventgate/internal/store"
	"github.com/eventgate/eventgate/internal/store/postgres/pgtest"
	"github.com/eventgate/eventgate/internal/store/storetest"
)

// The tests run against a real PostgreSQL server, each in a schema of its
// own (see pgtest).

var ctx = context.Background()

var freshSchema = pgtest.FreshSchema

func openStore(tb testing.TB, url string) *Store {
	tb.Helper()
	s, err := Open(ctx, url)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return openStore(t, freshSchema(t)) })
}

func TestConcurrentOpenMigratesOnce(t *testing.T) {
	url := freshSchema(t)
	const nodes = 4
	errs := make(chan error, nodes)
	for range nodes {
		go func() {
			s, err := Open(ctx, url)
			if err == nil {
				s.Close()
			}
			errs <- err
		}()
	}
	for range nodes {
		if err := <-errs; err != nil {
			t.Fatalf("open beside other nodes: %v", err)
		}
	}
	files, _ := fs.Glob(migrations, "migrations/*.sql")
	s := openStore(t, url)
	var n int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil || n != len(files) {
		t.Fatalf("schema_migrations has %d rows (%v), want one per migration: %d", n, err, len(files))
	}
}

func TestMigrateThenReopenKeepsData(t *testing.T) {
	url := freshSchema(t)
	if err := Migrate(ctx, url); err != nil {
		t.Fatal(err)
	}
	s, err := Open(ctx, url)
	if err != nil {
		t.Fatalf("open after migrate (migrations must be idempotent): %v", err)
	}
	if err := s.CreateKey(ctx, &store.Key{ID: "key_1", Name: "k", Scope: "admin", Prefix: "p", Hash: []byte("h"), CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = openStore(t, url)
	if n, _ := s.CountKeys(ctx, "admin"); n != 1 {
		t.Fatalf("after reopen: %d keys, want 1", n)
	}
}

func TestOpenUnreachable(t *testing.T) {
	_, err := Open(ctx, "postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=2")
	if err == nil || !strings.Contains(err.Error(), "cannot connect") {
		t.Fatalf("open of an unreachable server: %v, want a clear error", err)
	}
	if _, err := Open(ctx, "postgres://user:s3cret@host:port:bad/db"); err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Fatalf("open of a bad url: %v, want an error that does not repeat the password", err)
	}
}

// Two nodes claiming at the same time never get the same delivery, and
// together they get every one.
func TestConcurrentClaimsAreDisjoint(t *testing.T) {
	url := freshSchema(t)
	nodes := []*Store{openStore(t, url), openStore(t, url)}
	sub := newSubscription(t, nodes[0])
	now := time.Now()
	const total = 500
	var entries []*store.Append
	for range total {
		entries = append(entries, newAppend(sub))
	}
	if err := nodes[0].AppendEvents(ctx, store.Lease{Owner: "ingest", Until: now}, entries); err != nil {
		t.Fatal(err)
	}

	claimed := make([][]string, len(nodes))
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, s := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			lease := store.Lease{Owner: fmt.Sprint("node-", i), Until: now.Add(time.Hour)}
			for {
				jobs, err := s.ClaimDue(ctx, lease, now.Add(time.Second), 20)
				if err != nil {
					t.Errorf("node %d: ClaimDue: %v", i, err)
					return
				}
				if len(jobs) == 0 {
					return
				}
				for _, j := range jobs {
					claimed[i] = append(claimed[i], j.DeliveryID)
				}
			}
		}()
	}
	close(start)
	wg.Wait()

	seen := map[string]int{}
	for i, ids := range claimed {
		for _, id := range ids {
			if prev, ok := seen[id]; ok {
				t.Fatalf("delivery %s claimed by node %d and node %d", id, prev, i)
			}
			seen[id] = i
		}
	}
	if len(seen) != total {
		t.Fatalf("claimed %d deliveries (node 0: %d, node 1: %d), want all %d", len(seen), len(claimed[0]), len(claimed[1]), total)
	}
	t.Logf("node 0 claimed %d, node 1 claimed %d", len(claimed[0]), len(claimed[1]))
}

// Nodes appending the same idempotency key or client id at the same time
// store it once; every other append learns it is a duplicate.
func TestConcurrentAppendsStoreOnce(t *testing.T) {
	url := freshSchema(t)
	nodes := []*Store{openStore(t, url), openStore(t, url)}
	sub := newSubscription(t, nodes[0])
	lease := store.Lease{Owner: "n", Until: time.Now().Add(time.Minute)}
	const appends = 8
	for _, repeat := range []struct {
		name string
		set  func(a *store.Append)
	}{
		{"IdempotencyKey", func(a *store.Append) { a.IdempotencyKey = "key-race" }},
		{"ClientID", func(a *store.Append) {
			a.Event.ID, a.ClientID, a.Deliveries[0].EventID = "order-race", true, "order-race"
		}},
	} {
		t.Run(repeat.name, func(t *testing.T) {
			entries := make([]*store.Append, appends)
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range entries {
				entries[i] = newAppend(sub)
				repeat.set(entries[i])
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					// Each append carries a fresh event too, to show it is not lost on a retry.
					if err := nodes[i%2].AppendEvents(ctx, lease, []*store.Append{newAppend(sub), entries[i]}); err != nil {
						t.Errorf("append %d: %v", i, err)
					}
				}()
			}
			close(start)
			wg.Wait()
			var stored []string
			for _, a := range entries {
				if a.DuplicateOf == "" {
					stored = append(stored, a.Event.ID)
				}
			}
			if len(stored) != 1 {
				t.Fatalf("%d appends stored the repeated event, want 1", len(stored))
			}
			for i, a := range entries {
				if a.DuplicateOf != "" && a.DuplicateOf != stored[0] {
					t.Fatalf("append %d: DuplicateOf = %q, want %s", i, a.DuplicateOf, stored[0])
				}
			}
			ds, _, err := nodes[0].ListDeliveries(ctx, store.DeliveryQuery{EventID: stored[0]})
			if err != nil || len(ds) != 1 {
				t.Fatalf("deliveries of the repeated event: %d (%v), want 1", len(ds), err)
			}
		})
	}
	all, _, _ := nodes[0].ListEvents(ctx, store.EventQuery{Page: store.Page{Limit: 100}})
	if len(all) != 2*appends+2 {
		t.Fatalf("%d events stored, want %d: one per append plus each repeated one once", len(all), 2*appends+2)
	}
}

func TestTimesReadBackInUTC(t *testing.T) {
	s := openStore(t, freshSchema(t))
	sub := newSubscription(t, s)
	got, err := s.GetSubscription(ctx, sub.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.CreatedAt.Location() != time.UTC {
		t.Fatalf("created_at read back in %v, want UTC", got.CreatedAt.Location())
	}
}

// A delivery released while its subscription is being resumed must not be
// left parked: the release waits for the resume and sees it active.
func TestReleaseDuringResumeIsNotStranded(t *testing.T) {
	s := openStore(t, freshSchema(t))
	sub := newSubscription(t, s)
	now := time.Now()
	ap := newAppend(sub)
	if err := s.AppendEvents(ctx, store.Lease{Owner: "n", Until: now.Add(time.Minute)}, []*store.Append{ap}); err != nil {
		t.Fatal(err)
	}
	sub.Status, sub.UpdatedAt = event.Paused, now
	if err := s.UpdateSubscription(ctx, sub); err != nil {
		t.Fatal(err)
	}

	// Resume, as UpdateSubscription does it, but hold the transaction open.
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `UPDATE subscriptions SET status = 'active' WHERE id = $1`, sub.ID); err != nil {
		t.Fatal(err)
	}
	if err := parkDeliveries(ctx, tx, sub.ID, event.Active, now); err != nil {
		t.Fatal(err)
	}
	released := make(chan error, 1)
	go func() {
		released <- s.Settle(ctx, "n", []*store.Outcome{{DeliveryID: ap.Deliveries[0].ID, Now: now}})
	}()
	select {
	case err := <-released:
		t.Fatalf("the release did not wait for the resume in progress (err %v)", err)
	case <-time.After(300 * time.Millisecond):
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-released; err != nil {
		t.Fatal(err)
	}
	jobs, err := s.ClaimDue(ctx, store.Lease{Owner: "n", Until: now.Add(time.Minute)}, now.Add(time.Second), 10)
	if err != nil || len(jobs) != 1 {
		t.Fatalf("after resume and release: claimed %d (%v), want the released delivery", len(jobs), err)
	}
}

// Entries are built here rather than taken from storetest, which keeps its
// helpers to itself.

func newSubscription(tb testing.TB, s *Store) *event.Subscription {
	tb.Helper()
	now := time.Now().UTC()
	sub := &event.Subscription{
		ID: event.NewID(event.PrefixSubscription), Name: "bench",
		Channel:   event.Channel{Type: "webhook", Config: &webhook.Config{URL: "https://example.com/hook"}},
		CreatedAt: now, UpdatedAt: now,
	}
	sub.ApplyDefaults()
	if err := s.CreateSubscription(ctx, sub); err != nil {
		tb.Fatal(err)
	}
	return sub
}

func newAppend(sub *event.Subscription) *store.Append {
	e := &event.Event{ID: event.NewID(event.PrefixEvent), Type: "order.created", Source: "bench", Time: time.Now().UTC(), Data: json.RawMessage(`{"order":42,"total":"19.90"}`)}
	env, _ := e.Envelope()
	return &store.Append{Event: e, Envelope: env, Deliveries: []*event.Delivery{{
		ID: event.NewID(event.PrefixDelivery), EventID: e.ID, SubscriptionID: sub.ID, Status: event.Pending, CreatedAt: e.Time,
	}}}
}

// BenchmarkAppendEvents appends batches of 100 events with one delivery
// each, one batch at a time, as ingest's group commit does.
func BenchmarkAppendEvents(b *testing.B) {
	s := openStore(b, freshSchema(b))
	sub := newSubscription(b, s)
	lease := store.Lease{Owner: "bench", Until: time.Now().Add(time.Hour)}
	const batch = 100
	for b.Loop() {
		b.StopTimer()
		entries := make([]*store.Append, batch)
		for i := range entries {
			entries[i] = newAppend(sub)
		}
		b.StartTimer()
		if err := s.AppendEvents(ctx, lease, entries); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "events/s")
}

// A subscription deleted while nodes append deliveries to it, or settle
// them, costs only its own rows: no group commit and no settle fails.
func TestDeleteSubscriptionDuringWrites(t *testing.T) {
	url := freshSchema(t)
	nodes := []*Store{openStore(t, url), openStore(t, url)}
	kept := newSubscription(t, nodes[0])
	lease := store.Lease{Owner: "n", Until: time.Now().Add(time.Minute)}
	for round := range 20 {
		doomed := newSubscription(t, nodes[0])
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for i, s := range nodes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					var entries []*store.Append
					var outcomes []*store.Outcome
					for range 20 {
						a := newAppend(doomed)
						a.Deliveries = append(a.Deliveries, &event.Delivery{ID: event.NewID(event.PrefixDelivery), EventID: a.Event.ID, SubscriptionID: kept.ID, CreatedAt: a.Event.Time})
						entries = append(entries, a)
						for _, d := range a.Deliveries {
							at := &event.Attempt{ID: event.NewID(event.PrefixAttempt), DeliveryID: d.ID, At: time.Now(), StatusCode: 200}
							outcomes = append(outcomes, &store.Outcome{DeliveryID: d.ID, Attempt: at, Status: event.Succeeded})
						}
					}
					if err := s.AppendEvents(ctx, lease, entries); err != nil {
						t.Errorf("round %d, node %d: append beside a delete: %v", round, i, err)
						return
					}
					if err := s.Settle(ctx, "n", outcomes); err != nil {
						t.Errorf("round %d, node %d: settle beside a delete: %v", round, i, err)
						return
					}
				}
			}()
		}
		time.Sleep(10 * time.Millisecond)
		if err := nodes[1].DeleteSubscription(ctx, doomed.ID); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond)
		close(stop)
		wg.Wait()
		if t.Failed() {
			return
		}
	}
}
