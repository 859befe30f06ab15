package dispatch

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/eventgate/eventgate/internal/store"
)

// batchRecorder is a store that records the size of each Settle.
type batchRecorder struct {
	store.Dispatch
	mu      sync.Mutex
	batches []int
}

func (r *batchRecorder) Settle(_ context.Context, _ string, outcomes []*store.Outcome) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.batches = append(r.batches, len(outcomes))
	return nil
}

// Outcomes that come within the linger are written in one transaction,
// not one as soon as the first arrives; closing writes what waits.
func TestSettlerLingersForMoreOutcomes(t *testing.T) {
	rec := &batchRecorder{}
	s := newSettler(rec, "node", 300*time.Millisecond)
	s.add(&store.Outcome{DeliveryID: "dlv_1"})
	time.Sleep(50 * time.Millisecond) // the settler has long taken the first
	for range 9 {
		s.add(&store.Outcome{DeliveryID: "dlv_n"})
	}
	time.Sleep(600 * time.Millisecond) // past the linger: written
	s.add(&store.Outcome{DeliveryID: "dlv_last"})
	s.close(context.Background())
	if want := []int{10, 1}; !slices.Equal(rec.batches, want) {
		t.Fatalf("settled in batches of %v, want %v", rec.batches, want)
	}
}
