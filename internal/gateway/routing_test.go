package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/eventgate/eventgate/internal/auth"
	"slices"
	"testing"
	"time"

	"github.com/eventgate/eventgate/internal/channel/webhook"
	"github.com/eventgate/eventgate/internal/event"
	"github.com/eventgate/eventgate/internal/ingest"
	"github.com/eventgate/eventgate/internal/store"
	"github.com/eventgate/eventgate/internal/store/postgres"
	"github.com/eventgate/eventgate/internal/store/postgres/pgtest"
)

// TestChangesRouteAtOnceOnOtherNodes holds read-your-writes across nodes:
// an event published on node b right after node a acknowledged a
// subscription change is routed by that change. b's follower polls once an
// hour here, so only ingest's own check can catch b up.
func TestChangesRouteAtOnceOnOtherNodes(t *testing.T) {
	url := pgtest.FreshSchema(t)
	node := func() (*Gateway, store.Store) {
		st, err := postgres.Open(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return startNode(t, st, func(c *Config) { c.PollInterval = time.Hour }), st
	}
	a, _ := node()
	b, st := node()
	ctx := context.Background()

	// publish publishes one event on b and returns the subscriptions its deliveries go to.
	publish := func(typ string) []string {
		t.Helper()
		ids, err := b.ingest.Publish(ctx, []ingest.Entry{{Event: &event.Event{ID: event.NewID(event.PrefixEvent), Type: typ, Time: time.Now().UTC(), Data: json.RawMessage(`{}`)}}})
		if err != nil {
			t.Fatal(err)
		}
		deliveries, _, err := st.ListDeliveries(ctx, store.DeliveryQuery{EventID: ids[0].ID})
		if err != nil {
			t.Fatal(err)
		}
		var subs []string
		for _, d := range deliveries {
			subs = append(subs, d.SubscriptionID)
		}
		return subs
	}
	newSubscription := func(typ string) *event.Subscription {
		t.Helper()
		s := &event.Subscription{Name: typ, Filter: event.Filter{EventTypes: []string{typ}}, Channel: event.Channel{Type: "webhook", Config: &webhook.Config{URL: "http://127.0.0.1:9/hook"}}}
		if err := a.CreateSubscription(ctx, auth.Admin, s); err != nil {
			t.Fatal(err)
		}
		return s
	}

	for round := range 20 {
		typ := fmt.Sprintf("order.round%d", round)
		s := newSubscription(typ)
		if got := publish(typ); !slices.Equal(got, []string{s.ID}) {
			t.Fatalf("round %d: an event published on b right after a created a subscription for it went to %v, want %s", round, got, s.ID)
		}
	}

	s := newSubscription("order.paused")
	if _, err := a.SetStatus(ctx, auth.Admin, s.ID, event.Paused, ""); err != nil {
		t.Fatal(err)
	}
	if got := publish("order.paused"); !slices.Equal(got, []string{s.ID}) {
		t.Fatalf("an event for a paused subscription went to %v, want %s (held until resumed)", got, s.ID)
	}
	if routed := b.router.Get(s.ID); routed == nil || routed.Status != event.Paused {
		t.Fatalf("b routed an event after a's pause with the subscription %s, want paused (so it is not sent)", statusOf(routed))
	}

	edit := func(s *event.Subscription) { s.Filter.EventTypes = []string{"order.other"} }
	if _, err := a.UpdateSubscription(ctx, auth.Admin, s.ID, edit); err != nil {
		t.Fatal(err)
	}
	if got := publish("order.paused"); len(got) != 0 {
		t.Fatalf("an event a's filter edit excludes went to %v, want none", got)
	}

	s = newSubscription("order.deleted")
	if err := a.DeleteSubscription(ctx, auth.Admin, s.ID); err != nil {
		t.Fatal(err)
	}
	if got := publish("order.deleted"); len(got) != 0 {
		t.Fatalf("an event for a subscription a deleted went to %v, want none", got)
	}
}
