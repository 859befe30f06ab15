package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/eventgate/eventgate/internal/auth"
	"github.com/eventgate/eventgate/internal/channel/webhook"
	"github.com/eventgate/eventgate/internal/event"
	"github.com/eventgate/eventgate/internal/ingest"
	"github.com/eventgate/eventgate/internal/store"
	"github.com/eventgate/eventgate/internal/store/sqlite"
)

// Two gateways on one store in one process behave as two nodes sharing a
// database: what one changes, the other must learn from the store alone.

func sharedStore(t *testing.T) store.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func startNode(t *testing.T, st store.Store, mutate func(*Config)) *Gateway {
	t.Helper()
	cfg := Config{AllowPrivateTargets: true, PollInterval: 20 * time.Millisecond, Lease: 300 * time.Millisecond}
	if mutate != nil {
		mutate(&cfg)
	}
	g, err := Start(context.Background(), st, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if !stopped[g] {
			g.Shutdown(context.Background())
		}
	})
	return g
}

// stopped records the nodes a test shut down itself: Shutdown runs once.
var stopped = map[*Gateway]bool{}

// eventually waits up to two seconds for cond.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(2 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s did not happen within 2s", what)
		}
	}
}

func TestChangesReachOtherNodes(t *testing.T) {
	st := sharedStore(t)
	a, b := startNode(t, st, nil), startNode(t, st, nil)
	ctx := context.Background()

	sub := &event.Subscription{Name: "s", Channel: event.Channel{Type: "webhook", Config: &webhook.Config{URL: "http://127.0.0.1:9/hook"}}}
	if err := a.CreateSubscription(ctx, auth.Admin, sub); err != nil {
		t.Fatal(err)
	}
	eventually(t, "a subscription created on node a reaching node b", func() bool { return b.router.Get(sub.ID) != nil })
	if _, err := a.SetStatus(ctx, auth.Admin, sub.ID, event.Paused, ""); err != nil {
		t.Fatal(err)
	}
	eventually(t, "a pause on node a reaching node b", func() bool { return b.router.Get(sub.ID).Status == event.Paused })
	if err := a.DeleteSubscription(ctx, auth.Admin, sub.ID); err != nil {
		t.Fatal(err)
	}
	eventually(t, "a delete on node a reaching node b", func() bool { return b.router.Get(sub.ID) == nil })

	typ := &event.EventType{Name: "order.created", Schema: json.RawMessage(`{"type":"object","required":["id"]}`)}
	if _, err := a.PutEventType(ctx, auth.Admin, typ); err != nil {
		t.Fatal(err)
	}
	invalid := &event.Event{ID: event.NewID(event.PrefixEvent), Type: "order.created", Data: json.RawMessage(`{}`)}
	eventually(t, "an event type schema put on node a reaching node b", func() bool {
		var ve *event.ValidationError
		return errors.As(b.catalog.Check(invalid), &ve)
	})

	partner := &event.Partner{Name: "p", SubscribeTypes: []string{"order.*"}}
	if err := a.CreatePartner(ctx, auth.Admin, partner); err != nil {
		t.Fatal(err)
	}
	theirs := &event.Subscription{Name: "s", PartnerID: partner.ID, Channel: event.Channel{Type: "webhook", Config: &webhook.Config{URL: "http://127.0.0.1:9/hook"}}}
	if err := a.CreateSubscription(ctx, auth.Admin, theirs); err != nil {
		t.Fatal(err)
	}
	receives := func(g *Gateway, typ string) bool { return slices.Contains(g.router.Receivers(typ), theirs.ID) }
	eventually(t, "a partner's subscription reaching node b", func() bool { return receives(b, "order.created") })
	if receives(b, "shipment.status") {
		t.Fatal("node b routes a type the partner is not granted")
	}
	if _, err := a.UpdatePartner(ctx, auth.Admin, partner.ID, func(p *event.Partner) { p.SubscribeTypes = []string{"order.*", "shipment.*"} }); err != nil {
		t.Fatal(err)
	}
	eventually(t, "a partner's grant changed on node a reaching node b", func() bool { return receives(b, "shipment.status") })
}

func leaders(nodes ...*Gateway) (n int, leader *Gateway) {
	for _, g := range nodes {
		if g.cluster.leader.Load() {
			n, leader = n+1, g
		}
	}
	return n, leader
}

func TestOneLeaderAtATime(t *testing.T) {
	st := sharedStore(t)
	nodes := []*Gateway{startNode(t, st, nil), startNode(t, st, nil), startNode(t, st, nil)}
	eventually(t, "a leader being chosen", func() bool { n, _ := leaders(nodes...); return n == 1 })
	for range 5 { // and it stays one
		time.Sleep(100 * time.Millisecond)
		if n, _ := leaders(nodes...); n != 1 {
			t.Fatalf("%d leaders, want 1", n)
		}
	}
	_, old := leaders(nodes...)
	old.Shutdown(context.Background())
	stopped[old] = true
	var rest []*Gateway
	for _, g := range nodes {
		if g != old {
			rest = append(rest, g)
		}
	}
	// The lease was given up: the next try of another node takes it (lease/3).
	eventually(t, "another node taking the lead over", func() bool { n, _ := leaders(rest...); return n == 1 })
}

func TestLeaderDeletesOldEvents(t *testing.T) {
	st := sharedStore(t)
	g := startNode(t, st, func(c *Config) { c.SingleNode, c.Retention = true, time.Millisecond })
	ids, err := g.ingest.Publish(context.Background(), []ingest.Entry{{
		Event: &event.Event{ID: event.NewID(event.PrefixEvent), Type: "order.created", Time: time.Now().UTC(), Data: json.RawMessage(`{}`)},
	}})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "an event past retention with nothing to deliver being deleted", func() bool {
		_, err := st.GetEvent(context.Background(), ids[0].ID)
		return errors.Is(err, store.ErrNotFound)
	})
}

func TestLeaderPrunesTheAuditLog(t *testing.T) {
	st := sharedStore(t)
	now := time.Now().UTC()
	old := &store.AuditEntry{ID: event.NewID(event.PrefixAudit), Time: now.Add(-time.Hour), Action: AuditPartnerCreate, TargetID: "ptn_old"}
	kept := &store.AuditEntry{ID: event.NewID(event.PrefixAudit), Time: now, Action: AuditPartnerCreate, TargetID: "ptn_new"}
	for _, e := range []*store.AuditEntry{old, kept} {
		if err := st.AppendAudit(context.Background(), e); err != nil {
			t.Fatal(err)
		}
	}
	startNode(t, st, func(c *Config) { c.SingleNode, c.AuditRetention = true, time.Minute })
	eventually(t, "the audit entry past its retention being deleted", func() bool {
		entries, _, err := st.ListAudit(context.Background(), store.AuditQuery{})
		return err == nil && len(entries) == 1 && entries[0].ID == kept.ID
	})
}
