package storetest

import (
	"fmt"
	"github.com/eventgate/eventgate/internal/channel/pull"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/eventgate/eventgate/internal/event"
	"github.com/eventgate/eventgate/internal/store"
)

func newPullSubscription(t *testing.T, s store.Store, maxAttempts int) *event.Subscription {
	t.Helper()
	now := time.Now().UTC().Truncate(time.Microsecond)
	sub := &event.Subscription{
		ID: event.NewID(event.PrefixSubscription), Name: "pulled",
		Channel:     event.Channel{Type: "pull", Config: &pull.Config{}},
		RetryPolicy: event.RetryPolicy{MaxAttempts: maxAttempts},
		CreatedAt:   now, UpdatedAt: now,
	}
	sub.ApplyDefaults()
	if err := s.CreateSubscription(ctx, sub); err != nil {
		t.Fatalf("CreateSubscription: %v", err)
	}
	return sub
}

func lease(t *testing.T, s store.Store, sub *event.Subscription, limit int, now time.Time, visibility time.Duration) []*store.PullMessage {
	t.Helper()
	msgs, err := s.LeasePull(ctx, store.PullLease{SubscriptionID: sub.ID, Limit: limit, Now: now, Until: now.Add(visibility), Policy: sub.RetryPolicy})
	if err != nil {
		t.Fatalf("LeasePull: %v", err)
	}
	return msgs
}

func receiptsOf(msgs []*store.PullMessage) []store.Receipt {
	out := make([]store.Receipt, len(msgs))
	for i, m := range msgs {
		out[i] = m.Receipt
	}
	return out
}

// testPullLeases: pull deliveries wait for consumers, not for the
// dispatcher; a lease hides them; an ack settles only its own lease.
func testPullLeases(t *testing.T, s store.Store) {
	sub := newPullSubscription(t, s, 0)
	hook := newSubscription(t, s, "hook")
	node := store.Lease{Owner: "node-a", Until: time.Now().Add(time.Minute)}
	var appended []*store.Append
	for range 3 {
		appended = append(appended, publish(t, s, node, "order.created", sub, hook))
	}
	now := time.Now()
	if jobs := claimIDs(t, s, store.Lease{Owner: "node-b", Until: now.Add(time.Minute)}, now.Add(2*time.Minute)); len(jobs) != 3 {
		t.Fatalf("the dispatcher claimed %d deliveries, want only the 3 webhook ones", len(jobs))
	}

	first := lease(t, s, sub, 2, now, 30*time.Second)
	if len(first) != 2 || first[0].DeliveryID != appended[0].Deliveries[0].ID || first[0].Attempts != 0 || string(first[0].Envelope) != string(appended[0].Envelope) {
		t.Fatalf("first lease = %+v, want the 2 oldest pull deliveries with their envelopes, untried", first)
	}
	if _, ok := store.ParseReceipt(first[0].Receipt.String()); !ok || first[0].Receipt == first[1].Receipt {
		t.Fatalf("receipts %v %v do not parse back or are not distinct", first[0].Receipt, first[1].Receipt)
	}
	rest := lease(t, s, sub, 10, now.Add(time.Second), 30*time.Second)
	if len(rest) != 1 || rest[0].DeliveryID != appended[2].Deliveries[0].ID {
		t.Fatalf("a second lease got %d messages, want only the one not leased", len(rest))
	}
	if again := lease(t, s, sub, 10, now.Add(29*time.Second), 30*time.Second); len(again) != 0 {
		t.Fatalf("leased messages were visible again within the visibility timeout: %d", len(again))
	}

	forged := store.Receipt{DeliveryID: first[0].DeliveryID, Token: store.NewLeaseToken()}
	acked, err := s.AckPull(ctx, sub.ID, []store.Receipt{first[0].Receipt, forged}, now.Add(2*time.Second))
	if err != nil || !acked[0] || acked[1] {
		t.Fatalf("AckPull = %v, %v; want the lease's receipt acked and a forged token refused", acked, err)
	}
	d := wantStatus(t, s, first[0].DeliveryID, event.Succeeded)
	if d.Attempts != 1 {
		t.Fatalf("acked delivery has %d attempts, want 1", d.Attempts)
	}
	if acked, _ := s.AckPull(ctx, sub.ID, []store.Receipt{first[0].Receipt}, now.Add(3*time.Second)); acked[0] {
		t.Fatal("a receipt acked twice was acked again")
	}
	if acked, _ := s.AckPull(ctx, hook.ID, []store.Receipt{first[1].Receipt}, now.Add(3*time.Second)); acked[0] {
		t.Fatal("a receipt was acked through another subscription")
	}

	// first[1]'s lease runs out and the message is leased again: the old
	// receipt is stale, the new one acks.
	later := now.Add(30*time.Second + 500*time.Millisecond) // before rest's lease ends
	second := lease(t, s, sub, 10, later, 30*time.Second)
	if len(second) != 1 || second[0].DeliveryID != first[1].DeliveryID || second[0].Attempts != 1 {
		t.Fatalf("after the visibility timeout got %+v, want %s again after 1 failed attempt", second, first[1].DeliveryID)
	}
	acked, err = s.AckPull(ctx, sub.ID, []store.Receipt{first[1].Receipt, second[0].Receipt}, later)
	if err != nil || acked[0] || !acked[1] {
		t.Fatalf("AckPull(stale, fresh) = %v, %v; want [false true]", acked, err)
	}
	attempts, err := s.ListAttempts(ctx, first[1].DeliveryID)
	if err != nil || len(attempts) != 2 || attempts[0].Error != store.PullExpired || attempts[1].Error != "" {
		t.Fatalf("attempts = %+v, %v; want the expired lease then the ack", attempts, err)
	}
	if d := wantStatus(t, s, first[1].DeliveryID, event.Succeeded); d.Attempts != 2 {
		t.Fatalf("delivery has %d attempts, want 2", d.Attempts)
	}
}

// testPullAckOfManyMessages: one ack settles every message of a pull, each
// with one attempt.
func testPullAckOfManyMessages(t *testing.T, s store.Store) {
	sub := newPullSubscription(t, s, 0)
	node := store.Lease{Owner: "node-a", Until: time.Now().Add(time.Minute)}
	for range 5 {
		publish(t, s, node, "order.created", sub)
	}
	now := time.Now()
	msgs := lease(t, s, sub, 10, now, 30*time.Second)
	if len(msgs) != 5 {
		t.Fatalf("leased %d messages, want 5", len(msgs))
	}
	acked, err := s.AckPull(ctx, sub.ID, receiptsOf(msgs), now.Add(time.Second))
	if err != nil || !slices.Equal(acked, []bool{true, true, true, true, true}) {
		t.Fatalf("AckPull = %v, %v; want the 5 receipts acked", acked, err)
	}
	for _, m := range msgs {
		if d := wantStatus(t, s, m.DeliveryID, event.Succeeded); d.Attempts != 1 {
			t.Fatalf("acked delivery has %d attempts, want 1", d.Attempts)
		}
	}
}

// testPullRepeatedReceipts: a receipt sent twice in one ack or nack is
// settled once, with one attempt, and the repeat is answered stale.
func testPullRepeatedReceipts(t *testing.T, s store.Store) {
	sub := newPullSubscription(t, s, 0)
	node := store.Lease{Owner: "node-a", Until: time.Now().Add(time.Minute)}
	publish(t, s, node, "order.created", sub)
	publish(t, s, node, "order.created", sub)
	now := time.Now()
	msgs := lease(t, s, sub, 2, now, 30*time.Second)
	if len(msgs) != 2 {
		t.Fatalf("leased %d messages, want 2", len(msgs))
	}
	nackTwice := append(receiptsOf(msgs[:1]), receiptsOf(msgs[:1])...)
	nacked, err := s.NackPull(ctx, store.PullNack{SubscriptionID: sub.ID, Receipts: nackTwice, Now: now, VisibleAt: now.Add(time.Hour), Policy: sub.RetryPolicy})
	if err != nil || !slices.Equal(nacked, []bool{true, false}) {
		t.Fatalf("NackPull of a receipt twice = %v, %v; want it nacked once, then stale", nacked, err)
	}
	if d := wantStatus(t, s, msgs[0].DeliveryID, event.Failed); d.Attempts != 1 {
		t.Fatalf("a receipt nacked twice in one call made %d attempts, want 1", d.Attempts)
	}
	ackTwice := append(receiptsOf(msgs[1:]), receiptsOf(msgs[1:])...)
	acked, err := s.AckPull(ctx, sub.ID, ackTwice, now.Add(time.Second))
	if err != nil || !slices.Equal(acked, []bool{true, false}) {
		t.Fatalf("AckPull of a receipt twice = %v, %v; want it acked once, then stale", acked, err)
	}
	if d := wantStatus(t, s, msgs[1].DeliveryID, event.Succeeded); d.Attempts != 1 {
		t.Fatalf("a receipt acked twice in one call made %d attempts, want 1", d.Attempts)
	}
}

// testPullExpiryAndNack: a nack hides a message for its delay and counts
// as a failed try; an expired lease does too; the retry policy makes it
// dead, and redrive makes it visible again.
func testPullExpiryAndNack(t *testing.T, s store.Store) {
	sub := newPullSubscription(t, s, 3)
	a := publish(t, s, store.Lease{Owner: "node-a", Until: time.Now().Add(time.Minute)}, "order.created", sub)
	id := a.Deliveries[0].ID
	now := time.Now()

	msgs := lease(t, s, sub, 10, now, time.Minute)
	nacked, err := s.NackPull(ctx, store.PullNack{SubscriptionID: sub.ID, Receipts: receiptsOf(msgs), Now: now, VisibleAt: now.Add(10 * time.Second), Policy: sub.RetryPolicy})
	if err != nil || len(nacked) != 1 || !nacked[0] {
		t.Fatalf("NackPull = %v, %v", nacked, err)
	}
	if d := wantStatus(t, s, id, event.Failed); d.Attempts != 1 || d.LastError != store.PullNacked {
		t.Fatalf("nacked delivery = %+v, want 1 failed attempt", d)
	}
	if again, _ := s.NackPull(ctx, store.PullNack{SubscriptionID: sub.ID, Receipts: receiptsOf(msgs), Now: now, VisibleAt: now, Policy: sub.RetryPolicy}); again[0] {
		t.Fatal("a receipt nacked twice was nacked again")
	}
	if got := lease(t, s, sub, 10, now.Add(9*time.Second), time.Minute); len(got) != 0 {
		t.Fatal("a nacked message was visible before its delay")
	}
	msgs = lease(t, s, sub, 10, now.Add(10*time.Second), time.Second)
	if len(msgs) != 1 || msgs[0].Attempts != 1 {
		t.Fatalf("after the nack delay got %+v, want the message on its second try", msgs)
	}
	// Its lease runs out: the second failed try; the third lease's expiry spends max_attempts 3.
	msgs = lease(t, s, sub, 10, now.Add(12*time.Second), time.Second)
	if len(msgs) != 1 || msgs[0].Attempts != 2 {
		t.Fatalf("after the lease ran out got %+v, want the message on its third try", msgs)
	}
	if d := wantStatus(t, s, id, event.Failed); d.Attempts != 2 || d.LastError != store.PullExpired {
		t.Fatalf("delivery = %+v, want 2 failed attempts, the last expired", d)
	}
	if got := lease(t, s, sub, 10, now.Add(14*time.Second), time.Second); len(got) != 0 {
		t.Fatalf("a message past max_attempts was leased again: %+v", got)
	}
	if d := wantStatus(t, s, id, event.Dead); d.Attempts != 3 {
		t.Fatalf("dead delivery has %d attempts, want 3", d.Attempts)
	}
	if acked, _ := s.AckPull(ctx, sub.ID, receiptsOf(msgs), now.Add(15*time.Second)); acked[0] {
		t.Fatal("the receipt of a dead message acked it")
	}

	if n, err := s.Redrive(ctx, sub.ID, now.Add(20*time.Second)); err != nil || n != 1 {
		t.Fatalf("Redrive = %d, %v", n, err)
	}
	if jobs := claimIDs(t, s, store.Lease{Owner: "node-b", Until: now.Add(time.Hour)}, now.Add(time.Hour)); len(jobs) != 0 {
		t.Fatal("the dispatcher claimed a redriven pull delivery")
	}
	if got := lease(t, s, sub, 10, time.Now().Add(time.Minute), time.Second); len(got) != 1 || got[0].Attempts != 3 {
		t.Fatalf("after redrive got %+v, want the message again", got)
	}
}

// testPullConcurrentLeases: consumers leasing at the same time never hold
// the same message.
func testPullConcurrentLeases(t *testing.T, s store.Store) {
	sub := newPullSubscription(t, s, 0)
	node := store.Lease{Owner: "node-a", Until: time.Now().Add(time.Minute)}
	const n = 200
	for range n / 20 {
		var batch []*store.Append
		for range 20 {
			batch = append(batch, newAppend("order.created", sub))
		}
		if err := s.AppendEvents(ctx, node, batch); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	held := map[string]int{}
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for c := range 4 {
		wg.Go(func() {
			for {
				msgs, err := s.LeasePull(ctx, store.PullLease{SubscriptionID: sub.ID, Limit: 7, Now: time.Now(), Until: time.Now().Add(time.Hour), Policy: sub.RetryPolicy})
				if err != nil {
					errs <- fmt.Errorf("consumer %d: %w", c, err)
					return
				}
				if len(msgs) == 0 {
					return
				}
				mu.Lock()
				for _, m := range msgs {
					held[m.DeliveryID]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if len(held) != n {
		t.Fatalf("consumers leased %d distinct messages, want %d", len(held), n)
	}
	for id, times := range held {
		if times != 1 {
			t.Fatalf("%s was leased %d times at once", id, times)
		}
	}
}
