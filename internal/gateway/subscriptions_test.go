package gateway

import (
	"context"
	"errors"
	"testing"

	"github.com/eventgate/eventgate/internal/auth"
	"github.com/eventgate/eventgate/internal/channel/webhook"
	"github.com/eventgate/eventgate/internal/event"
	"github.com/eventgate/eventgate/internal/store"
)

// routerFirstStore checks, as each subscription change is written, that
// the router already routes by it; failWrites makes the writes fail.
type routerFirstStore struct {
	store.Store
	t          *testing.T
	g          *Gateway
	failWrites bool
}

var errWriteFailed = errors.New("write failed")

func (s *routerFirstStore) UpdateSubscription(ctx context.Context, sub *event.Subscription) error {
	if routed := s.g.router.Get(sub.ID); routed == nil || routed.Status != sub.Status {
		s.t.Errorf("the store is written (status %s) before the router routes by the change (%s)", sub.Status, statusOf(routed))
	}
	if s.failWrites {
		return errWriteFailed
	}
	return s.Store.UpdateSubscription(ctx, sub)
}

func (s *routerFirstStore) DeleteSubscription(ctx context.Context, id string) error {
	if routed := s.g.router.Get(id); routed != nil {
		s.t.Errorf("the store deletes a subscription the router still routes (%s)", statusOf(routed))
	}
	if s.failWrites {
		return errWriteFailed
	}
	return s.Store.DeleteSubscription(ctx, id)
}

// TestSubscriptionChangesReachTheRouterFirst: once a pause, a disable or
// a delete can be read back, no event published after it may be routed by
// the old version (a 410 Gone that disabled a subscription still got the
// next event); and a change the store refuses leaves the router as the
// store is.
func TestSubscriptionChangesReachTheRouterFirst(t *testing.T) {
	ctx := context.Background()
	st := &routerFirstStore{Store: sharedStore(t), t: t}
	g := startNode(t, st, nil)
	st.g = g
	sub := &event.Subscription{Name: "s", Channel: event.Channel{Type: "webhook", Config: &webhook.Config{URL: "http://127.0.0.1:9/hook"}}}
	if err := g.CreateSubscription(ctx, auth.Admin, sub); err != nil {
		t.Fatal(err)
	}
	if _, err := g.SetStatus(ctx, auth.Admin, sub.ID, event.Disabled, "gone"); err != nil {
		t.Fatal(err)
	}

	st.failWrites = true
	if _, err := g.SetStatus(ctx, auth.Admin, sub.ID, event.Active, ""); !errors.Is(err, errWriteFailed) {
		t.Fatalf("SetStatus with a failing store: %v", err)
	}
	if routed := g.router.Get(sub.ID); routed == nil || routed.Status != event.Disabled {
		t.Fatalf("after a refused write the router routes it as %s, want as stored: disabled", statusOf(routed))
	}
	if err := g.DeleteSubscription(ctx, auth.Admin, sub.ID); !errors.Is(err, errWriteFailed) {
		t.Fatalf("DeleteSubscription with a failing store: %v", err)
	}
	if routed := g.router.Get(sub.ID); routed == nil {
		t.Fatal("after a refused delete the router no longer routes the stored subscription")
	}

	st.failWrites = false
	if err := g.DeleteSubscription(ctx, auth.Admin, sub.ID); err != nil {
		t.Fatal(err)
	}
	if routed := g.router.Get(sub.ID); routed != nil {
		t.Fatalf("a deleted subscription is still routed (%s)", statusOf(routed))
	}
}

func statusOf(s *event.Subscription) string {
	if s == nil {
		return "absent"
	}
	return string(s.Status)
}
