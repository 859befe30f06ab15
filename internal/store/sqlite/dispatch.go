package sqlite

import (
	"context"
	"database/sql"
	"slices"
	"strings"
	"time"

	"github.com/eventgate/eventgate/internal/event"
	"github.com/eventgate/eventgate/internal/store"
)

func (s *Store) ClaimDue(ctx context.Context, lease store.Lease, now time.Time, limit int) ([]*store.Job, error) {
	var jobs []*store.Job
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		jobs = jobs[:0]
		rows, err := tx.QueryContext(ctx, `SELECT d.id, d.event_id, d.subscription_id, d.attempts, d.cycle_attempts, d.cycle_start, e.envelope, e.traceparent
			FROM deliveries d JOIN events e ON e.id = d.event_id
			WHERE d.due_at <= ? AND d.pull = 0 ORDER BY d.due_at LIMIT ?`, micros(now), limit)
		if err != nil {
			return err
		}
		for rows.Next() {
			var j store.Job
			var cycleStart int64
			if err := rows.Scan(&j.DeliveryID, &j.EventID, &j.SubscriptionID, &j.Attempts, &j.CycleAttempts, &cycleStart, &j.Envelope, &j.TraceParent); err != nil {
				rows.Close()
				return err
			}
			j.CycleStart = fromMicros(cycleStart)
			jobs = append(jobs, &j)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		claim, err := s.prepared(ctx, tx, `UPDATE deliveries SET lease_owner = ?, due_at = ? WHERE id = ?`)
		if err != nil {
			return err
		}
		for _, j := range jobs {
			if _, err := claim.ExecContext(ctx, lease.Owner, micros(lease.Until), j.DeliveryID); err != nil {
				return err
			}
		}
		return nil
	})
	return jobs, err
}

func (s *Store) ExtendLeases(ctx context.Context, lease store.Lease) error {
	_, err := s.w.ExecContext(ctx, `UPDATE deliveries SET due_at = ? WHERE lease_owner = ? AND due_at IS NOT NULL`, micros(lease.Until), lease.Owner)
	return err
}

func (s *Store) ReleaseAllLeases(ctx context.Context, now time.Time) error {
	_, err := s.w.ExecContext(ctx, `UPDATE deliveries SET lease_owner = NULL, `+dueUnlessParked+` WHERE lease_owner IS NOT NULL`, micros(now))
	return err
}

// dueUnlessParked makes a delivery due at ?1, or parks it when its
// subscription is not sending.
const dueUnlessParked = `due_at = CASE WHEN (SELECT status FROM subscriptions WHERE id = deliveries.subscription_id) = 'active' THEN ?1 END`

func (s *Store) Settle(ctx context.Context, owner string, outcomes []*store.Outcome) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		record, err := s.prepared(ctx, tx, `UPDATE deliveries SET status = ?, attempts = attempts + 1, cycle_attempts = cycle_attempts + 1,
			last_error = ?, last_status_code = ?, due_at = ?, lease_owner = NULL, updated_at = ? WHERE id = ? AND lease_owner = ?`)
		if err != nil {
			return err
		}
		// A delivery whose lease was lost still gets its attempt recorded;
		// one deleted meanwhile (with its subscription) does not. Rare, so
		// such an attempt is inserted alone, after the check.
		insertAttemptIfExists, err := s.prepared(ctx, tx, `INSERT INTO attempts (id, delivery_id, at, status_code, latency_us, response_body, error)
			SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7 WHERE EXISTS (SELECT 1 FROM deliveries WHERE id = ?2) ON CONFLICT (id) DO NOTHING`)
		if err != nil {
			return err
		}
		// A released delivery is due now, or parked if its subscription stopped sending meanwhile.
		release, err := s.prepared(ctx, tx, `UPDATE deliveries SET lease_owner = NULL, `+dueUnlessParked+` WHERE id = ?2 AND lease_owner = ?3`)
		if err != nil {
			return err
		}
		// Attempts of deliveries that record found, inserted together at the end.
		attemptRows := make([]any, 0, 7*len(outcomes))
		for _, o := range outcomes {
			if o.Attempt == nil {
				if _, err := release.ExecContext(ctx, micros(o.Now), o.DeliveryID, owner); err != nil {
					return err
				}
				continue
			}
			a := o.Attempt
			var due any
			if o.Status == event.Failed {
				due = micros(o.NextAttemptAt)
			}
			res, err := record.ExecContext(ctx, o.Status, a.Error, a.StatusCode, due, micros(a.At), o.DeliveryID, owner)
			if err != nil {
				return err
			}
			attemptRows = append(attemptRows, a.ID, a.DeliveryID, micros(a.At), a.StatusCode, a.Latency.Microseconds(), a.ResponseBody, a.Error)
			if n, _ := res.RowsAffected(); n == 0 {
				row := attemptRows[len(attemptRows)-7:]
				attemptRows = attemptRows[:len(attemptRows)-7]
				if _, err := insertAttemptIfExists.ExecContext(ctx, row...); err != nil {
					return err
				}
			}
		}
		return s.insertRows(ctx, tx, `INSERT INTO attempts (id, delivery_id, at, status_code, latency_us, response_body, error)`,
			`(?, ?, ?, ?, ?, ?, ?)`, `ON CONFLICT (id) DO NOTHING`, attemptRows)
	})
}

func (s *Store) Envelopes(ctx context.Context, eventIDs []string) (map[string][]byte, error) {
	out := make(map[string][]byte, len(eventIDs))
	// One query per chunk, within SQLite's limit on bound parameters.
	for chunk := range slices.Chunk(eventIDs, 500) {
		args := make([]any, len(chunk))
		for i, id := range chunk {
			args[i] = id
		}
		rows, err := s.r.QueryContext(ctx, `SELECT id, envelope FROM events WHERE id IN (?`+strings.Repeat(", ?", len(chunk)-1)+`)`, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id string
			var env []byte
			if err := rows.Scan(&id, &env); err != nil {
				rows.Close()
				return nil, err
			}
			out[id] = env
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}
