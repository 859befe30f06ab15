package postgres

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/eventgate/eventgate/internal/event"
	"github.com/eventgate/eventgate/internal/store"
)

// LeasePull locks the visible deliveries it takes with FOR UPDATE SKIP
// LOCKED, so that consumers pulling through different nodes take different
// ones without waiting on each other, and FOR UPDATE re-checks due_at on a
// row another consumer leased meanwhile.
func (s *Store) LeasePull(ctx context.Context, q store.PullLease) ([]*store.PullMessage, error) {
	var out []*store.PullMessage
	if q.Token == "" {
		q.Token = store.NewLeaseToken()
	}
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		out = out[:0]
		// Deliveries that die on the way leave room: look again for more.
		for len(out) < q.Limit {
			found, died, err := leasePullOnce(ctx, tx, q, q.Limit-len(out))
			if err != nil {
				return err
			}
			out = append(out, found...)
			if died == 0 {
				return nil
			}
		}
		return nil
	})
	return out, err
}

func leasePullOnce(ctx context.Context, tx pgx.Tx, q store.PullLease, limit int) (found []*store.PullMessage, died int, err error) {
	type candidate struct {
		store.PullMessage
		leaseEnd time.Time
		expired  bool
	}
	rows, _ := tx.Query(ctx, `SELECT d.id, d.event_id, d.attempts, d.cycle_attempts, d.cycle_start, d.due_at, d.lease_owner IS NOT NULL, e.envelope
		FROM deliveries d JOIN events e ON e.id = d.event_id
		WHERE d.subscription_id = $1 AND d.pull AND d.due_at <= $2 ORDER BY d.due_at LIMIT $3
		FOR UPDATE OF d SKIP LOCKED`, q.SubscriptionID, q.Now, limit)
	cands, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*candidate, error) {
		var c candidate
		err := row.Scan(&c.DeliveryID, &c.EventID, &c.Attempts, &c.CycleAttempts, &c.CycleStart, &c.leaseEnd, &c.expired, &c.Envelope)
		c.SubscriptionID = q.SubscriptionID
		return &c, err
	})
	if err != nil {
		return nil, 0, err
	}
	b := &pgx.Batch{}
	for _, c := range cands {
		status := event.Pending
		if c.Attempts > 0 {
			status = event.Failed
		}
		if c.expired { // the last lease ran out unsettled: a failed try
			c.Attempts++
			c.CycleAttempts++
			queuePullAttempt(b, c.DeliveryID, c.leaseEnd, store.PullExpired)
			status = store.PullFailure(q.Policy, c.CycleAttempts, c.CycleStart, q.Now)
			if status == event.Dead {
				b.Queue(`UPDATE deliveries SET status = 'dead', attempts = $1, cycle_attempts = $2, last_error = $3, last_status_code = 0,
					due_at = NULL, lease_owner = NULL, updated_at = $4 WHERE id = $5`, c.Attempts, c.CycleAttempts, store.PullExpired, q.Now, c.DeliveryID)
				died++
				continue
			}
		}
		c.Receipt = store.Receipt{DeliveryID: c.DeliveryID, Token: q.Token}
		b.Queue(`UPDATE deliveries SET status = $1, attempts = $2, cycle_attempts = $3, due_at = $4, lease_owner = $5,
			last_error = CASE WHEN $6 THEN $7 ELSE last_error END, updated_at = $8 WHERE id = $9`,
			string(status), c.Attempts, c.CycleAttempts, q.Until, c.Receipt.Token, c.expired, store.PullExpired, q.Now, c.DeliveryID)
		found = append(found, &c.PullMessage)
	}
	if b.Len() > 0 {
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return nil, 0, err
		}
	}
	return found, died, nil
}

func queuePullAttempt(b *pgx.Batch, deliveryID string, at time.Time, errText string) {
	b.Queue(`INSERT INTO attempts (id, delivery_id, at, status_code, latency_us, response_body, error) VALUES ($1, $2, $3, 0, 0, '', $4)`,
		event.NewID(event.PrefixAttempt), deliveryID, at, errText)
}

func (s *Store) AckPull(ctx context.Context, subscriptionID string, receipts []store.Receipt, now time.Time) ([]bool, error) {
	ids, tokens := receiptColumns(receipts)
	acked := make([]bool, len(receipts))
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		clear(acked)
		rows, _ := tx.Query(ctx, `UPDATE deliveries d SET status = 'succeeded', attempts = d.attempts + 1, cycle_attempts = d.cycle_attempts + 1,
				last_error = '', last_status_code = 0, due_at = NULL, lease_owner = NULL, updated_at = $4
			FROM unnest($1::text[], $2::text[]) AS r(id, token)
			WHERE d.id = r.id AND d.lease_owner = r.token AND d.subscription_id = $3 AND d.pull
			RETURNING r.id, r.token`, ids, tokens, subscriptionID, now)
		done, err := pgx.CollectRows(rows, pgx.RowToStructByPos[store.Receipt])
		if err != nil {
			return err
		}
		b := &pgx.Batch{}
		for _, r := range done {
			store.MarkSettled(receipts, acked, r)
			queuePullAttempt(b, r.DeliveryID, now, "")
		}
		if b.Len() == 0 {
			return nil
		}
		return tx.SendBatch(ctx, b).Close()
	})
	return acked, err
}

func (s *Store) NackPull(ctx context.Context, q store.PullNack) ([]bool, error) {
	ids, tokens := receiptColumns(q.Receipts)
	nacked := make([]bool, len(q.Receipts))
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		clear(nacked)
		rows, _ := tx.Query(ctx, `SELECT d.id, r.token, d.cycle_attempts, d.cycle_start FROM deliveries d
			JOIN unnest($1::text[], $2::text[]) AS r(id, token) ON d.id = r.id AND d.lease_owner = r.token
			WHERE d.subscription_id = $3 AND d.pull FOR UPDATE OF d`, ids, tokens, q.SubscriptionID)
		type leased struct {
			store.Receipt
			cycleAttempts int
			cycleStart    time.Time
		}
		held, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (leased, error) {
			var l leased
			err := row.Scan(&l.DeliveryID, &l.Token, &l.cycleAttempts, &l.cycleStart)
			return l, err
		})
		if err != nil {
			return err
		}
		b := &pgx.Batch{}
		for _, l := range held {
			store.MarkSettled(q.Receipts, nacked, l.Receipt)
			status := store.PullFailure(q.Policy, l.cycleAttempts+1, l.cycleStart, q.Now)
			var visible *time.Time
			if status == event.Failed {
				visible = &q.VisibleAt
			}
			b.Queue(`UPDATE deliveries SET status = $1, attempts = attempts + 1, cycle_attempts = cycle_attempts + 1,
				last_error = $2, last_status_code = 0, due_at = $3, lease_owner = NULL, updated_at = $4 WHERE id = $5`,
				string(status), store.PullNacked, visible, q.Now, l.DeliveryID)
			queuePullAttempt(b, l.DeliveryID, q.Now, store.PullNacked)
		}
		if b.Len() == 0 {
			return nil
		}
		return tx.SendBatch(ctx, b).Close()
	})
	return nacked, err
}

// receiptColumns are the distinct receipts as two columns: a receipt
// repeated in one call is settled once.
func receiptColumns(receipts []store.Receipt) (ids, tokens []string) {
	for _, r := range store.DistinctReceipts(receipts) {
		ids, tokens = append(ids, r.DeliveryID), append(tokens, r.Token)
	}
	return ids, tokens
}

// pullChannel is the NOTIFY channel that names subscriptions whose pull
// messages were just committed, comma-separated.
const pullChannel = "eventgate_pull"

// notifyPayload bounds one notification's payload (PostgreSQL's limit is 8000 bytes).
const notifyPayload = 7000

// queuePullNotify notifies, on commit, that subs have new messages.
func queuePullNotify(b *pgx.Batch, subs []string) {
	for len(subs) > 0 {
		n, size := 0, 0
		for n < len(subs) && size+len(subs[n])+1 <= notifyPayload {
			size += len(subs[n]) + 1
			n++
		}
		n = max(n, 1)
		b.Queue(`SELECT pg_notify($1, $2)`, pullChannel, strings.Join(subs[:n], ","))
		subs = subs[n:]
	}
}

// ListenPull calls arrived with each subscription that has new pull
// messages, committed through any node, until ctx is done. It holds one
// connection of the pool, and takes another after losing it.
func (s *Store) ListenPull(ctx context.Context, arrived func(subscriptionID string)) error {
	for wait := 100 * time.Millisecond; ; wait = min(2*wait, 5*time.Second) {
		err := s.listenPull(ctx, arrived)
		if ctx.Err() != nil {
			return nil
		}
		slog.Warn("listening for pull messages of other nodes failed; long polls there find them at their next look", "err", err, "retry_in", wait)
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return nil
		}
	}
}

func (s *Store) listenPull(ctx context.Context, arrived func(string)) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `LISTEN `+pullChannel); err != nil {
		return err
	}
	defer func() {
		// The connection goes back to the pool: stop listening on it.
		unlisten, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if _, err := conn.Exec(unlisten, `UNLISTEN `+pullChannel); err != nil {
			conn.Conn().Close(unlisten)
		}
	}()
	for {
		n, err := conn.Conn().WaitForNotification(ctx)
		if err != nil {
			return err
		}
		for id := range strings.SplitSeq(n.Payload, ",") {
			arrived(id)
		}
	}
}
