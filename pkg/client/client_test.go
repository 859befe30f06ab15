package client_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eventgate/eventgate/internal/api"
	"github.com/eventgate/eventgate/internal/gateway"
	"github.com/eventgate/eventgate/internal/metrics"
	"github.com/eventgate/eventgate/internal/store/sqlite"
	"github.com/eventgate/eventgate/pkg/client"
)

const adminKey = "eg_adm_client-test-key-0123456789"

// gatewayURL serves a real gateway on a temporary SQLite store.
func gatewayURL(t *testing.T, mutate ...func(*gateway.Config)) string {
	t.Helper()
	st, err := sqlite.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	m := metrics.New(metrics.Options{})
	cfg := gateway.Config{AdminKey: adminKey, AllowPrivateTargets: true, SingleNode: true, PollInterval: 20 * time.Millisecond, Observer: m, Metrics: m.Handler()}
	for _, m := range mutate {
		m(&cfg)
	}
	g, err := gateway.Start(context.Background(), st, cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api.New(g))
	t.Cleanup(func() {
		srv.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		g.Shutdown(ctx)
		st.Close()
	})
	return srv.URL
}

// counting counts the requests a client sends, by status answered.
type counting struct {
	sent    atomic.Int64
	limited atomic.Int64
}

func (c *counting) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(r)
	requested.Store(r.Method+" "+r.URL.EscapedPath(), true)
	c.sent.Add(1)
	if err == nil && resp.StatusCode == http.StatusTooManyRequests {
		c.limited.Add(1)
	}
	return resp, err
}

func newClient(t *testing.T, url string, opts ...client.Option) (*client.Client, *counting) {
	tr := &counting{}
	return client.New(url, adminKey, append([]client.Option{client.WithHTTPClient(&http.Client{Transport: tr})}, opts...)...), tr
}

func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestSubscriptionLifecycle(t *testing.T) {
	ctx := context.Background()
	c, _ := newClient(t, gatewayURL(t))
	sub := must[*client.Subscription](t)(c.CreateSubscription(ctx, client.SubscriptionInput{
		Name: "orders", Channel: client.Channel{Type: "webhook", URL: "https://example.com/hook", Timeout: client.Duration(5 * time.Second)},
		Filter: &client.Filter{EventTypes: []string{"order.*"}}, RetryPolicy: &client.RetryPolicy{MaxAttempts: 3},
	}))
	if !strings.HasPrefix(sub.Secret, "whsec_") || sub.Status != "active" || sub.Channel.Timeout != client.Duration(5*time.Second) {
		t.Fatalf("created %+v", sub)
	}
	name := "renamed"
	if got := must[*client.Subscription](t)(c.UpdateSubscription(ctx, sub.ID, client.SubscriptionPatch{Name: &name})); got.Name != name || got.Filter.EventTypes[0] != "order.*" {
		t.Fatalf("updated %+v", got)
	}
	if got := must[*client.Subscription](t)(c.PauseSubscription(ctx, sub.ID)); got.Status != "paused" {
		t.Fatalf("paused: %s", got.Status)
	}
	if got := must[*client.Subscription](t)(c.ResumeSubscription(ctx, sub.ID)); got.Status != "active" {
		t.Fatalf("resumed: %s", got.Status)
	}
	if got := must[*client.Subscription](t)(c.RotateSecret(ctx, sub.ID)); got.Secret == "" || got.Secret == sub.Secret {
		t.Fatalf("rotated secret %q, was %q", got.Secret, sub.Secret)
	}
	if n := must[int](t)(c.Redrive(ctx, sub.ID)); n != 0 {
		t.Fatalf("redrove %d with nothing dead", n)
	}
	if got := must[*client.Subscription](t)(c.GetSubscription(ctx, sub.ID)); got.Name != name || got.Secret != "" {
		t.Fatalf("read %+v", got)
	}
	if err := c.DeleteSubscription(ctx, sub.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetSubscription(ctx, sub.ID); !client.IsNotFound(err) {
		t.Fatalf("after deleting: %v, want 404", err)
	}
}

func TestPublishAndInspectDeliveries(t *testing.T) {
	ctx := context.Background()
	c, _ := newClient(t, gatewayURL(t))
	var status atomic.Int64
	status.Store(http.StatusNoContent)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(int(status.Load())) }))
	t.Cleanup(receiver.Close)
	sub := must[*client.Subscription](t)(c.CreateSubscription(ctx, client.SubscriptionInput{Name: "r", Channel: client.Channel{Type: "webhook", URL: receiver.URL},
		RetryPolicy: &client.RetryPolicy{MaxAttempts: 1}}))

	first := must[*client.Published](t)(c.Publish(ctx, client.EventInput{Type: "order.created", Data: json.RawMessage(`{"n":1}`),
		Attributes: map[string]any{"region": "eu", "priority": 2, "test": true}}, "key-1"))
	again := must[*client.Published](t)(c.Publish(ctx, client.EventInput{Type: "order.created", Data: json.RawMessage(`{"n":1}`)}, "key-1"))
	if again.ID != first.ID || !again.Replayed || first.Replayed {
		t.Fatalf("repeat with the same Idempotency-Key: %+v then %+v", first, again)
	}
	results := must[[]client.BatchResult](t)(c.PublishBatch(ctx, []client.EventInput{
		{Type: "order.paid", Data: json.RawMessage(`{}`)}, {Type: "Not A Type", Data: json.RawMessage(`{}`)}}, ""))
	if len(results) != 2 || results[0].ID == "" || results[1].Error == nil || results[1].Error.Status != http.StatusUnprocessableEntity {
		t.Fatalf("batch results %+v", results)
	}

	waitFor(t, "the first event's delivery to succeed", func() bool {
		page := must[*client.Page[client.Delivery]](t)(c.ListDeliveries(ctx, client.DeliveryQuery{EventID: first.ID, Status: "succeeded"}))
		return len(page.Data) == 1
	})
	ev := must[*client.EventWithDeliveries](t)(c.GetEvent(ctx, first.ID))
	if ev.Type != "order.created" || string(ev.Data) != `{"n":1}` || len(ev.Deliveries) != 1 || ev.Attributes["region"] != "eu" {
		t.Fatalf("event %+v", ev)
	}
	d := must[*client.DeliveryWithAttempts](t)(c.GetDelivery(ctx, ev.Deliveries[0].ID))
	if d.SubscriptionID != sub.ID || len(d.Attempts) != 1 || d.Attempts[0].StatusCode != http.StatusNoContent {
		t.Fatalf("delivery %+v", d)
	}
	events := must[*client.Page[client.Event]](t)(c.ListEvents(ctx, client.EventQuery{Type: "order.paid"}))
	if len(events.Data) != 1 || events.Data[0].ID != results[0].ID {
		t.Fatalf("events of type order.paid: %+v", events.Data)
	}

	// A delivery that dies is retried on request, and redriven.
	status.Store(http.StatusInternalServerError)
	failing := must[*client.Published](t)(c.Publish(ctx, client.EventInput{Type: "order.created", Data: json.RawMessage(`{"n":2}`)}, ""))
	var dead client.Delivery
	waitFor(t, "the failing delivery to be dead", func() bool {
		page := must[*client.Page[client.Delivery]](t)(c.ListDeliveries(ctx, client.DeliveryQuery{EventID: failing.ID, Status: "dead"}))
		if len(page.Data) == 1 {
			dead = page.Data[0]
		}
		return len(page.Data) == 1
	})
	if got := must[*client.Delivery](t)(c.RetryDelivery(ctx, dead.ID)); got.Status != "pending" {
		t.Fatalf("retried delivery is %s", got.Status)
	}
	waitFor(t, "the retried delivery to be dead again", func() bool {
		return must[*client.DeliveryWithAttempts](t)(c.GetDelivery(ctx, dead.ID)).Status == "dead"
	})
	if n := must[int](t)(c.Redrive(ctx, sub.ID)); n != 1 {
		t.Fatalf("redrove %d, want the 1 dead delivery", n)
	}
}

func TestPartnersAndKeys(t *testing.T) {
	ctx := context.Background()
	url := gatewayURL(t)
	c, _ := newClient(t, url)
	p := must[*client.Partner](t)(c.CreatePartner(ctx, client.PartnerInput{Name: "Acme", SubscribeTypes: []string{"order.*"}, Quotas: &client.Quotas{MaxSubscriptions: 2}}))
	if !slices.Equal(p.Environments, []string{"prod", "test"}) || p.Quotas.MaxSubscriptions != 2 {
		t.Fatalf("partner %+v", p)
	}
	if got := must[*client.Partner](t)(c.UpdatePartner(ctx, p.ID, client.PartnerInput{Metadata: map[string]string{"tier": "gold"}})); got.Metadata["tier"] != "gold" || got.Name != "Acme" {
		t.Fatalf("updated %+v", got)
	}
	if got := must[*client.Partner](t)(c.GetPartner(ctx, p.ID)); got.ID != p.ID {
		t.Fatalf("read %+v", got)
	}
	if page := must[*client.Page[client.Partner]](t)(c.ListPartners(ctx, client.ListOptions{})); len(page.Data) != 1 {
		t.Fatalf("partners %+v", page.Data)
	}
	if u := must[*client.Usage](t)(c.PartnerUsage(ctx, p.ID, time.Time{}, time.Time{})); u.PartnerID != p.ID || u.Days == nil {
		t.Fatalf("usage %+v", u)
	}
	k := must[*client.Key](t)(c.CreateKey(ctx, client.KeyInput{Scope: "partner", Name: "acme", PartnerID: p.ID}))
	if !strings.HasPrefix(k.Key, "eg_ptn_") {
		t.Fatalf("key %+v", k)
	}
	// The partner's own key sees its partner's usage, and nothing of the admin's.
	partner := client.New(url, k.Key)
	if _, err := partner.PartnerUsage(ctx, p.ID, time.Now().AddDate(0, 0, -1), time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := partner.ListPartners(ctx, client.ListOptions{}); !client.IsNotFound(err) {
		t.Fatalf("a partner key listing partners: %v, want 404", err)
	}
	if page := must[*client.Page[client.Key]](t)(c.ListKeys(ctx, client.KeyQuery{PartnerID: p.ID})); len(page.Data) != 1 || page.Data[0].Key != "" {
		t.Fatalf("keys %+v", page.Data)
	}
	if err := c.RevokeKey(ctx, k.ID); err != nil {
		t.Fatal(err)
	}
	var apiErr *client.Error
	if _, err := partner.ListSubscriptions(ctx, client.ListOptions{}); !errors.As(err, &apiErr) || apiErr.Status != http.StatusUnauthorized {
		t.Fatalf("a revoked key: %v, want 401", err)
	}
	if err := c.DeletePartner(ctx, p.ID); err != nil {
		t.Fatal(err)
	}
}

func TestCatalogSourcesAndTools(t *testing.T) {
	ctx := context.Background()
	c, _ := newClient(t, gatewayURL(t))
	if err := c.Health(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Ready(ctx); err != nil {
		t.Fatal(err)
	}
	if doc := must[[]byte](t)(c.OpenAPI(ctx)); !json.Valid(doc) || !strings.Contains(string(doc), `"openapi": "3.1`) {
		t.Fatalf("openapi document %.80s", doc)
	}
	if text := must[[]byte](t)(c.Metrics(ctx)); !strings.Contains(string(text), "# TYPE eventgate_commit_failures_total counter") {
		t.Fatalf("metrics without the commit failures counter:\n%.500s", text)
	}
	et := must[*client.EventType](t)(c.PutEventType(ctx, "push", client.EventTypeInput{Description: "a git push",
		Schema: json.RawMessage(`{"type":"object","required":["ref"]}`), Example: json.RawMessage(`{"ref":"main"}`)}))
	if et.Name != "push" || et.Description != "a git push" {
		t.Fatalf("event type %+v", et)
	}
	if got := must[*client.EventType](t)(c.GetEventType(ctx, "push")); string(got.Example) != `{"ref":"main"}` {
		t.Fatalf("read %+v", got)
	}
	description := "a push to a branch"
	if got := must[*client.EventType](t)(c.PatchEventType(ctx, "push", client.EventTypePatch{Description: &description, Schema: json.RawMessage("null")})); got.Description != description || got.Schema != nil || string(got.Example) != `{"ref":"main"}` {
		t.Fatalf("patched %+v", got)
	}

	const secret = "s3cret"
	src := must[*client.Source](t)(c.CreateSource(ctx, client.SourceInput{Name: "github",
		Verify:    client.SourceVerify{Type: "hmac", Secret: secret, Header: "x-hub-signature-256", Prefix: "sha256="},
		EventType: client.Locator{Value: "push"}, Dedupe: &client.Locator{FromHeader: "x-github-delivery"}}))
	if src.IngestPath != "/ingest/"+src.ID || src.Verify.Secret != "" || src.EventType.Value != "push" || src.Dedupe.FromHeader != "x-github-delivery" {
		t.Fatalf("source %+v", src)
	}
	body := []byte(`{"ref":"main"}`)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	header := http.Header{"X-Hub-Signature-256": {"sha256=" + hex.EncodeToString(mac.Sum(nil))}, "X-Github-Delivery": {"d-1"}}
	in := must[*client.Published](t)(c.Ingest(ctx, src.ID, body, header))
	if again := must[*client.Published](t)(c.Ingest(ctx, src.ID, body, header)); again.ID != in.ID || !again.Replayed {
		t.Fatalf("repeat of a delivery id: %+v, first %+v", again, in)
	}
	if got := must[*client.Source](t)(c.GetSource(ctx, src.ID)); got.Counts.Accepted != 1 || got.Counts.Duplicates != 1 {
		t.Fatalf("counts %+v", got.Counts)
	}
	renamed := "github-org"
	patched := must[*client.Source](t)(c.PatchSource(ctx, src.ID, client.SourcePatch{Name: &renamed, RemoveDedupe: true}))
	if patched.Name != renamed || patched.Dedupe != nil || patched.IngestPath != src.IngestPath {
		t.Fatalf("patched %+v", patched)
	}
	if page := must[*client.Page[client.Source]](t)(c.ListSources(ctx, client.ListOptions{})); len(page.Data) != 1 {
		t.Fatalf("sources %+v", page.Data)
	}
	if err := c.DeleteSource(ctx, src.ID); err != nil {
		t.Fatal(err)
	}
	if page := must[*client.Page[client.EventType]](t)(c.ListEventTypes(ctx, client.ListOptions{})); len(page.Data) != 1 || page.Data[0].Count != 1 {
		t.Fatalf("catalog %+v", page.Data)
	}
	if err := c.DeleteEventType(ctx, "push"); err != nil {
		t.Fatal(err)
	}

	match := must[bool](t)(c.TestFilter(ctx, json.RawMessage(`{"data":{"total":[{"numeric":[">=",100]}]}}`), json.RawMessage(`{"type":"a","data":{"total":250}}`)))
	if !match {
		t.Fatal("pattern did not match")
	}
	r := must[*client.Rendered](t)(c.TestTransform(ctx, client.TransformTest{PayloadFormat: "data", Event: json.RawMessage(`{"id":"evt_1","type":"a","data":{"x":1}}`)}))
	if r.ContentType != "application/json" || r.Body != `{"x":1}` {
		t.Fatalf("rendered %+v", r)
	}
}

// TestErrorsCarryTheProblem: a refusal comes back as an *Error with the
// problem's fields, the invalid fields listed.
func TestErrorsCarryTheProblem(t *testing.T) {
	url := gatewayURL(t)
	c, _ := newClient(t, url)
	_, err := c.CreateSubscription(context.Background(), client.SubscriptionInput{Name: "x", Channel: client.Channel{Type: "webhook", URL: "ftp://example.com"}})
	var apiErr *client.Error
	if !errors.As(err, &apiErr) {
		t.Fatalf("error %T %v, want *client.Error", err, err)
	}
	if apiErr.Status != http.StatusUnprocessableEntity || apiErr.Type != "https://eventgate.dev/problems/validation" || apiErr.Title != "Unprocessable Entity" ||
		apiErr.Detail == "" || len(apiErr.Errors) == 0 || apiErr.Errors[0].Field != "channel.url" {
		t.Fatalf("problem %+v", apiErr)
	}
	if !strings.Contains(err.Error(), "channel.url") {
		t.Fatalf("message %q does not name the field", err)
	}
	_, err = client.New(url, "eg_adm_wrong-key-000000000").ListSubscriptions(context.Background(), client.ListOptions{})
	if !errors.As(err, &apiErr) || apiErr.Status != http.StatusUnauthorized || apiErr.Type != "https://eventgate.dev/problems/unauthenticated" {
		t.Fatalf("a wrong key: %v", err)
	}
}

// TestAllFollowsCursors: the iterator walks every page, newest first, and
// stops fetching when the loop stops.
func TestAllFollowsCursors(t *testing.T) {
	ctx := context.Background()
	c, tr := newClient(t, gatewayURL(t))
	var created []string
	for range 7 {
		s := must[*client.Subscription](t)(c.CreateSubscription(ctx, client.SubscriptionInput{Name: "s", Channel: client.Channel{Type: "webhook", URL: "https://example.com"}}))
		created = append(created, s.ID)
	}
	slices.Reverse(created)
	before := tr.sent.Load()
	var seen []string
	for s, err := range c.AllSubscriptions(ctx, client.ListOptions{Limit: 2}) {
		if err != nil {
			t.Fatal(err)
		}
		seen = append(seen, s.ID)
	}
	if !slices.Equal(seen, created) {
		t.Fatalf("iterated %v, want newest first %v", seen, created)
	}
	if pages := tr.sent.Load() - before; pages != 4 {
		t.Fatalf("fetched %d pages of 2 for 7 items, want 4", pages)
	}
	before = tr.sent.Load()
	for range c.AllSubscriptions(ctx, client.ListOptions{Limit: 2}) {
		break
	}
	if pages := tr.sent.Load() - before; pages != 1 {
		t.Fatalf("fetched %d pages for a loop that stopped at the first item", pages)
	}
	var yielded []error
	for _, err := range c.AllSubscriptions(ctx, client.ListOptions{After: "%%"}) {
		yielded = append(yielded, err)
	}
	var apiErr *client.Error
	if len(yielded) != 1 || !errors.As(yielded[0], &apiErr) || apiErr.Status != http.StatusBadRequest {
		t.Fatalf("a bad cursor yielded %v, want one 400", yielded)
	}
}

// TestRetriesHonourRetryAfter: over the publish rate limit the gateway
// answers 429 with Retry-After; the client waits that long and sends again,
// unless the wait is longer than it may wait or it may not retry.
func TestRetriesHonourRetryAfter(t *testing.T) {
	ctx := context.Background()
	url := gatewayURL(t, func(c *gateway.Config) { c.PublishRateLimit = 1 }) // burst 2
	ev := client.EventInput{Type: "a.b", Data: json.RawMessage(`{}`)}

	impatient, _ := newClient(t, url, client.WithRetries(3, 100*time.Millisecond))
	for range 2 {
		must[*client.Published](t)(impatient.Publish(ctx, ev, ""))
	}
	_, err := impatient.Publish(ctx, ev, "")
	var apiErr *client.Error
	if !errors.As(err, &apiErr) || apiErr.Status != http.StatusTooManyRequests || apiErr.RetryAfter < time.Second {
		t.Fatalf("over the limit, unwilling to wait a second: %v (%+v)", err, apiErr)
	}

	patient, tr := newClient(t, url)
	must[*client.Published](t)(patient.Publish(ctx, ev, ""))
	if tr.limited.Load() != 1 || tr.sent.Load() != 2 {
		t.Fatalf("sent %d requests, %d answered 429; want 2, 1", tr.sent.Load(), tr.limited.Load())
	}

	never, tr := newClient(t, url, client.WithRetries(0, time.Minute))
	if _, err := never.Publish(ctx, ev, ""); !errors.As(err, &apiErr) || apiErr.Status != http.StatusTooManyRequests || tr.sent.Load() != 1 {
		t.Fatalf("without retries: %v after %d requests", err, tr.sent.Load())
	}
}

func TestReplaysAndAudit(t *testing.T) {
	ctx := context.Background()
	c, _ := newClient(t, gatewayURL(t))
	var received atomic.Int64
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { received.Add(1) }))
	t.Cleanup(receiver.Close)
	from := time.Now().Add(-time.Second)
	for i := range 3 {
		must[*client.Published](t)(c.Publish(ctx, client.EventInput{Type: "order.created", Data: json.RawMessage(fmt.Sprintf(`{"n":%d}`, i))}, ""))
	}
	// Subscribed after the events: only a replay brings them.
	sub := must[*client.Subscription](t)(c.CreateSubscription(ctx, client.SubscriptionInput{Name: "late", Channel: client.Channel{Type: "webhook", URL: receiver.URL}}))

	r := must[*client.Replay](t)(c.CreateReplay(ctx, client.ReplayInput{SubscriptionID: sub.ID, From: from, To: time.Now().Add(time.Second)}))
	waitFor(t, "the replay to deliver the 3 archived events", func() bool {
		r = must[*client.Replay](t)(c.GetReplay(ctx, r.ID))
		return !r.Running()
	})
	if r.Status != "done" || r.Matched != 3 || r.Delivered != 3 || received.Load() != 3 {
		t.Fatalf("replay %+v, receiver got %d", r, received.Load())
	}
	var listed []string
	for replay, err := range c.AllReplays(ctx, client.ListOptions{}) {
		listed = append(listed, must[string](t)(replay.ID, err))
	}
	if !slices.Equal(listed, []string{r.ID}) {
		t.Fatalf("replays listed %v, want %s", listed, r.ID)
	}
	if _, err := c.CancelReplay(ctx, r.ID); err == nil {
		t.Fatal("cancelling a finished replay succeeded, want 409")
	}

	var actions []string
	for entry, err := range c.AllAudit(ctx, client.AuditQuery{Target: sub.ID}) {
		actions = append(actions, must[client.AuditEntry](t)(entry, err).Action)
	}
	if !slices.Contains(actions, "subscription.create") {
		t.Fatalf("audit entries for %s: %v, want its creation", sub.ID, actions)
	}
}

func TestPullAckNackAndStream(t *testing.T) {
	ctx := context.Background()
	c, _ := newClient(t, gatewayURL(t))
	sub := must[*client.Subscription](t)(c.CreateSubscription(ctx, client.SubscriptionInput{Name: "pulled", Channel: client.Channel{Type: "pull"}}))
	if sub.Channel.VisibilityTimeout != client.Duration(30*time.Second) {
		t.Fatalf("pull channel %+v, want the 30s default visibility timeout", sub.Channel)
	}
	first := must[*client.Published](t)(c.Publish(ctx, client.EventInput{Type: "order.created", Data: json.RawMessage(`{"n":1}`)}, ""))

	msgs := must[[]client.Message](t)(c.Pull(ctx, sub.ID, client.PullOptions{MaxMessages: 5, Wait: client.Duration(5 * time.Second)}))
	if len(msgs) != 1 || msgs[0].EventID != first.ID || !strings.Contains(string(msgs[0].Payload), `"n":1`) {
		t.Fatalf("pulled %+v", msgs)
	}
	nacked := must[[]client.ReceiptStatus](t)(c.Nack(ctx, sub.ID, 0, msgs[0].Receipt))
	if len(nacked) != 1 || nacked[0].Status != "nacked" {
		t.Fatalf("nack: %+v", nacked)
	}
	again := must[[]client.Message](t)(c.Pull(ctx, sub.ID, client.PullOptions{Wait: client.Duration(5 * time.Second)}))
	if len(again) != 1 || again[0].Attempt != 2 {
		t.Fatalf("after a nack pulled %+v, want the message again as attempt 2", again)
	}
	statuses := must[[]client.ReceiptStatus](t)(c.Ack(ctx, sub.ID, again[0].Receipt, msgs[0].Receipt))
	if statuses[0].Status != "acked" || statuses[1].Status != "stale" {
		t.Fatalf("ack of the live and the old receipt: %+v", statuses)
	}

	second := must[*client.Published](t)(c.Publish(ctx, client.EventInput{Type: "order.created", Data: json.RawMessage(`{"n":2}`)}, ""))
	streamCtx, stop := context.WithCancel(ctx)
	defer stop()
	for m, err := range c.Stream(streamCtx, sub.ID, false) {
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(m.Payload), `"n":2`) {
			t.Fatalf("streamed %s, want the second event", m.Payload)
		}
		if got := must[[]client.ReceiptStatus](t)(c.Ack(ctx, sub.ID, m.Receipt)); got[0].Status != "acked" {
			t.Fatalf("ack of a streamed message: %+v", got)
		}
		break
	}
	waitFor(t, "the second event's delivery to succeed", func() bool {
		page := must[*client.Page[client.Delivery]](t)(c.ListDeliveries(ctx, client.DeliveryQuery{EventID: second.ID, Status: "succeeded"}))
		return len(page.Data) == 1
	})
	if _, err := c.Pull(ctx, "sub_missing", client.PullOptions{}); !client.IsNotFound(err) {
		t.Fatalf("pulling a subscription that does not exist: %v, want 404", err)
	}
}
