package sqlite

import (
	"context"
	"testing"
	"time"

	"github.com/eventgate/eventgate/internal/store"
)

// TestLeaseLeavesTheWriterSynced: a lease commits unsynced, and every
// commit after it is synced again (synchronous FULL is 2).
func TestLeaseLeavesTheWriterSynced(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	now := time.Now()
	if _, err := s.LeasePull(ctx, store.PullLease{SubscriptionID: "sub_x", Limit: 10, Now: now, Until: now.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	var mode int
	if err := s.w.QueryRowContext(ctx, `PRAGMA synchronous`).Scan(&mode); err != nil || mode != 2 {
		t.Fatalf("synchronous after a lease = %d (%v), want 2 (FULL)", mode, err)
	}
}
