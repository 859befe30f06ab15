package gateway_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/eventgate/eventgate/internal/channel/pull"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/eventgate/eventgate/internal/auth"
	"github.com/eventgate/eventgate/internal/channel/webhook"
	"github.com/eventgate/eventgate/internal/event"
	"github.com/eventgate/eventgate/internal/gateway"
	"github.com/eventgate/eventgate/internal/source"
	"github.com/eventgate/eventgate/internal/store"
	"github.com/eventgate/eventgate/internal/store/sqlite"
)

var ctx = context.Background()

// world is a gateway with two partners, their keys, and what partner A owns.
type world struct {
	t    *testing.T
	g    *gateway.Gateway
	hook string // a receiver that answers 204

	who                    map[string]auth.Principal // by role name
	partnerA, partnerB     string
	subA, subB, subOfAdmin string
	evtA, dlvA             string
	source                 string
	replay                 string // into subA
}

func newWorld(t *testing.T) *world {
	t.Helper()
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	g, err := gateway.Start(ctx, st, gateway.Config{AllowPrivateTargets: true, SingleNode: true, PollInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	t.Cleanup(func() {
		hook.Close()
		g.Shutdown(ctx)
		st.Close()
	})
	w := &world{t: t, g: g, hook: hook.URL, who: map[string]auth.Principal{"admin": auth.Admin}}
	w.partnerA = w.partner("Acme", "order.*", "shipment.*")
	w.partnerB = w.partner("Globex", "order.*")
	w.who["partnerA"] = w.key(gateway.KeyRequest{Scope: auth.ScopePartner, Name: "acme", PartnerID: w.partnerA, PublishTypes: []string{"shipment.*"}})
	w.who["partnerB"] = w.key(gateway.KeyRequest{Scope: auth.ScopePartner, Name: "globex", PartnerID: w.partnerB})
	w.who["publisher"] = w.key(gateway.KeyRequest{Scope: auth.ScopePublisher, Name: "shop", PublishTypes: []string{"order.*", "internal.*"}})
	w.subA = w.subscribe(w.partnerA, "order.*")
	w.subB = w.subscribe(w.partnerB, "order.*")
	w.subOfAdmin = w.subscribe("", "order.*")
	w.evtA = w.publish("publisher", &event.Event{Type: "order.created", Data: json.RawMessage(`{}`)})
	w.dlvA = w.deliveries(w.evtA)[w.subA]
	src := newSource()
	if err := g.CreateSource(ctx, auth.Admin, src); err != nil {
		t.Fatal(err)
	}
	w.source = src.ID
	r := w.replayOf(w.subA)
	if err := g.CreateReplay(ctx, auth.Admin, r); err != nil {
		t.Fatal(err)
	}
	w.replay = r.ID
	return w
}

// replayOf is a replay of the last hour into a subscription.
func (w *world) replayOf(sub string) *event.Replay {
	return &event.Replay{SubscriptionID: sub, From: time.Now().Add(-time.Hour), To: time.Now()}
}

// newSource is a source of GitHub-style webhooks.
func newSource() *source.Source {
	return &source.Source{Name: "github", Verify: source.Verify{Type: "hmac", Secret: "s3cret", Header: "x-hub-signature-256", Prefix: "sha256="},
		EventType: source.Locator{Header: "x-github-event"}}
}

// partner creates a partner granted to receive types.
func (w *world) partner(name string, types ...string) string {
	w.t.Helper()
	p := &event.Partner{Name: name, SubscribeTypes: types}
	if err := w.g.CreatePartner(ctx, auth.Admin, p); err != nil {
		w.t.Fatal(err)
	}
	return p.ID
}

// key creates a key and returns the principal it authenticates as.
func (w *world) key(req gateway.KeyRequest) auth.Principal {
	w.t.Helper()
	secret, _, err := w.g.CreateKey(ctx, auth.Admin, req)
	if err != nil {
		w.t.Fatal(err)
	}
	who, err := w.g.Authenticate(ctx, secret)
	if err != nil {
		w.t.Fatal(err)
	}
	return who
}

// subscribe creates, as admin, a subscription of a partner ("" for none)
// to the given event types (none: every type).
func (w *world) subscribe(partnerID string, types ...string) string {
	w.t.Helper()
	sub := w.newSubscription(types...)
	sub.PartnerID = partnerID
	if err := w.g.CreateSubscription(ctx, auth.Admin, sub); err != nil {
		w.t.Fatal(err)
	}
	return sub.ID
}

func (w *world) newSubscription(types ...string) *event.Subscription {
	return &event.Subscription{Name: "hook", Channel: event.Channel{Type: "webhook", Config: &webhook.Config{URL: w.hook}}, Filter: event.Filter{EventTypes: types}}
}

// publish publishes an event as the named role and returns its id.
func (w *world) publish(role string, e *event.Event) string {
	w.t.Helper()
	p, err := w.g.Prepare(w.who[role], e, "")
	if err != nil {
		w.t.Fatal(err)
	}
	stored, err := w.g.Publish(ctx, []gateway.Prepared{p})
	if err == nil {
		err = stored[0].Err
	}
	if err != nil {
		w.t.Fatal(err)
	}
	return stored[0].ID
}

// deliveries returns an event's deliveries by subscription: they are
// committed with the event, so what routing decided is known at once.
func (w *world) deliveries(eventID string) map[string]string {
	w.t.Helper()
	ds, _, err := w.g.ListDeliveries(ctx, auth.Admin, store.DeliveryQuery{EventID: eventID})
	if err != nil {
		w.t.Fatal(err)
	}
	bySub := map[string]string{}
	for _, d := range ds {
		bySub[d.SubscriptionID] = d.ID
	}
	return bySub
}

// Who may call an operation, on partner A's things where it names one.
type reach int

const (
	adminOnly  reach = iota
	ownByID          // partner A's thing, by id: admin and partner A
	anyPartner       // no id (lists, creations): admin and every partner, on their own
	publishing       // publishers and partners within their grants
	receiving        // admin, and partners granted the type (partner A: shipment.*)
)

// TestAccessMatrix calls every operation as every kind of principal and
// checks who gets in. A partner reaching what is not its own gets
// store.ErrNotFound, as for what does not exist, so that it learns nothing
// of other partners' ids; a publisher gets a *gateway.Forbidden. One world
// serves every case: operations that destroy what they name get a fresh
// target each time.
func TestAccessMatrix(t *testing.T) {
	w := newWorld(t)
	g := w.g
	freshSub := func() string { return w.subscribe(w.partnerA, "order.*") }
	pullA := &event.Subscription{Name: "pulled", PartnerID: w.partnerA, Channel: event.Channel{Type: "pull", Config: &pull.Config{}}, Filter: event.Filter{EventTypes: []string{"order.*"}}}
	if err := g.CreateSubscription(ctx, auth.Admin, pullA); err != nil {
		t.Fatal(err)
	}
	staleReceipt := []string{store.Receipt{DeliveryID: w.dlvA, Token: store.NewLeaseToken()}.String()}
	unused := 0 // names event types made to be deleted
	ops := []struct {
		name  string
		reach reach
		call  func(who auth.Principal) error
	}{
		{"Prepare order.created", publishing, func(who auth.Principal) error {
			_, err := g.Prepare(who, &event.Event{Type: "order.created", Data: json.RawMessage(`{}`)}, "")
			return err
		}},
		{"ListEvents", adminOnly, func(who auth.Principal) error {
			_, _, err := g.ListEvents(ctx, who, store.EventQuery{})
			return err
		}},
		{"GetEvent", adminOnly, func(who auth.Principal) error { _, _, err := g.GetEvent(ctx, who, w.evtA); return err }},

		{"CreateSubscription", anyPartner, func(who auth.Principal) error {
			return g.CreateSubscription(ctx, who, w.newSubscription("order.created"))
		}},
		{"CreateSubscription to another partner's status events", receiving, func(who auth.Principal) error {
			return g.CreateSubscription(ctx, who, w.newSubscription("shipment.status"))
		}},
		{"ListSubscriptions", anyPartner, func(who auth.Principal) error {
			_, _, err := g.ListSubscriptions(ctx, who, store.Page{})
			return err
		}},
		{"GetSubscription", ownByID, func(who auth.Principal) error { _, err := g.GetSubscription(ctx, who, w.subA); return err }},
		{"UpdateSubscription", ownByID, func(who auth.Principal) error {
			_, err := g.UpdateSubscription(ctx, who, w.subA, func(s *event.Subscription) { s.Name = "renamed" })
			return err
		}},
		{"DeleteSubscription", ownByID, func(who auth.Principal) error { return g.DeleteSubscription(ctx, who, freshSub()) }},
		{"SetStatus", ownByID, func(who auth.Principal) error {
			_, err := g.SetStatus(ctx, who, w.subA, event.Active, "")
			return err
		}},
		{"RotateSecret", ownByID, func(who auth.Principal) error { _, err := g.RotateSecret(ctx, who, w.subA); return err }},
		{"Redrive", ownByID, func(who auth.Principal) error { _, err := g.Redrive(ctx, who, w.subA); return err }},
		{"Pull", ownByID, func(who auth.Principal) error {
			_, err := g.Pull(ctx, who, pullA.ID, gateway.PullRequest{})
			return err
		}},
		{"Ack", ownByID, func(who auth.Principal) error { _, err := g.Ack(ctx, who, pullA.ID, staleReceipt); return err }},
		{"Nack", ownByID, func(who auth.Principal) error { _, err := g.Nack(ctx, who, pullA.ID, staleReceipt, 0); return err }},

		{"ListDeliveries", anyPartner, func(who auth.Principal) error {
			_, _, err := g.ListDeliveries(ctx, who, store.DeliveryQuery{})
			return err
		}},
		{"GetDelivery", ownByID, func(who auth.Principal) error { _, _, err := g.GetDelivery(ctx, who, w.dlvA); return err }},
		{"Retry", ownByID, func(who auth.Principal) error {
			_, err := g.Retry(ctx, who, w.dlvA)
			if errors.Is(err, store.ErrConflict) {
				return nil // let in, but the delivery is still waiting: nothing to retry
			}
			return err
		}},

		{"ListEventTypes", anyPartner, func(who auth.Principal) error {
			_, _, err := g.ListEventTypes(ctx, who, store.Page{})
			return err
		}},
		{"GetEventType", anyPartner, func(who auth.Principal) error { _, err := g.GetEventType(ctx, who, "order.created"); return err }},
		{"PutEventType", adminOnly, func(who auth.Principal) error {
			_, err := g.PutEventType(ctx, who, &event.EventType{Name: "order.created", Description: "x"})
			return err
		}},
		{"PatchEventType", adminOnly, func(who auth.Principal) error {
			_, err := g.PatchEventType(ctx, who, "order.created", map[string]json.RawMessage{"description": json.RawMessage(`"y"`)})
			return err
		}},
		{"DeleteEventType", adminOnly, func(who auth.Principal) error {
			unused++
			name := fmt.Sprintf("unused.t%d", unused)
			if _, err := g.PutEventType(ctx, auth.Admin, &event.EventType{Name: name}); err != nil {
				t.Fatal(err)
			}
			return g.DeleteEventType(ctx, who, name)
		}},

		{"CreatePartner", adminOnly, func(who auth.Principal) error { return g.CreatePartner(ctx, who, &event.Partner{Name: "x"}) }},
		{"ListPartners", adminOnly, func(who auth.Principal) error { _, _, err := g.ListPartners(ctx, who, store.Page{}); return err }},
		{"GetPartner", adminOnly, func(who auth.Principal) error { _, err := g.GetPartner(ctx, who, w.partnerA); return err }},
		{"UpdatePartner", adminOnly, func(who auth.Principal) error {
			_, err := g.UpdatePartner(ctx, who, w.partnerA, func(p *event.Partner) { p.Name = "Acme Corp" })
			return err
		}},
		{"DeletePartner", adminOnly, func(who auth.Principal) error { return g.DeletePartner(ctx, who, w.partner("doomed")) }},
		{"PartnerUsage", ownByID, func(who auth.Principal) error {
			_, err := g.PartnerUsage(ctx, who, w.partnerA, gateway.MonthStart(time.Now()), time.Now())
			return err
		}},

		{"CreateKey", adminOnly, func(who auth.Principal) error {
			_, _, err := g.CreateKey(ctx, who, gateway.KeyRequest{Scope: auth.ScopePublisher, Name: "k"})
			return err
		}},
		{"ListKeys", adminOnly, func(who auth.Principal) error { _, _, err := g.ListKeys(ctx, who, store.KeyQuery{}); return err }},
		{"RevokeKey", adminOnly, func(who auth.Principal) error {
			_, k, err := g.CreateKey(ctx, auth.Admin, gateway.KeyRequest{Scope: auth.ScopePublisher, Name: "doomed"})
			if err != nil {
				t.Fatal(err)
			}
			return g.RevokeKey(ctx, who, k.ID)
		}},

		{"CreateSource", adminOnly, func(who auth.Principal) error {
			return g.CreateSource(ctx, who, newSource())
		}},
		{"ListSources", adminOnly, func(who auth.Principal) error { _, _, err := g.ListSources(ctx, who, store.Page{}); return err }},
		{"GetSource", adminOnly, func(who auth.Principal) error { _, err := g.GetSource(ctx, who, w.source); return err }},
		{"UpdateSource", adminOnly, func(who auth.Principal) error {
			name := "renamed"
			_, err := g.UpdateSource(ctx, who, w.source, gateway.SourceChange{Name: &name})
			return err
		}},
		{"DeleteSource", adminOnly, func(who auth.Principal) error {
			src := newSource()
			if err := g.CreateSource(ctx, auth.Admin, src); err != nil {
				t.Fatal(err)
			}
			return g.DeleteSource(ctx, who, src.ID)
		}},

		{"CreateReplay", ownByID, func(who auth.Principal) error { return g.CreateReplay(ctx, who, w.replayOf(w.subA)) }},
		{"ListReplays", anyPartner, func(who auth.Principal) error { _, _, err := g.ListReplays(ctx, who, store.Page{}); return err }},
		{"GetReplay", ownByID, func(who auth.Principal) error { _, err := g.GetReplay(ctx, who, w.replay); return err }},
		{"CancelReplay", ownByID, func(who auth.Principal) error {
			r := w.replayOf(w.subA)
			if err := g.CreateReplay(ctx, auth.Admin, r); err != nil {
				t.Fatal(err)
			}
			_, err := g.CancelReplay(ctx, who, r.ID)
			if errors.Is(err, store.ErrConflict) {
				return nil // let in, but the replay had finished: nothing to cancel
			}
			return err
		}},

		{"ListAudit", adminOnly, func(who auth.Principal) error { _, _, err := g.ListAudit(ctx, who, store.AuditQuery{}); return err }},
	}
	covered := map[string]bool{} // by method: a row's name starts with it
	for _, op := range ops {
		covered[strings.Fields(op.name)[0]] = true
	}
	principal := reflect.TypeFor[auth.Principal]()
	for m := range reflect.TypeFor[*gateway.Gateway]().Methods() {
		for i := range m.Type.NumIn() {
			if m.Type.In(i) == principal && !covered[m.Name] {
				t.Errorf("operation %s takes a principal but has no row in the access matrix", m.Name)
			}
		}
	}
	for _, op := range ops {
		for _, role := range []string{"admin", "publisher", "partnerA", "partnerB"} {
			err := op.call(w.who[role])
			var forbidden *gateway.Forbidden
			switch want := expected(op.reach, role); {
			case want == nil && err != nil:
				t.Errorf("%s as %s: %v, want it allowed", op.name, role, err)
			case want == store.ErrNotFound && !errors.Is(err, store.ErrNotFound):
				t.Errorf("%s as %s: %v, want store.ErrNotFound", op.name, role, err)
			case want == errForbidden && !errors.As(err, &forbidden):
				t.Errorf("%s as %s: %v, want a *gateway.Forbidden", op.name, role, err)
			}
		}
	}
}

var errForbidden = errors.New("forbidden")

// expected is what a role gets from an operation of the given reach.
// Partner A may publish and receive shipment.*, partner B publish nothing
// and receive order.* only.
func expected(r reach, role string) error {
	switch {
	case role == "admin":
		return nil
	case r == publishing && role == "publisher":
		return nil
	case r == publishing || role == "publisher":
		return errForbidden
	case r == receiving && role == "partnerB":
		return errForbidden
	case r == adminOnly:
		return store.ErrNotFound
	case r == ownByID && role == "partnerB":
		return store.ErrNotFound
	}
	return nil
}

// TestPartnersSeeOnlyTheirOwn: what lists and the catalog answer a
// partner holds only its own things.
func TestPartnersSeeOnlyTheirOwn(t *testing.T) {
	w := newWorld(t)
	subs, _, err := w.g.ListSubscriptions(ctx, w.who["partnerA"], store.Page{})
	if err != nil || len(subs) != 1 || subs[0].ID != w.subA {
		t.Fatalf("partner A lists %d subscriptions (%v), want only its own %s", len(subs), err, w.subA)
	}
	ds, _, err := w.g.ListDeliveries(ctx, w.who["partnerB"], store.DeliveryQuery{EventID: w.evtA})
	if err != nil || len(ds) != 1 || ds[0].SubscriptionID != w.subB {
		t.Fatalf("partner B lists %d deliveries of the event (%v), want only its own", len(ds), err)
	}
	mine := w.newSubscription()
	if err := w.g.CreateSubscription(ctx, w.who["partnerA"], mine); err != nil || mine.PartnerID != w.partnerA || mine.Environment != "prod" {
		t.Fatalf("partner A's new subscription: %+v, %v", mine, err)
	}
	theirs := w.newSubscription()
	theirs.PartnerID = w.partnerB
	var ve *event.ValidationError
	if err := w.g.CreateSubscription(ctx, w.who["partnerA"], theirs); !errors.As(err, &ve) || ve.Fields[0].Field != "partner_id" {
		t.Fatalf("partner A creating partner B's subscription: %v", err)
	}

	// The catalog lists, beside a type, only the partner's own receivers.
	entry, err := w.g.GetEventType(ctx, w.who["partnerA"], "order.created")
	if err != nil || !slices.Equal(entry.Subscriptions, []string{mine.ID, w.subA}) && !slices.Equal(entry.Subscriptions, []string{w.subA, mine.ID}) {
		t.Fatalf("partner A sees receivers %v (%v), want only %s and %s", entry.Subscriptions, err, w.subA, mine.ID)
	}
	all, err := w.g.GetEventType(ctx, auth.Admin, "order.created")
	if err != nil || len(all.Subscriptions) != 4 {
		t.Fatalf("the admin sees receivers %v (%v), want all four", all.Subscriptions, err)
	}
}

// TestPartnerReceivesOnlyGrantedTypes: whatever its filter says, a
// partner's subscription receives only the types the partner is granted
// (subscribe_types), and a change of the grant routes at once.
func TestPartnerReceivesOnlyGrantedTypes(t *testing.T) {
	w := newWorld(t)
	b := w.who["partnerB"] // granted order.* only
	everything := w.newSubscription()
	if err := w.g.CreateSubscription(ctx, b, everything); err != nil {
		t.Fatal(err)
	}
	fromA := w.newSubscription()
	fromA.Filter.Pattern = json.RawMessage(`{"source":["partner/` + w.partnerA + `"]}`)
	if err := w.g.CreateSubscription(ctx, b, fromA); err != nil {
		t.Fatal(err)
	}
	byAdmin := w.subscribe(w.partnerB) // the admin may not widen it either

	for _, types := range [][]string{{"shipment.status"}, {"*"}, {"order.created", "internal.payroll"}} {
		var forbidden *gateway.Forbidden
		err := w.g.CreateSubscription(ctx, b, w.newSubscription(types...))
		if !errors.As(err, &forbidden) || !strings.Contains(forbidden.Reason, "subscribe_types") {
			t.Errorf("partner B subscribing to %v: %v, want a *gateway.Forbidden naming subscribe_types", types, err)
		}
	}
	_, err := w.g.UpdateSubscription(ctx, b, everything.ID, func(s *event.Subscription) { s.Filter.EventTypes = []string{"internal.*"} })
	if _, ok := errors.AsType[*gateway.Forbidden](err); !ok {
		t.Errorf("partner B widening its filter to internal.*: %v, want a *gateway.Forbidden", err)
	}

	receivers := func(eventID string) []string {
		var got []string
		for sub := range w.deliveries(eventID) {
			if sub == everything.ID || sub == fromA.ID || sub == byAdmin {
				got = append(got, sub)
			}
		}
		return got
	}
	status := &event.Event{Type: "shipment.status", Source: "ignored", Data: json.RawMessage(`{"state":"shipped"}`)}
	if got := receivers(w.publish("partnerA", status)); len(got) != 0 {
		t.Errorf("partner B received partner A's status event through %v", got)
	}
	if status.Source != "partner/"+w.partnerA {
		t.Errorf("partner A's event has source %q, want partner/%s", status.Source, w.partnerA)
	}
	if got := receivers(w.publish("publisher", &event.Event{Type: "internal.payroll", Data: json.RawMessage(`{}`)})); len(got) != 0 {
		t.Errorf("partner B received internal.payroll through %v", got)
	}
	if got := receivers(w.publish("publisher", &event.Event{Type: "order.created", Data: json.RawMessage(`{}`)})); len(got) != 2 {
		t.Errorf("order.created reached partner B's %v, want its two subscriptions without a pattern", got)
	}

	grant := func(types ...string) {
		t.Helper()
		if _, err := w.g.UpdatePartner(ctx, auth.Admin, w.partnerB, func(p *event.Partner) { p.SubscribeTypes = types }); err != nil {
			t.Fatal(err)
		}
	}
	grant("order.*", "shipment.*")
	if got := receivers(w.publish("partnerA", &event.Event{Type: "shipment.status", Data: json.RawMessage(`{}`)})); len(got) != 3 {
		t.Errorf("after granting shipment.*, partner A's status event reached %v, want all three of partner B's subscriptions", got)
	}
	grant("order.*")
	if got := receivers(w.publish("partnerA", &event.Event{Type: "shipment.status", Data: json.RawMessage(`{}`)})); len(got) != 0 {
		t.Errorf("after taking shipment.* back, partner A's status event reached %v", got)
	}
}

// TestPartnerBrowsesOnlyGrantedTypes: the catalog a partner browses holds
// only the types it may receive.
func TestPartnerBrowsesOnlyGrantedTypes(t *testing.T) {
	w := newWorld(t)
	w.publish("publisher", &event.Event{Type: "internal.payroll", Data: json.RawMessage(`{}`)}) // registers the type
	entries, _, err := w.g.ListEventTypes(ctx, w.who["partnerB"], store.Page{})
	if err != nil || len(entries) != 1 || entries[0].Name != "order.created" {
		names := []string{}
		for _, e := range entries {
			names = append(names, e.Name)
		}
		t.Fatalf("partner B browses %v (%v), want only order.created", names, err)
	}
	if _, err := w.g.GetEventType(ctx, w.who["partnerB"], "internal.payroll"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("partner B reading internal.payroll: %v, want store.ErrNotFound", err)
	}
	if all, _, _ := w.g.ListEventTypes(ctx, auth.Admin, store.Page{}); len(all) != 2 {
		t.Fatalf("the admin browses %d types, want both", len(all))
	}
}

// TestReservedSources: partner/ and source/ name origins the gateway
// stamps; no publisher or admin may claim them.
func TestReservedSources(t *testing.T) {
	w := newWorld(t)
	for _, role := range []string{"publisher", "admin"} {
		for _, src := range []string{"partner/" + w.partnerA, "source/" + w.source} {
			_, err := w.g.Prepare(w.who[role], &event.Event{Type: "order.created", Source: src, Data: json.RawMessage(`{}`)}, "")
			if _, ok := errors.AsType[*gateway.ReservedSource](err); !ok {
				t.Errorf("%s publishing with source %s: %v, want a *gateway.ReservedSource", role, src, err)
			}
		}
	}
	if _, err := w.g.Prepare(w.who["publisher"], &event.Event{Type: "order.created", Source: "shop/partner/x", Data: json.RawMessage(`{}`)}, ""); err != nil {
		t.Errorf("a source that only contains partner/: %v", err)
	}
}
