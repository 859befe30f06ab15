package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"time"

	"github.com/eventgate/eventgate/internal/event"
	"github.com/eventgate/eventgate/internal/store"
)

func (s *Store) LeasePull(ctx context.Context, q store.PullLease) ([]*store.PullMessage, error) {
	var out []*store.PullMessage
	if q.Token == "" {
		q.Token = store.NewLeaseToken()
	}
	err := s.inUnsyncedTx(ctx, func(tx *sql.Tx) error {
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

// inUnsyncedTx is inTx for a lease, whose commit is not synced to disk:
// a lease lost with a power cut only makes its messages visible again,
// which at-least-once allows, and the next synced commit (an ack, an
// append) makes it durable with its own. It halves the fsyncs of a pull
// and ack; the writer's one connection is pinned so that no other
// transaction commits unsynced meanwhile.
func (s *Store) inUnsyncedTx(ctx context.Context, fn func(*sql.Tx) error) error {
	defer s.prepareSeen(ctx) // once the connection is back
	conn, err := s.w.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `PRAGMA synchronous = NORMAL`); err != nil {
		return err
	}
	defer func() {
		if _, err := conn.ExecContext(context.Background(), `PRAGMA synchronous = FULL`); err != nil {
			// Never hand an unsynced connection to the next commit: drop it.
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		}
	}()
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

func (s *Store) leasePullOnce(ctx context.Context, tx *sql.Tx, q store.PullLease, limit int) (found []*store.PullMessage, died int, err error) {
	visible, err := s.prepared(ctx, tx, `SELECT d.id, d.event_id, d.attempts, d.cycle_attempts, d.cycle_start, d.due_at, d.lease_owner IS NOT NULL, e.envelope
		FROM deliveries d JOIN events e ON e.id = d.event_id
		WHERE d.subscription_id = ? AND d.pull = 1 AND d.due_at <= ? ORDER BY d.due_at LIMIT ?`)
	if err != nil {
		return nil, 0, err
	}
	rows, err := visible.QueryContext(ctx, q.SubscriptionID, micros(q.Now), limit)
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
		c.Receipt = store.Receipt{DeliveryID: c.DeliveryID, Token: q.Token}
		cands = append(cands, &c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	var fresh []string // the ids of those leased as they are
	for _, c := range cands {
		if !c.expired {
			fresh = append(fresh, c.DeliveryID)
			found = append(found, &c.PullMessage)
			continue
		}
		// The last lease ran out unsettled: a failed try. Rare: one row at a time.
		c.Attempts++
		c.CycleAttempts++
		if err := s.insertPullAttempt(ctx, tx, c.DeliveryID, fromMicros(c.leaseEnd), store.PullExpired); err != nil {
			return nil, 0, err
		}
		status := store.PullFailure(q.Policy, c.CycleAttempts, c.CycleStart, q.Now)
		var due, owner any = micros(q.Until), q.Token
		if status == event.Dead {
			due, owner = nil, nil
			died++
		} else {
			found = append(found, &c.PullMessage)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE deliveries SET status = ?, attempts = ?, cycle_attempts = ?, last_error = ?, last_status_code = 0,
			due_at = ?, lease_owner = ?, updated_at = ? WHERE id = ?`, status, c.Attempts, c.CycleAttempts, store.PullExpired, due, owner, micros(q.Now), c.DeliveryID); err != nil {
			return nil, 0, err
		}
	}
	if len(fresh) > 0 {
		lease, err := s.prepared(ctx, tx, `UPDATE deliveries SET lease_owner = ?, due_at = ? WHERE id IN (SELECT value FROM json_each(?))`)
		if err != nil {
			return nil, 0, err
		}
		if _, err := lease.ExecContext(ctx, q.Token, micros(q.Until), jsonList(fresh)); err != nil {
			return nil, 0, err
		}
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
		clear(acked)
		var attemptRows []any
		ack, err := s.prepared(ctx, tx, `UPDATE deliveries SET status = 'succeeded', attempts = attempts + 1, cycle_attempts = cycle_attempts + 1,
			last_error = '', last_status_code = 0, due_at = NULL, lease_owner = NULL, updated_at = ?
			WHERE subscription_id = ? AND pull = 1 AND lease_owner = ? AND id IN (SELECT value FROM json_each(?)) RETURNING id`)
		if err != nil {
			return err
		}
		// One update per lease token: a pull's messages share one.
		for token, ids := range receiptsByToken(receipts) {
			rows, err := ack.QueryContext(ctx, micros(now), subscriptionID, token, jsonList(ids))
			if err != nil {
				return err
			}
			for rows.Next() {
				var id string
				if err := rows.Scan(&id); err != nil {
					rows.Close()
					return err
				}
				store.MarkSettled(receipts, acked, store.Receipt{DeliveryID: id, Token: token})
				attemptRows = append(attemptRows, event.NewID(event.PrefixAttempt), id, micros(now), 0, 0, "", "")
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
		}
		return s.insertRows(ctx, tx, `INSERT INTO attempts (id, delivery_id, at, status_code, latency_us, response_body, error)`,
			`(?, ?, ?, ?, ?, ?, ?)`, ``, attemptRows)
	})
	return acked, err
}

// jsonList is ids as a JSON array, for json_each: one statement, prepared
// once, for any number of ids, where an IN list of placeholders is parsed
// again for every pull.
func jsonList(ids []string) string {
	list, _ := json.Marshal(ids) // strings always encode
	return string(list)
}

// receiptsByToken groups the delivery ids of receipts by lease token, each id once.
func receiptsByToken(receipts []store.Receipt) map[string][]string {
	out := map[string][]string{}
	seen := map[store.Receipt]bool{}
	for _, r := range receipts {
		if !seen[r] {
			seen[r] = true
			out[r.Token] = append(out[r.Token], r.DeliveryID)
		}
	}
	return out
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
