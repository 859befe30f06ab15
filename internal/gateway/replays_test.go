package gateway_test

import (
	"encoding/json"
	"errors"
	"github.com/eventgate/eventgate/internal/channel/pull"
	"github.com/eventgate/eventgate/internal/channel/webhook"
	"github.com/eventgate/eventgate/internal/gateway/pulltest"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/eventgate/eventgate/internal/auth"
	"github.com/eventgate/eventgate/internal/event"
	"github.com/eventgate/eventgate/internal/gateway"
	"github.com/eventgate/eventgate/internal/store"
	"github.com/eventgate/eventgate/internal/store/sqlite"
)

// replayBench is a store, a gateway that can be restarted over it, and a
// receiver that counts what it got by webhook-id (the event id).
type replayBench struct {
	t  *testing.T
	st store.Store
	g  *gateway.Gateway
	rc *httptest.Server

	mu  sync.Mutex
	got map[string]int
}

func newReplayBench(t *testing.T) *replayBench {
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	b := &replayBench{t: t, st: st, got: map[string]int{}}
	b.rc = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b.mu.Lock()
		b.got[r.Header.Get("webhook-id")]++
		b.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	b.start()
	t.Cleanup(func() {
		b.g.Shutdown(ctx)
		b.rc.Close()
		st.Close()
	})
	return b
}

func (b *replayBench) start() {
	// A short lease makes the leader's rounds, which take over replays, frequent.
	g, err := gateway.Start(ctx, b.st, gateway.Config{AllowPrivateTargets: true, SingleNode: true, PollInterval: 20 * time.Millisecond, Lease: 300 * time.Millisecond})
	if err != nil {
		b.t.Fatal(err)
	}
	b.g = g
}

func (b *replayBench) subscribe(who auth.Principal, partnerID string, types ...string) string {
	b.t.Helper()
	sub := &event.Subscription{Name: "hook", PartnerID: partnerID, Channel: event.Channel{Type: "webhook", Config: &webhook.Config{URL: b.rc.URL}}, Filter: event.Filter{EventTypes: types}}
	if err := b.g.CreateSubscription(ctx, who, sub); err != nil {
		b.t.Fatal(err)
	}
	return sub.ID
}

func (b *replayBench) publish(typ, data string) string {
	b.t.Helper()
	p, err := b.g.Prepare(auth.Admin, &event.Event{Type: typ, Data: json.RawMessage(data)}, "")
	if err != nil {
		b.t.Fatal(err)
	}
	stored, err := b.g.Publish(ctx, []gateway.Prepared{p})
	if err == nil {
		err = stored[0].Err
	}
	if err != nil {
		b.t.Fatal(err)
	}
	return stored[0].ID
}

// received returns how often each event arrived.
func (b *replayBench) received(ids ...string) []int {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]int, len(ids))
	for i, id := range ids {
		out[i] = b.got[id]
	}
	return out
}

func (b *replayBench) waitReceived(want []int, ids ...string) {
	b.t.Helper()
	eventually(b.t, "the receiver to get the events", func() bool { return slicesEqual(b.received(ids...), want) })
}

// replay starts a replay as admin and waits until its deliveries are done.
func (b *replayBench) replay(r *event.Replay) *event.Replay {
	b.t.Helper()
	if err := b.g.CreateReplay(ctx, auth.Admin, r); err != nil {
		b.t.Fatal(err)
	}
	return b.waitDone(r.ID)
}

func (b *replayBench) waitDone(id string) *event.Replay {
	b.t.Helper()
	var got *event.Replay
	eventually(b.t, "the replay to finish delivering", func() bool {
		var err error
		got, err = b.g.GetReplay(ctx, auth.Admin, id)
		return err == nil && got.Status == event.ReplayDone && got.Pending == 0
	})
	return got
}

func slicesEqual(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// eventually waits up to ten seconds for cond.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s did not happen within 10s", what)
		}
	}
}

// now is a window boundary: stores keep microseconds.
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// TestReplayDeliversTheWindowOnce: a replay delivers, once more each,
// exactly the archived events of its window that the subscription and the
// replay's own filter let through, under their own webhook-id.
func TestReplayDeliversTheWindowOnce(t *testing.T) {
	b := newReplayBench(t)
	sub := b.subscribe(auth.Admin, "", "order.*")
	before := b.publish("order.created", `{"n":1}`)
	from := now()
	created, paid := b.publish("order.created", `{"n":2}`), b.publish("order.paid", `{"n":3}`)
	other := b.publish("shipment.sent", `{"n":4}`) // not the subscription's
	to := now()
	after := b.publish("order.created", `{"n":5}`)
	ids := []string{before, created, paid, other, after}
	b.waitReceived([]int{1, 1, 1, 0, 1}, ids...)

	r := b.replay(&event.Replay{SubscriptionID: sub, From: from, To: to})
	if r.Matched != 2 || r.Created != 2 || r.Delivered != 2 {
		t.Fatalf("replay progress %+v, want 2 matched, created and delivered", r)
	}
	b.waitReceived([]int{1, 2, 2, 0, 1}, ids...)

	r = b.replay(&event.Replay{SubscriptionID: sub, From: from, To: to, EventTypes: []string{"order.*"}, Pattern: json.RawMessage(`{"data":{"n":[3]}}`)})
	if r.Matched != 1 || r.Delivered != 1 {
		t.Fatalf("filtered replay progress %+v, want 1", r)
	}
	b.waitReceived([]int{1, 2, 3, 0, 1}, ids...)
}

// TestReplayResumesAfterRestart: a replay that a stop interrupted after
// its first page goes on when the gateway starts again, without repeating
// that page.
func TestReplayResumesAfterRestart(t *testing.T) {
	b := newReplayBench(t)
	sub := b.subscribe(auth.Admin, "")
	from := now()
	ids := []string{b.publish("a", `{}`), b.publish("b", `{}`), b.publish("c", `{}`)}
	b.waitReceived([]int{1, 1, 1}, ids...)
	b.g.Shutdown(ctx)

	// What a node that stopped after one page left behind.
	at := now()
	r := &event.Replay{ID: event.NewID(event.PrefixReplay), SubscriptionID: sub, From: from, To: at, Status: event.ReplayRunning, CreatedAt: at, UpdatedAt: at}
	if err := b.st.CreateReplay(ctx, r); err != nil {
		t.Fatal(err)
	}
	page, err := b.st.ReplayPage(ctx, r, 1)
	if err != nil || len(page) != 1 {
		t.Fatalf("first page %v, %v", page, err)
	}
	first := &event.Delivery{ID: event.NewID(event.PrefixDelivery), EventID: page[0].ID, SubscriptionID: sub}
	if err := b.st.AdvanceReplay(ctx, r, page[0].Seq, 1, []*event.Delivery{first}, false, at); err != nil {
		t.Fatal(err)
	}

	b.start()
	got := b.waitDone(r.ID)
	if got.Matched != 3 || got.Created != 3 || got.Delivered != 3 {
		t.Fatalf("resumed replay progress %+v, want 3 matched, created and delivered", got)
	}
	b.waitReceived([]int{2, 2, 2}, ids...)
}

// TestLeaderTakesOverReplays: a running replay that no node works on (its
// node died) is run by the leader, without a restart.
func TestLeaderTakesOverReplays(t *testing.T) {
	b := newReplayBench(t)
	sub := b.subscribe(auth.Admin, "")
	from := now()
	ids := []string{b.publish("a", `{}`), b.publish("b", `{}`)}
	b.waitReceived([]int{1, 1}, ids...)
	at := now()
	orphan := &event.Replay{ID: event.NewID(event.PrefixReplay), SubscriptionID: sub, From: from, To: at, Status: event.ReplayRunning, CreatedAt: at, UpdatedAt: at}
	if err := b.st.CreateReplay(ctx, orphan); err != nil {
		t.Fatal(err)
	}
	if got := b.waitDone(orphan.ID); got.Delivered != 2 {
		t.Fatalf("taken-over replay progress %+v, want 2 delivered", got)
	}
	b.waitReceived([]int{2, 2}, ids...)
}

// TestReplayScopeAndCancel: partners replay into their own subscriptions
// only, see only their own replays, and cancel them; a cancelled replay
// is not resumed.
func TestReplayScopeAndCancel(t *testing.T) {
	b := newReplayBench(t)
	principal := func(name string) (auth.Principal, string) {
		p := &event.Partner{Name: name, SubscribeTypes: []string{"order.*"}}
		if err := b.g.CreatePartner(ctx, auth.Admin, p); err != nil {
			t.Fatal(err)
		}
		secret, _, err := b.g.CreateKey(ctx, auth.Admin, gateway.KeyRequest{Scope: auth.ScopePartner, Name: name, PartnerID: p.ID})
		if err != nil {
			t.Fatal(err)
		}
		who, err := b.g.Authenticate(ctx, secret)
		if err != nil {
			t.Fatal(err)
		}
		return who, p.ID
	}
	a, aID := principal("acme")
	other, otherID := principal("globex")
	subA, subOther := b.subscribe(auth.Admin, aID, "order.*"), b.subscribe(auth.Admin, otherID, "order.*")
	window := func(sub string) *event.Replay {
		return &event.Replay{SubscriptionID: sub, From: time.Now().Add(-time.Hour), To: time.Now()}
	}
	if err := b.g.CreateReplay(ctx, a, window(subOther)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a partner replaying into another's subscription = %v, want not found", err)
	}
	mine := window(subA)
	if err := b.g.CreateReplay(ctx, a, mine); err != nil {
		t.Fatalf("a partner replaying into its own subscription: %v", err)
	}
	if _, err := b.g.GetReplay(ctx, other, mine.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("another partner reading the replay = %v, want not found", err)
	}
	if _, err := b.g.CancelReplay(ctx, other, mine.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("another partner cancelling the replay = %v, want not found", err)
	}
	if list, _, err := b.g.ListReplays(ctx, other, store.Page{}); err != nil || len(list) != 0 {
		t.Fatalf("another partner lists %v, %v; want none", list, err)
	}
	if list, _, err := b.g.ListReplays(ctx, a, store.Page{}); err != nil || len(list) != 1 {
		t.Fatalf("the partner lists %v, %v; want its replay", list, err)
	}
	publisher, _, err := b.g.CreateKey(ctx, auth.Admin, gateway.KeyRequest{Scope: auth.ScopePublisher, Name: "shop"})
	if err != nil {
		t.Fatal(err)
	}
	if who, _ := b.g.Authenticate(ctx, publisher); b.g.CreateReplay(ctx, who, window(subA)) == nil {
		t.Fatal("a publisher started a replay")
	}

	// A running replay, left by a node that stopped, is cancelled and then not resumed.
	b.publish("order.created", `{}`)
	b.g.Shutdown(ctx)
	at := now()
	stopped := &event.Replay{ID: event.NewID(event.PrefixReplay), SubscriptionID: subA, From: at.Add(-time.Hour), To: at, Status: event.ReplayRunning, CreatedAt: at, UpdatedAt: at}
	if err := b.st.CreateReplay(ctx, stopped); err != nil {
		t.Fatal(err)
	}
	if _, err := b.g.CancelReplay(ctx, a, stopped.ID); err != nil { // the store is all it needs
		t.Fatal(err)
	}
	b.start()
	got, err := b.g.GetReplay(ctx, a, stopped.ID)
	if err != nil || got.Status != event.ReplayCancelled || got.Created != 0 {
		t.Fatalf("cancelled replay after a restart: %+v, %v", got, err)
	}
	if _, err := b.g.CancelReplay(ctx, a, stopped.ID); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("cancelling it again = %v, want a conflict", err)
	}
}

// TestReplayKeepsLittleAhead: a replay larger than what it may keep
// waiting (16 deliveries at max_concurrency 1) goes on in steps as its
// deliveries drain, never keeping more waiting, and delivers every event.
func TestReplayKeepsLittleAhead(t *testing.T) {
	b := newReplayBench(t)
	sub := &event.Subscription{Name: "slow", Channel: event.Channel{Type: "webhook", Config: &webhook.Config{URL: b.rc.URL}}, MaxConcurrency: 1}
	if err := b.g.CreateSubscription(ctx, auth.Admin, sub); err != nil {
		t.Fatal(err)
	}
	from := now()
	var ids []string
	for range 60 {
		ids = append(ids, b.publish("order.created", `{}`))
	}
	once := make([]int, len(ids))
	for i := range once {
		once[i] = 1
	}
	b.waitReceived(once, ids...)

	r := &event.Replay{SubscriptionID: sub.ID, From: from, To: now()}
	if err := b.g.CreateReplay(ctx, auth.Admin, r); err != nil {
		t.Fatal(err)
	}
	var most int64
	eventually(t, "the replay to finish delivering", func() bool {
		got, err := b.g.GetReplay(ctx, auth.Admin, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		most = max(most, got.Pending)
		return got.Status == event.ReplayDone && got.Pending == 0 && got.Delivered == 60
	})
	if most > 16 {
		t.Fatalf("the replay kept %d deliveries waiting, want at most 16", most)
	}
	for i := range once {
		once[i] = 2
	}
	b.waitReceived(once, ids...)
}

// TestReplayIntoAPullSubscription: a replay's deliveries to a pull
// subscription wait to be pulled like live ones, each event once.
func TestReplayIntoAPullSubscription(t *testing.T) {
	b := newReplayBench(t)
	from := time.Now().UTC()
	first, second := b.publish("order.created", `{"n":1}`), b.publish("order.created", `{"n":2}`)
	sub := &event.Subscription{Name: "pulled", Channel: event.Channel{Type: "pull", Config: &pull.Config{}}}
	if err := b.g.CreateSubscription(ctx, auth.Admin, sub); err != nil {
		t.Fatal(err)
	}
	r := &event.Replay{SubscriptionID: sub.ID, From: from, To: time.Now().UTC().Add(time.Second)}
	if err := b.g.CreateReplay(ctx, auth.Admin, r); err != nil {
		t.Fatal(err)
	}
	consumer := &pulltest.Consumer{G: b.g, Who: auth.Admin, SubscriptionID: sub.ID}
	var got []string
	for _, m := range consumer.Drain(t, 2) {
		got = append(got, m.EventID)
	}
	if !slices.Equal(got, []string{first, second}) {
		t.Fatalf("pulled the events %v, want %s and %s", got, first, second)
	}
	if more := consumer.Pull(t, 10, 0); len(more) != 0 {
		t.Fatalf("pulled %d more after the replay's two", len(more))
	}
}
