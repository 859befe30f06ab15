package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/eventgate/eventgate/internal/event"
	"github.com/eventgate/eventgate/internal/store"
)

func (s *Store) LeasePull(ctx context.Context, q store.PullLease) ([]*store.PullMessage, error) {
	var out []*store.PullMessage
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		out = out[:0]
		// Deliveries that die on the way leave room: look again for more.
		for len(out) < q.Limit {
			found, died, err := s.leasePullOnce(ctx, tx, q, q.Limit-len(out))
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

func (s *Store) leasePullOnce(ctx context.Context, tx *sql.Tx, q store.PullLease, limit int) (found []*store.PullMessage, died int, err error) {
	rows, err := tx.QueryContext(ctx, `SELECT d.id, d.event_id, d.attempts, d.cycle_attempts, d.cycle_start, d.due_at, d.lease_owner IS NOT NULL, e.envelope
		FROM deliveries d JOIN events e ON e.id = d.event_id
		WHERE d.subscription_id = ? AND d.pull = 1 AND d.due_at <= ? ORDER BY d.due_at LIMIT ?`, q.SubscriptionID, micros(q.Now), limit)
	if err != nil {
		return nil, 0, err
	}
	type candidate struct {
		store.PullMessage
		leaseEnd int64
		expired  bool
	}
	var cands []*candidate
	for rows.Next() {
		var c candidate
		var cycleStart int64
		if err := rows.Scan(&c.DeliveryID, &c.EventID, &c.Attempts, &c.CycleAttempts, &cycleStart, &c.leaseEnd, &c.expired, &c.Envelope); err != nil {
			rows.Close()
			return nil, 0, err
		}
		c.SubscriptionID, c.CycleStart = q.SubscriptionID, fromMicros(cycleStart)
		cands = append(cands, &c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	for _, c := range cands {
		status := event.Pending
		if c.Attempts > 0 {
			status = event.Failed
		}
		if c.expired { // the last lease ran out unsettled: a failed try
			c.Attempts++
			c.CycleAttempts++
			expiredAt := fromMicros(c.leaseEnd)
			if err := s.insertPullAttempt(ctx, tx, c.DeliveryID, expiredAt, store.PullExpired); err != nil {
				return nil, 0, err
			}
			status = store.PullFailure(q.Policy, c.CycleAttempts, c.CycleStart, q.Now)
			if status == event.Dead {
				_, err := tx.ExecContext(ctx, `UPDATE deliveries SET status = 'dead', attempts = ?, cycle_attempts = ?, last_error = ?, last_status_code = 0,
					due_at = NULL, lease_owner = NULL, updated_at = ? WHERE id = ?`, c.Attempts, c.CycleAttempts, store.PullExpired, micros(q.Now), c.DeliveryID)
				if err != nil {
					return nil, 0, err
				}
				died++
				continue
			}
		}
		c.Receipt = store.LeaseReceipt(c.DeliveryID, q.Token)
		_, err := tx.ExecContext(ctx, `UPDATE deliveries SET status = ?, attempts = ?, cycle_attempts = ?, due_at = ?, lease_owner = ?,
			last_error = CASE WHEN ? THEN ? ELSE last_error END, updated_at = ? WHERE id = ?`,
			status, c.Attempts, c.CycleAttempts, micros(q.Until), c.Receipt.Token, c.expired, store.PullExpired, micros(q.Now), c.DeliveryID)
		if err != nil {
			return nil, 0, err
		}
		found = append(found, &c.PullMessage)
	}
	return found, died, nil
}

func (s *Store) insertPullAttempt(ctx context.Context, tx *sql.Tx, deliveryID string, at time.Time, errText string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO attempts (id, delivery_id, at, status_code, latency_us, response_body, error) VALUES (?, ?, ?, 0, 0, '', ?)`,
		event.NewID(event.PrefixAttempt), deliveryID, at.UnixMicro(), errText)
	return err
}

func (s *Store) AckPull(ctx context.Context, subscriptionID string, receipts []store.Receipt, now time.Time) ([]bool, error) {
	acked := make([]bool, len(receipts))
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		for i, r := range receipts {
			res, err := tx.ExecContext(ctx, `UPDATE deliveries SET status = 'succeeded', attempts = attempts + 1, cycle_attempts = cycle_attempts + 1,
				last_error = '', last_status_code = 0, due_at = NULL, lease_owner = NULL, updated_at = ?
				WHERE id = ? AND subscription_id = ? AND pull = 1 AND lease_owner = ?`, micros(now), r.DeliveryID, subscriptionID, r.Token)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				acked[i] = false
				continue
			}
			acked[i] = true
			if err := s.insertPullAttempt(ctx, tx, r.DeliveryID, now, ""); err != nil {
				return err
			}
		}
		return nil
	})
	return acked, err
}

func (s *Store) NackPull(ctx context.Context, q store.PullNack) ([]bool, error) {
	nacked := make([]bool, len(q.Receipts))
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		for i, r := range q.Receipts {
			var cycleAttempts int
			var cycleStart int64
			err := tx.QueryRowContext(ctx, `SELECT cycle_attempts, cycle_start FROM deliveries WHERE id = ? AND subscription_id = ? AND pull = 1 AND lease_owner = ?`,
				r.DeliveryID, q.SubscriptionID, r.Token).Scan(&cycleAttempts, &cycleStart)
			if err == sql.ErrNoRows {
				nacked[i] = false
				continue
			}
			if err != nil {
				return err
			}
			nacked[i] = true
			status := store.PullFailure(q.Policy, cycleAttempts+1, fromMicros(cycleStart), q.Now)
			var visible any
			if status == event.Failed {
				visible = micros(q.VisibleAt)
			}
			if _, err := tx.ExecContext(ctx, `UPDATE deliveries SET status = ?, attempts = attempts + 1, cycle_attempts = cycle_attempts + 1,
				last_error = ?, last_status_code = 0, due_at = ?, lease_owner = NULL, updated_at = ? WHERE id = ?`,
				status, store.PullNacked, visible, micros(q.Now), r.DeliveryID); err != nil {
				return err
			}
			if err := s.insertPullAttempt(ctx, tx, r.DeliveryID, q.Now, store.PullNacked); err != nil {
				return err
			}
		}
		return nil
	})
	return nacked, err
}
