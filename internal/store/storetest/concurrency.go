package storetest

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eventgate/eventgate/internal/event"
	"github.com/eventgate/eventgate/internal/store"
)

// The tests here call one store from several goroutines at once, as the
// nodes sharing a database do: each call is a transaction of its own (with
// PostgreSQL, on a connection of its own), and each "node" has its own
// lease owner.

// Two nodes claiming at the same time never get the same delivery, and
// together they get every one.
func testConcurrentClaimsAreDisjoint(t *testing.T, s store.Store) {
	sub := newSubscription(t, s, "orders")
	now := time.Now()
	const total = 500
	var entries []*store.Append
	for range total {
		entries = append(entries, newAppend("order.created", sub))
	}
	if err := s.AppendEvents(ctx, store.Lease{Owner: "ingest", Until: now}, entries); err != nil {
		t.Fatal(err)
	}

	const nodes = 2
	claimed := make([][]string, nodes)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range nodes {
		wg.Go(func() {
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
		})
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
}

// Nodes appending the same idempotency key or client id at the same time
// store it once; every other append learns it is a duplicate.
func testConcurrentAppendsStoreOnce(t *testing.T, s store.Store) {
	sub := newSubscription(t, s, "orders")
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
				entries[i] = newAppend("order.created", sub)
				repeat.set(entries[i])
				wg.Go(func() {
					<-start
					// Each append carries a fresh event too, to show it is not lost on a retry.
					if err := s.AppendEvents(ctx, lease, []*store.Append{newAppend("order.created", sub), entries[i]}); err != nil {
						t.Errorf("append %d: %v", i, err)
					}
				})
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
			ds, _, err := s.ListDeliveries(ctx, store.DeliveryQuery{EventID: stored[0]})
			if err != nil || len(ds) != 1 {
				t.Fatalf("deliveries of the repeated event: %d (%v), want 1", len(ds), err)
			}
		})
	}
	all, _, _ := s.ListEvents(ctx, store.EventQuery{Page: store.Page{Limit: 100}})
	if len(all) != 2*appends+2 {
		t.Fatalf("%d events stored, want %d: one per append plus each repeated one once", len(all), 2*appends+2)
	}
}

// A delivery released while its subscription is being resumed is never
// left parked, whichever commits first. (The PostgreSQL store also has a
// test that holds the resume open, which only its own internals can do.)
func testReleaseDuringResume(t *testing.T, s store.Store) {
	sub := newSubscription(t, s, "orders")
	for round := range 20 {
		now := time.Now()
		a := publish(t, s, store.Lease{Owner: "n", Until: now.Add(time.Minute)}, "order.created", sub)
		setStatus(t, s, sub, event.Paused)
		var wg sync.WaitGroup
		wg.Go(func() { setStatus(t, s, sub, event.Active) })
		wg.Go(func() {
			if err := s.Settle(ctx, "n", []*store.Outcome{{DeliveryID: a.Deliveries[0].ID, Now: now}}); err != nil {
				t.Errorf("release: %v", err)
			}
		})
		wg.Wait()
		jobs, err := s.ClaimDue(ctx, store.Lease{Owner: "n", Until: now.Add(time.Minute)}, now.Add(time.Second), 10)
		if err != nil || len(jobs) != 1 || jobs[0].DeliveryID != a.Deliveries[0].ID {
			t.Fatalf("round %d: after a resume and a release at once, claimed %d (%v), want the released delivery", round, len(jobs), err)
		}
	}
}

// setStatus updates sub (a copy, so that goroutines may share sub) to status.
func setStatus(t *testing.T, s store.Store, sub *event.Subscription, status event.SubscriptionStatus) {
	t.Helper()
	changed := *sub
	changed.Status, changed.UpdatedAt = status, time.Now().UTC().Truncate(time.Microsecond)
	if err := s.UpdateSubscription(ctx, &changed); err != nil {
		t.Errorf("UpdateSubscription to %s: %v", status, err)
	}
}

// A subscription deleted while nodes append deliveries to it, or settle
// them, costs only its own rows: no group commit and no settle fails.
func testDeleteSubscriptionDuringWrites(t *testing.T, s store.Store) {
	kept := newSubscription(t, s, "kept")
	lease := store.Lease{Owner: "n", Until: time.Now().Add(time.Minute)}
	const nodes = 2
	for round := range 20 {
		doomed := newSubscription(t, s, "doomed")
		stop := make(chan struct{})
		var writes [nodes]atomic.Int64 // rounds of append and settle done
		var wg sync.WaitGroup
		for i := range nodes {
			wg.Go(func() {
				for {
					select {
					case <-stop:
						return
					default:
					}
					var entries []*store.Append
					var outcomes []*store.Outcome
					for range 20 {
						a := newAppend("order.created", doomed, kept)
						entries = append(entries, a)
						for _, d := range a.Deliveries {
							outcomes = append(outcomes, &store.Outcome{DeliveryID: d.ID, Attempt: attempt(d.ID, 200, ""), Status: event.Succeeded})
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
					writes[i].Add(1)
				}
			})
		}
		// Delete while both write, and stop once both wrote again after it.
		waitWrites := func(after [nodes]int64) {
			for i := range nodes {
				for writes[i].Load() <= after[i] && !t.Failed() {
					time.Sleep(time.Millisecond)
				}
			}
		}
		waitWrites([nodes]int64{})
		if err := s.DeleteSubscription(ctx, doomed.ID); err != nil {
			t.Errorf("round %d: delete: %v", round, err)
		}
		var deleted [nodes]int64
		for i := range nodes {
			deleted[i] = writes[i].Load()
		}
		waitWrites(deleted)
		close(stop)
		wg.Wait()
		if t.Failed() {
			return
		}
	}
}
