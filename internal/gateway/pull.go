package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/eventgate/eventgate/internal/channel/pull"
	"github.com/eventgate/eventgate/internal/observe"
	"log/slog"
	"sync"
	"time"

	"github.com/eventgate/eventgate/internal/auth"
	"github.com/eventgate/eventgate/internal/event"
	"github.com/eventgate/eventgate/internal/route"
	"github.com/eventgate/eventgate/internal/store"
)

// The pull channel: a partner that cannot host an endpoint drains its
// subscription's deliveries with long polls and settles them by receipt.
// Deliveries wait in the store; a pull leases them for the subscription's
// visibility timeout, and a lease that runs out unacknowledged counts as a
// failed attempt (see store.Pull).

// Limits of pull requests.
const (
	DefaultPullMessages = 10
	MaxPullMessages     = 1000
	MaxPullWait         = 20 * time.Second
	MaxReceipts         = 1000
	MaxNackDelay        = pull.MaxVisibilityTimeout
)

// pullVisibility is how long a pulled message stays invisible to other
// pulls: the one place that reads the pull channel's setting.
func pullVisibility(sub *event.Subscription) time.Duration {
	return sub.Channel.Config.(*pull.Config).VisibilityTimeout.D()
}

// PullRefused is a pull, ack, nack or stream of a subscription that cannot
// be pulled now; Reason says why and what to do.
type PullRefused struct{ Reason string }

func (p *PullRefused) Error() string { return p.Reason }

// PullRequest asks for messages: MaxMessages (nil: DefaultPullMessages)
// at most, waiting up to Wait for the first. Lease, when set (a stream's,
// from store.NewLeaseToken), leases them all under one token, so that
// their receipts are their delivery ids joined to it.
type PullRequest struct {
	MaxMessages *int
	Wait        time.Duration
	Lease       string
}

// Message is one pulled message, as the consumer sees it.
type Message struct {
	Receipt    string          `json:"receipt"`
	DeliveryID string          `json:"delivery_id"`
	EventID    string          `json:"event_id"`
	Attempt    int             `json:"attempt"`
	Payload    json.RawMessage `json:"payload"`
}

// ReceiptStatus says what became of one receipt of an ack or nack.
type ReceiptStatus struct {
	Receipt string `json:"receipt"`
	Status  string `json:"status"` // acked or nacked; stale when its lease was gone
}

// pullable loads a subscription who may pull from, and refuses one that
// is not a pull subscription or is not active.
func (g *Gateway) pullable(ctx context.Context, who auth.Principal, id string) (*event.Subscription, error) {
	sub, err := g.ownSubscription(ctx, who, id)
	if err != nil {
		return nil, err
	}
	if sub.Channel.Type != "pull" {
		return nil, &PullRefused{fmt.Sprintf("Subscription %s delivers over %s, so it cannot be pulled; create a subscription with channel {\"type\": \"pull\"}.", id, sub.Channel.Type)}
	}
	return sub, nil
}

// Pull leases up to MaxMessages of a pull subscription's messages; with
// a Wait it returns as soon as one is there, or empty when Wait runs out.
func (g *Gateway) Pull(ctx context.Context, who auth.Principal, id string, req PullRequest) ([]*Message, error) {
	limit := DefaultPullMessages
	var p event.Problems
	if req.MaxMessages != nil {
		limit = *req.MaxMessages
		if limit < 1 || limit > MaxPullMessages {
			p.Add("max_messages", fmt.Sprintf("must be between 1 and %d", MaxPullMessages))
		}
	}
	if req.Wait < 0 || req.Wait > MaxPullWait {
		p.Add("wait", fmt.Sprintf("must be between 0s and %s", MaxPullWait))
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	sub, err := g.pullable(ctx, who, id)
	if err != nil {
		return nil, err
	}
	return g.pullWaiting(ctx, sub, limit, req.Wait, req.Lease)
}

// pullWaiting leases messages, waiting up to wait for the first: woken by
// this node's ingest, and looking again every poll interval for what other
// nodes stored, nacks that came due and leases that ran out. A non-empty
// token leases every message under it (a stream's lease).
func (g *Gateway) pullWaiting(ctx context.Context, sub *event.Subscription, limit int, wait time.Duration, token string) ([]*Message, error) {
	deadline := time.Now().Add(wait)
	for {
		if sub.Status != event.Active {
			return nil, &PullRefused{fmt.Sprintf("Subscription %s is %s, so nothing can be pulled; resume it first.", sub.ID, sub.Status)}
		}
		arrived := g.pullWaiters.next(sub.ID) // before leasing, so that no arrival is missed
		msgs, err := g.lease(ctx, sub, limit, token)
		if err != nil || len(msgs) > 0 {
			return msgs, err
		}
		left := time.Until(deadline)
		if left <= 0 {
			return []*Message{}, nil
		}
		woken := g.pullWaiters.sleep(ctx, sub.ID, arrived, min(left, g.cfg.PollInterval))
		if !woken || time.Until(deadline) <= 0 { // what arrives now waits for the next pull
			return []*Message{}, nil
		}
		if sub, err = g.store.GetSubscription(ctx, sub.ID); err != nil { // paused or changed meanwhile
			return nil, err
		}
	}
}

// lease leases and renders messages. The quota admits each one handed out
// as delivered: what the consumer does not acknowledge is counted again when
// the quota is next read from the store.
func (g *Gateway) lease(ctx context.Context, sub *event.Subscription, limit int, token string) ([]*Message, error) {
	admitted := 0
	for admitted < limit && g.quota.Admit(sub) {
		admitted++
	}
	if admitted == 0 {
		return []*Message{}, nil
	}
	now := time.Now()
	leased, err := g.store.LeasePull(ctx, store.PullLease{
		SubscriptionID: sub.ID, Limit: admitted, Now: now, Until: now.Add(pullVisibility(sub)), Policy: sub.RetryPolicy, Token: token,
	})
	for i := range admitted {
		g.quota.Done(sub, err == nil && i < len(leased))
	}
	if err != nil {
		return nil, err
	}
	shape := g.shapeOf(sub)
	out := make([]*Message, 0, len(leased))
	var unrenderable []store.Receipt
	for _, m := range leased {
		body, _, err := shape.Render(m.Envelope)
		if err == nil && !shape.RendersJSON() && !json.Valid(body) {
			body, err = json.Marshal(string(body)) // a template that renders text: the payload is that string
		}
		if err != nil {
			slog.Warn("a pulled message's payload cannot be rendered; it is handed back as a failed attempt", "subscription", sub.ID, "delivery", m.DeliveryID, "err", err)
			unrenderable = append(unrenderable, m.Receipt)
			continue
		}
		out = append(out, &Message{Receipt: m.Receipt.String(), DeliveryID: m.DeliveryID, EventID: m.EventID, Attempt: m.Attempts + 1, Payload: body})
	}
	if len(unrenderable) > 0 {
		_, err := g.store.NackPull(ctx, store.PullNack{SubscriptionID: sub.ID, Receipts: unrenderable, Now: now, VisibleAt: now.Add(sub.RetryPolicy.MinBackoff.D()), Policy: sub.RetryPolicy})
		if err != nil {
			slog.Error("handing back unrenderable messages failed; they come back after the visibility timeout", "subscription", sub.ID, "err", err)
		}
	}
	return out, nil
}

// shapeOf is how sub's payloads are rendered, the same as for a webhook:
// the router's compiled shape, or compiled now for a subscription the
// router has not loaded in this version (changed through another node).
func (g *Gateway) shapeOf(sub *event.Subscription) *route.Shape {
	loaded, shape := g.router.Ref(sub.ID).GetWithShape()
	if loaded != nil && loaded.UpdatedAt.Equal(sub.UpdatedAt) {
		return shape
	}
	if compiled, err := route.CompileShape(sub); err == nil {
		return compiled
	}
	return shape // the router's fallback, as for a webhook
}

// Ack marks pulled messages delivered. A receipt whose lease is gone (it
// ran out and the message was pulled again, or it was settled) is stale.
func (g *Gateway) Ack(ctx context.Context, who auth.Principal, id string, receipts []string) ([]ReceiptStatus, error) {
	var p event.Problems
	parsed := checkReceipts(&p, receipts)
	if err := p.Err(); err != nil {
		return nil, err
	}
	if _, err := g.pullable(ctx, who, id); err != nil {
		return nil, err
	}
	ok, err := g.store.AckPull(ctx, id, parsed, time.Now())
	if err != nil {
		return nil, err
	}
	g.observePulled(id, ok, event.Succeeded)
	return receiptStatuses(receipts, ok, "acked"), nil
}

// Nack hands pulled messages back: visible again after delay, each a
// failed attempt (dead once the retry policy is spent).
func (g *Gateway) Nack(ctx context.Context, who auth.Principal, id string, receipts []string, delay time.Duration) ([]ReceiptStatus, error) {
	var p event.Problems
	parsed := checkReceipts(&p, receipts)
	if delay < 0 || delay > MaxNackDelay {
		p.Add("delay", fmt.Sprintf("must be between 0s and %s", MaxNackDelay))
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	sub, err := g.pullable(ctx, who, id)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	ok, err := g.store.NackPull(ctx, store.PullNack{SubscriptionID: id, Receipts: parsed, Now: now, VisibleAt: now.Add(delay), Policy: sub.RetryPolicy})
	if err != nil {
		return nil, err
	}
	if delay == 0 {
		g.pullWaiters.wake(id)
	}
	g.observePulled(id, ok, event.Failed)
	return receiptStatuses(receipts, ok, "nacked"), nil
}

// observePulled tells the observer of the tries an ack or nack settled,
// as the dispatcher does for the sends it settles. A nack that spent the
// retry policy counts as failed here; the delivery is dead all the same.
func (g *Gateway) observePulled(subscriptionID string, settled []bool, outcome event.DeliveryStatus) {
	for _, ok := range settled {
		if ok {
			g.cfg.Observer.Attempted(observe.Attempt{SubscriptionID: subscriptionID, Channel: "pull", Outcome: outcome})
		}
	}
}

// checkReceipts parses receipts, adding to p what is wrong with them.
func checkReceipts(p *event.Problems, receipts []string) []store.Receipt {
	if len(receipts) == 0 || len(receipts) > MaxReceipts {
		p.Add("receipts", fmt.Sprintf("must hold between 1 and %d receipts", MaxReceipts))
		return nil
	}
	out := make([]store.Receipt, len(receipts))
	for i, r := range receipts {
		var ok bool
		if out[i], ok = store.ParseReceipt(r); !ok {
			p.Add(fmt.Sprintf("receipts[%d]", i), "is not a receipt; send the receipt field of a pulled message as it is")
		}
	}
	return out
}

func receiptStatuses(receipts []string, ok []bool, done string) []ReceiptStatus {
	out := make([]ReceiptStatus, len(receipts))
	for i, r := range receipts {
		out[i] = ReceiptStatus{Receipt: r, Status: "stale"}
		if ok[i] {
			out[i].Status = done
		}
	}
	return out
}

// handoff takes the deliveries of a commit: those to send go to the
// dispatcher; those to pull wake the long polls of their subscription.
func (g *Gateway) handoff(jobs []*store.Job) {
	send := jobs[:0:0]
	for _, j := range jobs {
		if j.Pull {
			g.pullWaiters.wake(j.SubscriptionID)
		} else {
			send = append(send, j)
		}
	}
	if len(send) == len(jobs) {
		send = jobs
	}
	if len(send) > 0 {
		g.dispatch.Enqueue(send)
	}
}

// listenForPulls wakes this node's long polls when pull messages are
// committed through other nodes, when the store can tell.
func (g *Gateway) listenForPulls() {
	ctx, cancel := context.WithCancel(context.Background())
	g.stopListen = cancel
	n, ok := g.store.(store.PullNotifier)
	if !ok || g.cfg.SingleNode {
		return
	}
	g.background.Go(func() {
		if err := n.ListenPull(ctx, g.pullWaiters.wake); err != nil && !errors.Is(err, errors.ErrUnsupported) {
			slog.Error("listening for other nodes' pull messages stopped; long polls find them every poll interval", "err", err)
		}
	})
}

// pullWaiters wakes the long polls of a subscription when messages arrive.
type pullWaiters struct {
	mu       sync.Mutex
	bySub    map[string]chan struct{} // closed on the next arrival
	sleeping map[string]int           // long polls asleep, by subscription, for tests
}

// sleep waits for arrived or for d; false when ctx ended first.
func (w *pullWaiters) sleep(ctx context.Context, id string, arrived <-chan struct{}, d time.Duration) bool {
	w.mu.Lock()
	if w.sleeping == nil {
		w.sleeping = map[string]int{}
	}
	w.sleeping[id]++
	w.mu.Unlock()
	defer func() {
		w.mu.Lock()
		w.sleeping[id]--
		w.mu.Unlock()
	}()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-arrived:
		return true
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// next returns a channel closed when messages for subscription id arrive.
func (w *pullWaiters) next(id string) <-chan struct{} {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.bySub == nil {
		w.bySub = map[string]chan struct{}{}
	}
	ch := w.bySub[id]
	if ch == nil {
		ch = make(chan struct{})
		w.bySub[id] = ch
	}
	return ch
}

func (w *pullWaiters) wake(id string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if ch := w.bySub[id]; ch != nil {
		close(ch)
		delete(w.bySub, id)
	}
}
