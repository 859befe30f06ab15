package postgres

import (
	"context"
	"encoding/json"
	"io/fs"
	"strings"
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
// left parked: the release waits for the resume and sees it active. The
// resume is held open here, which only the store's internals can do;
// storetest runs the race through the interface.
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
	var resumer int
	if err := tx.QueryRow(ctx, `SELECT pg_backend_pid()`).Scan(&resumer); err != nil {
		t.Fatal(err)
	}
	released := make(chan error, 1)
	go func() {
		released <- s.Settle(ctx, "n", []*store.Outcome{{DeliveryID: ap.Deliveries[0].ID, Now: now}})
	}()
	for blocked := 0; blocked == 0; {
		select {
		case err := <-released:
			t.Fatalf("the release did not wait for the resume in progress (err %v)", err)
		default:
		}
		err := s.pool.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))`, resumer).Scan(&blocked)
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond) // a poll of the server, not a guess at timing
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

// TestReadyNeedsTheSchemaAndTheServer: a store whose newest migration is
// missing (a database an older release migrated) and a closed one are
// not ready, and say why.
func TestReadyNeedsTheSchemaAndTheServer(t *testing.T) {
	s := openStore(t, freshSchema(t))
	if err := s.Ready(ctx); err != nil {
		t.Fatalf("Ready after migrating: %v", err)
	}
	if _, err := s.pool.Exec(ctx, `DELETE FROM schema_migrations WHERE version = (SELECT max(version) FROM schema_migrations)`); err != nil {
		t.Fatal(err)
	}
	if err := s.Ready(ctx); err == nil || !strings.Contains(err.Error(), "is not applied") {
		t.Fatalf("Ready without the newest migration: %v, want it named as not applied", err)
	}
	s.Close()
	if err := s.Ready(ctx); err == nil {
		t.Fatal("Ready on a closed store: no error")
	}
}
