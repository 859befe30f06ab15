package gateway_test

import (
	"encoding/json"
	"errors"
	"github.com/eventgate/eventgate/internal/channel/pull"
	webhookkind "github.com/eventgate/eventgate/internal/channel/webhook"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"
	"time"

	"github.com/eventgate/eventgate/internal/auth"
	"github.com/eventgate/eventgate/internal/event"
	"github.com/eventgate/eventgate/internal/gateway"
	"github.com/eventgate/eventgate/internal/gateway/pulltest"
	"github.com/eventgate/eventgate/internal/store"
	"github.com/eventgate/eventgate/internal/store/sqlite"
)

// startGateway is a node alone on a fresh SQLite store.
func startGateway(t *testing.T, poll time.Duration) *gateway.Gateway {
	t.Helper()
	st, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	g, err := gateway.Start(ctx, st, gateway.Config{AllowPrivateTargets: true, SingleNode: true, PollInterval: poll})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		g.Shutdown(ctx)
		st.Close()
	})
	return g
}

func pullSubscription(t *testing.T, g *gateway.Gateway, edit func(*event.Subscription)) *pulltest.Consumer {
	t.Helper()
	sub := &event.Subscription{Name: "pulled", Channel: event.Channel{Type: "pull", Config: &pull.Config{}}, Filter: event.Filter{EventTypes: []string{"order.*"}}}
	if edit != nil {
		edit(sub)
	}
	if err := g.CreateSubscription(ctx, auth.Admin, sub); err != nil {
		t.Fatal(err)
	}
	return &pulltest.Consumer{G: g, Who: auth.Admin, SubscriptionID: sub.ID}
}

func publishAs(t *testing.T, g *gateway.Gateway, who auth.Principal, typ, data string) string {
	t.Helper()
	p, err := g.Prepare(who, &event.Event{Type: typ, Data: json.RawMessage(data)}, "")
	if err != nil {
		t.Fatal(err)
	}
	stored, err := g.Publish(ctx, []gateway.Prepared{p})
	if err == nil {
		err = stored[0].Err
	}
	if err != nil {
		t.Fatal(err)
	}
	return stored[0].ID
}

// TestPulledPayloadIsWhatAWebhookCarries: filter, transform and
// payload_format shape a pulled payload exactly as a webhook's body.
func TestPulledPayloadIsWhatAWebhookCarries(t *testing.T) {
	g := startGateway(t, 20*time.Millisecond)
	bodies := make(chan []byte, 10)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		bodies <- b
	}))
	defer hook.Close()
	shapes := []func(*event.Subscription){
		func(s *event.Subscription) {
			s.Transform = &event.Transform{InputPaths: map[string]string{"order": "$.data.order_id"}, Template: `{"order": <order>, "type": <eventgate.event.type>}`}
		},
		func(s *event.Subscription) { s.PayloadFormat = "cloudevents" },
		func(s *event.Subscription) { s.PayloadFormat = "data" },
		func(s *event.Subscription) {},
	}
	for _, shape := range shapes {
		pulled := pullSubscription(t, g, func(s *event.Subscription) {
			shape(s)
			s.Filter.Pattern = json.RawMessage(`{"data": {"order_id": [{"numeric": [">", 10]}]}}`)
		})
		webhook := &event.Subscription{Name: "hook", Channel: event.Channel{Type: "webhook", Config: &webhookkind.Config{URL: hook.URL}}, Filter: event.Filter{EventTypes: []string{"order.*"}, Pattern: json.RawMessage(`{"data": {"order_id": [{"numeric": [">", 10]}]}}`)}}
		shape(webhook)
		if err := g.CreateSubscription(ctx, auth.Admin, webhook); err != nil {
			t.Fatal(err)
		}
		publishAs(t, g, auth.Admin, "order.created", `{"order_id": 5}`) // filtered out for both
		id := publishAs(t, g, auth.Admin, "order.created", `{"order_id": 42}`)
		msgs := pulled.Drain(t, 1)
		sent := <-bodies
		if m := msgs[0]; m.EventID != id || m.Attempt != 1 || string(m.Payload) != string(sent) {
			t.Fatalf("pulled %s (event %s, attempt %d), want event %s on attempt 1 with the webhook's body %s", m.Payload, m.EventID, m.Attempt, id, sent)
		}
		if err := g.DeleteSubscription(ctx, auth.Admin, webhook.ID); err != nil {
			t.Fatal(err)
		}
	}
}

// TestPulledTextIsAJSONString: a template that renders text is pulled as
// that text in a JSON string, for the answer to stay JSON.
func TestPulledTextIsAJSONString(t *testing.T) {
	g := startGateway(t, 20*time.Millisecond)
	pulled := pullSubscription(t, g, func(s *event.Subscription) {
		s.Transform = &event.Transform{InputPaths: map[string]string{"order": "$.data.order_id"}, Template: `order <order> created`}
	})
	publishAs(t, g, auth.Admin, "order.created", `{"order_id": 42}`)
	if got := pulled.Drain(t, 1)[0].Payload; string(got) != `"order 42 created"` {
		t.Fatalf("pulled %s, want the text as a JSON string", got)
	}
}

// TestLongPollWakesOnPublish: a waiting pull answers when an event is
// published, not when its wait runs out or the store is polled (here
// never, within the test).
func TestLongPollWakesOnPublish(t *testing.T) {
	g := startGateway(t, time.Hour)
	c := pullSubscription(t, g, nil)
	got := make(chan []*gateway.Message)
	go func() { got <- c.Pull(t, 10, gateway.MaxPullWait) }()
	for g.PullsAsleep(c.SubscriptionID) == 0 { // found nothing and waits
		runtime.Gosched()
	}
	id := publishAs(t, g, auth.Admin, "order.created", `{}`)
	msgs := <-got
	if len(msgs) != 1 || msgs[0].EventID != id {
		t.Fatalf("long poll brought %d messages, want the published event %s", len(msgs), id)
	}
}

// TestPullRefusals: what cannot be pulled, and requests that are wrong,
// are refused, and change nothing.
func TestPullRefusals(t *testing.T) {
	w := newWorld(t)
	g := w.g
	c := pullSubscription(t, g, nil)
	publishAs(t, g, auth.Admin, "order.created", `{}`)

	var refused *gateway.PullRefused
	if _, err := g.Pull(ctx, auth.Admin, w.subA, gateway.PullRequest{}); !errors.As(err, &refused) {
		t.Fatalf("pulling a webhook subscription: %v, want PullRefused", err)
	}
	var invalid *event.ValidationError
	for _, n := range []int{0, -1, gateway.MaxPullMessages + 1} {
		if _, err := g.Pull(ctx, auth.Admin, c.SubscriptionID, gateway.PullRequest{MaxMessages: &n}); !errors.As(err, &invalid) || invalid.Fields[0].Field != "max_messages" {
			t.Fatalf("max_messages %d: %v, want a validation error on max_messages", n, err)
		}
	}
	if _, err := g.Pull(ctx, auth.Admin, c.SubscriptionID, gateway.PullRequest{Wait: gateway.MaxPullWait + time.Second}); !errors.As(err, &invalid) {
		t.Fatalf("wait over 20s: %v, want a validation error", err)
	}
	msgs := c.Pull(t, 10, 0)
	if len(msgs) != 1 {
		t.Fatalf("pulled %d messages after the refusals, want the 1 published", len(msgs))
	}
	for _, receipts := range [][]string{nil, {"nonsense"}, {msgs[0].Receipt, msgs[0].DeliveryID}} {
		if _, err := g.Ack(ctx, auth.Admin, c.SubscriptionID, receipts); !errors.As(err, &invalid) {
			t.Fatalf("ack of %q: %v, want a validation error", receipts, err)
		}
		if _, err := g.Nack(ctx, auth.Admin, c.SubscriptionID, receipts, 0); !errors.As(err, &invalid) {
			t.Fatalf("nack of %q: %v, want a validation error", receipts, err)
		}
	}
	if _, err := g.Nack(ctx, auth.Admin, c.SubscriptionID, pulltest.Receipts(msgs), -time.Second); !errors.As(err, &invalid) {
		t.Fatalf("nack with a negative delay: %v, want a validation error", err)
	}
	c.Ack(t, msgs) // the refused acks and nacks left its lease alone

	if _, err := g.SetStatus(ctx, auth.Admin, c.SubscriptionID, event.Paused, "test"); err != nil {
		t.Fatal(err)
	}
	if _, err := g.Pull(ctx, auth.Admin, c.SubscriptionID, gateway.PullRequest{}); !errors.As(err, &refused) {
		t.Fatalf("pulling a paused subscription: %v, want PullRefused", err)
	}
	if _, err := g.UpdateSubscription(ctx, auth.Admin, c.SubscriptionID, func(s *event.Subscription) {
		s.Channel = event.Channel{Type: "webhook", Config: &webhookkind.Config{URL: w.hook}}
	}); !errors.As(err, &invalid) {
		t.Fatalf("turning a pull subscription into a webhook: %v, want a validation error", err)
	}
}

// TestNackExpiryDeadAndRedrive: a nack and an unacknowledged lease are
// failed attempts; the retry policy makes the message dead; redrive
// brings it back; ack and the attempt log record it all.
func TestNackExpiryDeadAndRedrive(t *testing.T) {
	g := startGateway(t, 20*time.Millisecond)
	c := pullSubscription(t, g, func(s *event.Subscription) {
		s.Channel.Config = &pull.Config{VisibilityTimeout: event.Duration(time.Second)}
		s.RetryPolicy.MaxAttempts = 3
	})
	publishAs(t, g, auth.Admin, "order.created", `{}`)

	first := c.Pull(t, 10, 0)
	statuses, err := g.Nack(ctx, auth.Admin, c.SubscriptionID, pulltest.Receipts(first), 0)
	if err != nil || statuses[0].Status != "nacked" {
		t.Fatalf("Nack = %+v, %v", statuses, err)
	}
	second := c.Pull(t, 10, gateway.MaxPullWait)
	if len(second) != 1 || second[0].Attempt != 2 {
		t.Fatalf("after a nack pulled %+v, want the message on attempt 2", second)
	}
	// Not acknowledged: visible again once its visibility timeout of 1s runs out.
	third := c.Pull(t, 10, gateway.MaxPullWait)
	if len(third) != 1 || third[0].Attempt != 3 {
		t.Fatalf("after the visibility timeout pulled %+v, want the message on attempt 3", third)
	}
	if statuses, _ := g.Ack(ctx, auth.Admin, c.SubscriptionID, pulltest.Receipts(second)); statuses[0].Status != "stale" {
		t.Fatalf("ack of the expired lease's receipt: %s, want stale", statuses[0].Status)
	}
	if _, err := g.Nack(ctx, auth.Admin, c.SubscriptionID, pulltest.Receipts(third), 0); err != nil {
		t.Fatal(err)
	}
	d, attempts, err := g.GetDelivery(ctx, auth.Admin, third[0].DeliveryID)
	if err != nil || d.Status != event.Dead || len(attempts) != 3 || attempts[1].Error != store.PullExpired {
		t.Fatalf("delivery %+v with %d attempts (%v), want dead after nack, expiry, nack", d, len(attempts), err)
	}
	if n, err := g.Redrive(ctx, auth.Admin, c.SubscriptionID); err != nil || n != 1 {
		t.Fatalf("Redrive = %d, %v", n, err)
	}
	c.Drain(t, 1)
	if d, _, _ := g.GetDelivery(ctx, auth.Admin, third[0].DeliveryID); d.Status != event.Succeeded || d.Attempts != 4 {
		t.Fatalf("after redrive and ack: %+v, want succeeded on attempt 4", d)
	}
}

// TestPullKeepsToTheMonthlyQuota: a partner with monthly_deliveries 2
// pulls 2 of 3 messages; then its subscription is paused for the quota,
// and pulling says so.
func TestPullKeepsToTheMonthlyQuota(t *testing.T) {
	g := startGateway(t, 20*time.Millisecond)
	p := &event.Partner{Name: "Acme", SubscribeTypes: []string{"order.*"}, Quotas: event.Quotas{MonthlyDeliveries: 2}}
	if err := g.CreatePartner(ctx, auth.Admin, p); err != nil {
		t.Fatal(err)
	}
	c := pullSubscription(t, g, func(s *event.Subscription) { s.PartnerID = p.ID })
	for range 3 {
		publishAs(t, g, auth.Admin, "order.created", `{}`)
	}
	if msgs := c.Pull(t, 10, 0); len(msgs) != 2 {
		t.Fatalf("pulled %d messages under a quota of 2", len(msgs))
	}
	var refused *gateway.PullRefused
	deadline := time.Now().Add(10 * time.Second)
	for {
		msgs, err := g.Pull(ctx, auth.Admin, c.SubscriptionID, gateway.PullRequest{})
		if errors.As(err, &refused) {
			break // paused for the quota
		}
		if err != nil || len(msgs) != 0 {
			t.Fatalf("over the quota: pulled %d messages, %v", len(msgs), err)
		}
		if time.Now().After(deadline) {
			t.Fatal("the subscription was not paused for the quota")
		}
		runtime.Gosched()
	}
}
