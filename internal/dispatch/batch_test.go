package dispatch_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/eventgate/eventgate/internal/channel"
	"github.com/eventgate/eventgate/internal/dispatch"
	"github.com/eventgate/eventgate/internal/event"
	"github.com/eventgate/eventgate/internal/route"
)

// batchSender takes batches within bounds, records them, and fails the
// second delivery of each.
type batchSender struct {
	bounds  channel.Batch
	mu      sync.Mutex
	batches [][]string
}

func (s *batchSender) Batch() channel.Batch { return s.bounds }

func (s *batchSender) Send(ctx context.Context, m *channel.Message) channel.Result {
	return s.SendBatch(ctx, []*channel.Message{m})[0]
}

func (s *batchSender) SendBatch(_ context.Context, ms []*channel.Message) []channel.Result {
	ids := make([]string, len(ms))
	results := make([]channel.Result, len(ms))
	for i, m := range ms {
		ids[i] = m.DeliveryID
		results[i] = channel.Result{OK: i != 1}
		if i == 1 {
			results[i].Err = errors.New("refused")
		}
	}
	s.mu.Lock()
	s.batches = append(s.batches, ids)
	s.mu.Unlock()
	return results
}

func (s *batchSender) sent() [][]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.batches)
}

// startBatching returns a dispatcher that sends the subscription sub_b,
// of a batching kind, through sender.
func startBatching(t *testing.T, sender *batchSender) (*dispatch.Dispatcher, *outcomes) {
	router := route.New()
	sub := activeSubscription("sub_b", 1)
	sub.Channel.Type = "batchy"
	router.Set(sub)
	recorded := &outcomes{}
	d := dispatch.New(dispatch.Config{Owner: "node"}, recorded, router, channel.Senders{"batchy": sender})
	t.Cleanup(func() { shutdown(d) })
	return d, recorded
}

// A batching kind gets its deliveries in batches no larger than it
// declares, each batch full before the linger time is up, and each
// delivery is settled by its own result.
func TestBatchesFillUpToTheirCountAndSettleEachDelivery(t *testing.T) {
	sender := &batchSender{bounds: channel.Batch{Count: 3, Linger: time.Hour}}
	d, recorded := startBatching(t, sender)
	d.Enqueue(jobsNamed("sub_b", 6))
	dispatch.WaitFor(t, "an outcome for each delivery", func() bool { return len(recorded.list()) == 6 })
	want := [][]string{{"sub_b/0", "sub_b/1", "sub_b/2"}, {"sub_b/3", "sub_b/4", "sub_b/5"}}
	if got := sender.sent(); !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("batches %v, want %v", got, want)
	}
	for _, o := range recorded.list() {
		failed := o.DeliveryID == "sub_b/1" || o.DeliveryID == "sub_b/4"
		if o.Attempt == nil || (o.Status == event.Succeeded) == failed {
			t.Errorf("delivery %s settled as %+v; want its own result (failed: %v)", o.DeliveryID, o, failed)
		}
	}
}

// A batch stops short of its count where the next payload would pass its
// bytes, and goes with what it has once its linger time is up.
func TestBatchesKeepToTheirBytesAndLinger(t *testing.T) {
	envelope := len(jobsNamed("x", 1)[0].Envelope)
	sender := &batchSender{bounds: channel.Batch{Count: 3, Bytes: 2 * envelope, Linger: time.Hour}}
	d, recorded := startBatching(t, sender)
	d.Enqueue(jobsNamed("sub_b", 4))
	dispatch.WaitFor(t, "an outcome for each delivery", func() bool { return len(recorded.list()) == 4 })
	if got := sender.sent(); len(got) != 2 || len(got[0]) != 2 || len(got[1]) != 2 {
		t.Errorf("batches %v, want two of two payloads", got)
	}

	lingering := &batchSender{bounds: channel.Batch{Count: 3, Linger: 10 * time.Millisecond}}
	d, recorded = startBatching(t, lingering)
	d.Enqueue(jobsNamed("sub_b", 1))
	dispatch.WaitFor(t, "the lone delivery sent once its linger time is up", func() bool { return len(recorded.list()) == 1 })
	if got := lingering.sent(); len(got) != 1 || len(got[0]) != 1 {
		t.Errorf("batches %v, want one of one", got)
	}
}

// countingQuota admits every send and counts what it is told.
type countingQuota struct {
	mu           sync.Mutex
	admits, done int
}

func (c *countingQuota) Admit(*event.Subscription) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.admits++
	return true
}

func (c *countingQuota) Done(*event.Subscription, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.done++
}

// A batch reserves a partner's quota once per delivery, not once more for
// the delivery that started it.
func TestBatchesAdmitEachDeliveryOnce(t *testing.T) {
	router := route.New()
	sub := activeSubscription("sub_b", 1)
	sub.Channel.Type = "batchy"
	router.Set(sub)
	recorded, quota := &outcomes{}, &countingQuota{}
	sender := &batchSender{bounds: channel.Batch{Count: 3, Linger: time.Hour}}
	d := dispatch.New(dispatch.Config{Owner: "node", Quota: quota}, recorded, router, channel.Senders{"batchy": sender})
	defer shutdown(d)
	d.Enqueue(jobsNamed("sub_b", 3))
	dispatch.WaitFor(t, "an outcome for each delivery", func() bool { return len(recorded.list()) == 3 })
	quota.mu.Lock()
	defer quota.mu.Unlock()
	if quota.admits != 3 || quota.done != 3 {
		t.Errorf("a batch of 3 was admitted %d times and done %d times; want 3 and 3", quota.admits, quota.done)
	}
}
