package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/eventgate/eventgate/internal/event"
	"github.com/eventgate/eventgate/internal/store"
)

func testReplays(t *testing.T, s store.Store) {
	sub, other := newSubscription(t, s, "orders"), newSubscription(t, s, "other")
	lease := store.Lease{Owner: "node-a", Until: time.Now().Add(time.Minute)}
	publish(t, s, lease, "order.created", sub) // before the window
	from := time.Now().UTC().Truncate(time.Microsecond)
	in1, in2 := publish(t, s, lease, "order.created", sub), publish(t, s, lease, "order.paid")
	to := time.Now().UTC().Add(time.Microsecond).Truncate(time.Microsecond)
	for time.Now().Before(to) { // at most a microsecond, so that the next event is after the window
	}
	publish(t, s, lease, "order.created", sub)

	now := time.Now().UTC().Truncate(time.Microsecond)
	r := &event.Replay{ID: event.NewID(event.PrefixReplay), SubscriptionID: sub.ID, From: from, To: to, EventTypes: []string{"order.*"},
		Status: event.ReplayRunning, CreatedAt: now, UpdatedAt: now}
	if err := s.CreateReplay(ctx, r); err != nil {
		t.Fatalf("CreateReplay: %v", err)
	}
	publish(t, s, lease, "order.created", sub) // after the replay was made: never covered

	page, err := s.ReplayPage(ctx, r, 1)
	if err != nil || len(page) != 1 || page[0].ID != in1.Event.ID || string(page[0].Envelope) != string(in1.Envelope) {
		t.Fatalf("first page = %+v, %v; want the window's first event %s", page, err, in1.Event.ID)
	}
	d := &event.Delivery{ID: event.NewID(event.PrefixDelivery), EventID: in1.Event.ID, SubscriptionID: sub.ID}
	if err := s.AdvanceReplay(ctx, r, page[0].Seq, 1, []*event.Delivery{d}, false, now); err != nil {
		t.Fatalf("AdvanceReplay: %v", err)
	}
	// A second writer at the old cursor (another node) stores nothing.
	stale := *r
	if err := s.AdvanceReplay(ctx, &stale, page[0].Seq, 1, []*event.Delivery{{ID: event.NewID(event.PrefixDelivery), EventID: in1.Event.ID, SubscriptionID: sub.ID}}, false, now); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("AdvanceReplay from a stale cursor = %v, want ErrConflict", err)
	}
	got, err := s.GetReplay(ctx, r.ID)
	if err != nil || got.Matched != 1 || got.Created != 1 || got.Pending != 1 || got.Delivered != 0 || got.Status != event.ReplayRunning ||
		!got.From.Equal(from) || !got.To.Equal(to) || len(got.EventTypes) != 1 {
		t.Fatalf("GetReplay after one page = %+v, %v", got, err)
	}
	if jobs := claimIDs(t, s, lease, time.Now()); jobs[d.ID] == nil || jobs[d.ID].EventID != in1.Event.ID {
		t.Fatalf("the replay's delivery is not due: claimed %v", jobs)
	}
	page, err = s.ReplayPage(ctx, got, 10)
	if err != nil || len(page) != 1 || page[0].ID != in2.Event.ID {
		t.Fatalf("rest of the window = %+v, %v; want only %s", page, err, in2.Event.ID)
	}
	if err := s.AdvanceReplay(ctx, got, page[0].Seq, 0, nil, true, now); err != nil {
		t.Fatalf("finishing: %v", err)
	}
	if err := s.Settle(ctx, lease.Owner, []*store.Outcome{{DeliveryID: d.ID, Attempt: attempt(d.ID, 200, ""), Status: event.Succeeded}}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.GetReplay(ctx, r.ID); got.Status != event.ReplayDone || got.Delivered != 1 || got.Pending != 0 {
		t.Fatalf("finished replay = %+v", got)
	}
	if running, err := s.RunningReplays(ctx); err != nil || len(running) != 0 {
		t.Fatalf("RunningReplays = %v, %v; want none", running, err)
	}
	if err := s.CancelReplay(ctx, r.ID, now); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("cancelling a finished replay = %v, want ErrConflict", err)
	}
	if err := s.CancelReplay(ctx, "rpl_missing", now); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("cancelling an unknown replay = %v, want ErrNotFound", err)
	}

	// A replay into a paused subscription parks its deliveries; cancelling stops it.
	other.Status = event.Paused
	if err := s.UpdateSubscription(ctx, other); err != nil {
		t.Fatal(err)
	}
	second := &event.Replay{ID: event.NewID(event.PrefixReplay), SubscriptionID: other.ID, From: from, To: to, Status: event.ReplayRunning, CreatedAt: now, UpdatedAt: now}
	if err := s.CreateReplay(ctx, second); err != nil {
		t.Fatal(err)
	}
	if running, err := s.RunningReplays(ctx); err != nil || len(running) != 1 || running[0].ID != second.ID {
		t.Fatalf("RunningReplays = %v, %v; want %s", running, err, second.ID)
	}
	parked := &event.Delivery{ID: event.NewID(event.PrefixDelivery), EventID: in1.Event.ID, SubscriptionID: other.ID}
	if err := s.AdvanceReplay(ctx, second, 1, 1, []*event.Delivery{parked}, false, now); err != nil {
		t.Fatal(err)
	}
	if jobs := claimIDs(t, s, lease, time.Now()); jobs[parked.ID] != nil {
		t.Fatal("a replay's delivery to a paused subscription was claimed")
	}
	if err := s.CancelReplay(ctx, second.ID, now); err != nil {
		t.Fatalf("CancelReplay: %v", err)
	}
	if got, _ := s.GetReplay(ctx, second.ID); got.Status != event.ReplayCancelled {
		t.Fatalf("cancelled replay reads %s", got.Status)
	}
	cancelled, _ := s.GetReplay(ctx, second.ID)
	if err := s.AdvanceReplay(ctx, cancelled, 2, 0, nil, false, now); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("advancing a cancelled replay = %v, want ErrConflict", err)
	}

	all, _, err := s.ListReplays(ctx, store.ReplayQuery{})
	if err != nil || len(all) != 2 || all[0].ID != second.ID {
		t.Fatalf("ListReplays = %v, %v; want both, newest first", all, err)
	}
	if mine, _, err := s.ListReplays(ctx, store.ReplayQuery{PartnerID: "ptn_nobody"}); err != nil || len(mine) != 0 {
		t.Fatalf("ListReplays of a partner without subscriptions = %v, %v", mine, err)
	}
}
