package gateway

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/eventgate/eventgate/internal/event"
	"github.com/eventgate/eventgate/internal/store"
)

// quotaGate holds partners to their monthly_deliveries at dispatch time:
// every send of a partner's subscription is admitted against an in-memory
// count of the partner's successful attempts this month plus the sends in
// flight, so a quota of 3 delivers 3 whatever the concurrency. The count is
// read from the store's usage when a partner is first seen, each month,
// and again every quotaInterval (then it takes the larger of the two), so
// it costs no store round trip per delivery.
//
// With several nodes on one PostgreSQL database each node counts its own
// sends exactly and learns the others' from the store once a quotaInterval:
// a partner can then go over by what the other nodes delivered since their
// last read, at most (nodes-1) times what was left of the quota. Exact
// across nodes would need a counter reserved in the store before each send,
// a write per delivery on the hot path; the leader's check, which pauses
// the partner's subscriptions, bounds the overrun instead.
type quotaGate struct {
	g        *Gateway
	mu       sync.Mutex
	partners map[string]*partnerQuota
}

// partnerQuota is what one node knows of one partner's month.
type partnerQuota struct {
	mu        sync.Mutex
	month     time.Time // the month delivered counts in
	limit     int64     // monthly_deliveries; 0: no quota
	delivered int64     // successful attempts this month
	inFlight  int64     // sends admitted, not done yet
	synced    time.Time // when limit and delivered were read from the store; zero: read again
	pausing   bool      // a pause of the partner's subscriptions is under way
}

func newQuotaGate(g *Gateway) *quotaGate {
	return &quotaGate{g: g, partners: map[string]*partnerQuota{}}
}

func (q *quotaGate) partner(id string) *partnerQuota {
	q.mu.Lock()
	defer q.mu.Unlock()
	pq := q.partners[id]
	if pq == nil {
		pq = &partnerQuota{}
		q.partners[id] = pq
	}
	return pq
}

// Admit reserves one send of sub. A refused send waits untried; the
// partner's subscriptions are paused meanwhile, so their deliveries wait
// parked, not claimed again and again, until the quota allows.
func (q *quotaGate) Admit(sub *event.Subscription) bool {
	if sub.PartnerID == "" {
		return true
	}
	pq := q.partner(sub.PartnerID)
	pq.mu.Lock()
	defer pq.mu.Unlock()
	q.syncLocked(context.Background(), sub.PartnerID, pq, time.Now())
	if pq.limit > 0 && pq.delivered+pq.inFlight >= pq.limit {
		if !pq.pausing {
			pq.pausing = true
			q.g.background.Go(func() { q.pause(sub.PartnerID, pq) })
		}
		return false
	}
	pq.inFlight++
	return true
}

// Done ends a send that Admit let through.
func (q *quotaGate) Done(sub *event.Subscription, delivered bool) {
	if sub.PartnerID == "" {
		return
	}
	pq := q.partner(sub.PartnerID)
	pq.mu.Lock()
	defer pq.mu.Unlock()
	pq.inFlight--
	if delivered {
		pq.delivered++
	}
}

// usage returns what the partner delivered this month, as far as this
// node knows, and its quota.
func (q *quotaGate) usage(ctx context.Context, partnerID string, now time.Time) (delivered, limit int64, err error) {
	pq := q.partner(partnerID)
	pq.mu.Lock()
	defer pq.mu.Unlock()
	pq.synced = time.Time{} // a question asked rarely, by a person: answer from the store
	if err := q.syncLocked(ctx, partnerID, pq, now); err != nil {
		return 0, 0, err
	}
	return pq.delivered, pq.limit, nil
}

// known is what this node counted the partner delivered this month,
// sends not yet recorded in the store included.
func (q *quotaGate) known(partnerID string, now time.Time) int64 {
	pq := q.partner(partnerID)
	pq.mu.Lock()
	defer pq.mu.Unlock()
	if !pq.month.Equal(MonthStart(now)) {
		return 0
	}
	return pq.delivered
}

// forget makes the next send read the partner's quota and usage again,
// after its quota changed.
func (q *quotaGate) forget(partnerID string) {
	pq := q.partner(partnerID)
	pq.mu.Lock()
	pq.synced = time.Time{}
	pq.mu.Unlock()
}

// syncLocked reads the partner's quota and usage when they are stale;
// pq.mu is held. On a read error it keeps what it knew (or admits, when it
// knew nothing): a database hiccup does not stop deliveries.
func (q *quotaGate) syncLocked(ctx context.Context, partnerID string, pq *partnerQuota, now time.Time) error {
	month := MonthStart(now)
	if !pq.synced.IsZero() && now.Sub(pq.synced) < quotaInterval && pq.month.Equal(month) {
		return nil
	}
	p, err := q.g.store.GetPartner(ctx, partnerID)
	if errors.Is(err, store.ErrNotFound) {
		pq.limit, pq.synced = 0, now // its subscriptions are disabled with it
		return nil
	}
	var delivered int64
	if err == nil {
		delivered, err = q.g.MonthlyDelivered(ctx, partnerID, now)
	}
	if err != nil {
		slog.Error("reading a partner's monthly usage failed; its quota is checked with what was known", "partner", partnerID, "err", err)
		return err
	}
	if !pq.month.Equal(month) {
		pq.month, pq.delivered = month, 0
	}
	pq.limit, pq.delivered, pq.synced = p.Quotas.MonthlyDeliveries, max(pq.delivered, delivered), now
	return nil
}

// pause pauses the partner's active subscriptions after a refused send.
func (q *quotaGate) pause(partnerID string, pq *partnerQuota) {
	defer func() {
		pq.mu.Lock()
		pq.pausing = false
		pq.mu.Unlock()
	}()
	ctx := context.Background()
	p, err := q.g.store.GetPartner(ctx, partnerID)
	if err == nil {
		err = q.g.enforceQuota(ctx, p, time.Now())
	}
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		slog.Error("pausing the subscriptions of a partner over its quota failed; its deliveries wait untried meanwhile", "partner", partnerID, "err", err)
	}
}
