package dispatch

import (
	"context"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/eventgate/eventgate/internal/observe"
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

func (r *batchRecorder) written() []int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.batches)
}

// Outcomes that come within the linger are written in one transaction,
// not one as soon as the first arrives; closing writes what waits. The
// clock is synctest's, so the linger is exact and costs no real time.
func TestSettlerLingersForMoreOutcomes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const linger = 300 * time.Millisecond
		rec := &batchRecorder{}
		s := newSettler(rec, "node", linger, observe.Nop{})
		closeSettler := sync.OnceFunc(func() { s.close(context.Background()) })
		t.Cleanup(closeSettler) // a failed check leaves no goroutine behind in the bubble
		s.add(&store.Outcome{DeliveryID: "dlv_1"})
		synctest.Wait() // the settler took the first and lingers
		for range 9 {
			s.add(&store.Outcome{DeliveryID: "dlv_n"})
		}
		time.Sleep(linger - time.Nanosecond)
		synctest.Wait()
		if got := rec.written(); len(got) != 0 {
			t.Fatalf("settled %v before the linger was over", got)
		}
		time.Sleep(time.Nanosecond)
		synctest.Wait()
		if got, want := rec.written(), []int{10}; !slices.Equal(got, want) {
			t.Fatalf("after the linger, settled in batches of %v, want %v", got, want)
		}
		s.add(&store.Outcome{DeliveryID: "dlv_last"})
		closeSettler()
		if got, want := rec.written(), []int{10, 1}; !slices.Equal(got, want) {
			t.Fatalf("settled in batches of %v, want %v", got, want)
		}
	})
}
