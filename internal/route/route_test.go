package route_test

import (
	"slices"
	"sort"
	"testing"

	"github.com/eventgate/eventgate/internal/event"
	"github.com/eventgate/eventgate/internal/route"
)

func sub(id string, status event.SubscriptionStatus, types ...string) *event.Subscription {
	return &event.Subscription{ID: id, Status: status, Filter: event.Filter{EventTypes: types}}
}

func matchIDs(r *route.Router, typ string) []string {
	var ids []string
	subs, err := r.Match(&event.Event{Type: typ}, []byte(`{"type":"`+typ+`"}`))
	if err != nil {
		panic(err)
	}
	for _, s := range subs {
		ids = append(ids, s.ID)
	}
	sort.Strings(ids)
	return ids
}

func TestMatchByType(t *testing.T) {
	r := route.New()
	r.Load([]*event.Subscription{
		sub("all", event.Active),
		sub("orders", event.Active, "order.*"),
		sub("created", event.Active, "order.created", "invoice.created", "order.created"),
		sub("paused", event.Paused, "order.created"),
		sub("gone", event.Disabled, "order.created"),
		sub("mid", event.Active, "*.created"),
	})
	cases := map[string][]string{
		"order.created":   {"all", "created", "mid", "orders", "paused"},
		"order.shipped":   {"all", "orders"},
		"invoice.created": {"all", "created", "mid"},
		"orderx":          {"all"},
	}
	for typ, want := range cases {
		if got := matchIDs(r, typ); len(got) != len(want) || (len(got) > 0 && !equal(got, want)) {
			t.Errorf("%s matched %v, want %v", typ, got, want)
		}
	}
	r.Remove("all")
	r.Set(sub("orders", event.Paused, "invoice.*"))
	if got := matchIDs(r, "order.shipped"); len(got) != 0 {
		t.Errorf("after changes order.shipped matched %v", got)
	}
	if r.Get("orders").Status != event.Paused || r.Get("all") != nil {
		t.Error("Get does not see the latest version")
	}
}

func equal(a, b []string) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return len(a) == len(b)
}

func TestGlob(t *testing.T) {
	cases := []struct {
		pattern, s string
		want       bool
	}{
		{"order.*", "order.created", true}, {"order.*", "order.", true}, {"order.*", "orders.created", false},
		{"*.created", "order.created", true}, {"*", "x", true}, {"a*b*c", "axxbyyc", true}, {"a*b*c", "axxbyy", false},
		{"order.created", "order.created", true}, {"order.created", "order.create", false},
	}
	for _, c := range cases {
		if got := event.Glob(c.pattern, c.s); got != c.want {
			t.Errorf("Glob(%q, %q) = %v, want %v", c.pattern, c.s, got, c.want)
		}
	}
}

// A Ref must see every change: a later version, its new shape, removal,
// and a subscription created after the Ref was.
func TestRefFollowsChanges(t *testing.T) {
	r := route.New()
	ref := r.Ref("s1")
	if got := ref.Get(); got != nil {
		t.Fatalf("Ref to a missing subscription got %v", got)
	}
	r.Set(sub("s1", event.Active, "order.created"))
	envelope := []byte(`{"type":"order.created","data":{"n":1}}`)
	assertBody := func(want string) {
		t.Helper()
		_, shape := ref.GetWithShape()
		body, _, err := shape.Render(envelope)
		if err != nil || string(body) != want {
			t.Fatalf("rendered %s (%v), want %s", body, err, want)
		}
	}
	if got := ref.Get(); got == nil || got.Status != event.Active {
		t.Fatalf("Ref after Set got %v", got)
	}
	assertBody(string(envelope))

	dataOnly := sub("s1", event.Paused, "order.created")
	dataOnly.PayloadFormat = "data"
	r.Set(dataOnly)
	if got := ref.Get(); got != dataOnly {
		t.Fatalf("Ref kept %v after the subscription changed", got)
	}
	assertBody(`{"n":1}`)

	r.Remove("s1")
	if got, shape := ref.GetWithShape(); got != nil || shape == nil {
		t.Fatalf("Ref after Remove got %v with shape %v", got, shape)
	}
	r.Load([]*event.Subscription{sub("s1", event.Disabled)})
	if got := ref.Get(); got == nil || got.Status != event.Disabled {
		t.Fatalf("Ref after Load got %v", got)
	}
}

// TestPartnerGrants: a partner's subscription receives only what its
// partner is granted, whether found by exact type, wildcard or pattern;
// a partner with no grant receives nothing; a changed grant routes at once.
func TestPartnerGrants(t *testing.T) {
	r := route.New()
	of := func(s *event.Subscription, partnerID string) *event.Subscription { s.PartnerID = partnerID; return s }
	pattern := of(sub("pattern", event.Active), "ptn_a")
	pattern.Filter.Pattern = []byte(`{"type":[{"prefix":""}]}`)
	r.Load([]*event.Subscription{
		of(sub("exact", event.Active, "order.created", "internal.payroll"), "ptn_a"),
		of(sub("wildcard", event.Active), "ptn_a"),
		pattern,
		of(sub("ungranted", event.Active), "ptn_b"),
		sub("internal", event.Active),
	})
	r.SetGrants(map[string][]string{"ptn_a": {"order.*"}})
	check := func(typ string, want ...string) {
		t.Helper()
		if got := matchIDs(r, typ); !slices.Equal(got, want) {
			t.Errorf("%s matched %v, want %v", typ, got, want)
		}
		if got := r.Receivers(typ); !slices.Equal(got, want) {
			t.Errorf("%s is received by %v, want %v", typ, got, want)
		}
	}
	check("order.created", "exact", "internal", "pattern", "wildcard")
	check("internal.payroll", "internal")
	r.Grant("ptn_b", []string{"internal.*"})
	check("internal.payroll", "internal", "ungranted")
	r.Grant("ptn_a", nil)
	check("order.created", "internal")
}
