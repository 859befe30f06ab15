package postgres

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/eventgate/eventgate/internal/store"
)

// TestStaleRoutingStoresNothing: an append routed before the latest
// subscription change fails whole, so that ingest routes it again.
func TestStaleRoutingStoresNothing(t *testing.T) {
	s := openStore(t, freshSchema(t))
	sub := newSubscription(t, s)
	lease := store.Lease{Owner: "n", Until: time.Now().Add(time.Minute)}
	routedAt := versionOf(t, s)
	current := newAppend(sub)
	current.RoutedAt = &routedAt
	if err := s.AppendEvents(ctx, lease, []*store.Append{current}); err != nil {
		t.Fatalf("an append routed at the current version: %v", err)
	}
	sub.Name = "renamed"
	if err := s.UpdateSubscription(ctx, sub); err != nil {
		t.Fatal(err)
	}
	stale := newAppend(sub)
	stale.RoutedAt = &routedAt
	if err := s.AppendEvents(ctx, lease, []*store.Append{stale}); !errors.Is(err, store.ErrStaleRouting) {
		t.Fatalf("an append routed before a subscription change: %v, want ErrStaleRouting", err)
	}
	if _, err := s.GetEvent(ctx, stale.Event.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the stale append stored its event (%v)", err)
	}
}

// TestRoutingWaitsForAChangeUnderWay: a subscription change that has not
// committed when an append checks its routing is either seen by it or
// ordered after it. Here the change holds its transaction open until the
// append waits for it; once it commits, the append must find its version
// moved, not the one committed before.
func TestRoutingWaitsForAChangeUnderWay(t *testing.T) {
	url := freshSchema(t)
	s := openStore(t, url)
	sub := newSubscription(t, s)
	routedAt := versionOf(t, s)

	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	change, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := change.Exec(ctx, `UPDATE subscriptions SET name = 'changing' WHERE id = $1`, sub.ID); err != nil {
		t.Fatal(err)
	}
	appended := make(chan error, 1)
	go func() {
		a := newAppend(sub)
		a.RoutedAt = &routedAt
		appended <- s.AppendEvents(ctx, store.Lease{Owner: "n", Until: time.Now().Add(time.Minute)}, []*store.Append{a})
	}()
	waitForLockWaiter(t, s)
	if err := change.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-appended; !errors.Is(err, store.ErrStaleRouting) {
		t.Fatalf("an append that checked its routing while a change was under way, after the change committed: %v, want ErrStaleRouting", err)
	}
}

func versionOf(t *testing.T, s *Store) int64 {
	t.Helper()
	v, err := s.Versions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return v.Subscriptions
}

// waitForLockWaiter waits until a transaction waits for this schema's routing lock.
func waitForLockWaiter(t *testing.T, s *Store) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		var waiting bool
		err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted
			AND classid = 'versions'::regclass::oid AND objid = 1)`).Scan(&waiting)
		if err != nil {
			t.Fatal(err)
		}
		if waiting {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the append never waited for the subscription change under way")
		}
	}
}

// BenchmarkAppendEvents appends batches of 100 events with one delivery
// each, one batch at a time, as ingest's group commit does: without and
// with the routing check, for its cost per group commit.
func BenchmarkAppendEvents(b *testing.B) {
	for _, checked := range []bool{false, true} {
		b.Run(fmt.Sprintf("checked=%v", checked), func(b *testing.B) {
			s := openStore(b, freshSchema(b))
			sub := newSubscription(b, s)
			routedAt, err := s.Versions(ctx)
			if err != nil {
				b.Fatal(err)
			}
			lease := store.Lease{Owner: "bench", Until: time.Now().Add(time.Hour)}
			const batch = 100
			for b.Loop() {
				b.StopTimer()
				entries := make([]*store.Append, batch)
				for i := range entries {
					entries[i] = newAppend(sub)
					if checked {
						entries[i].RoutedAt = &routedAt.Subscriptions
					}
				}
				b.StartTimer()
				if err := s.AppendEvents(ctx, lease, entries); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
