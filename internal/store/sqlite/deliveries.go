package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/eventgate/eventgate/internal/event"
	"github.com/eventgate/eventgate/internal/store"
)

const deliveryColumns = `id, event_id, subscription_id, status, attempts, due_at, last_error, last_status_code, created_at, updated_at`

func (s *Store) GetDelivery(ctx context.Context, id string) (*event.Delivery, error) {
	return scanDelivery(s.r.QueryRowContext(ctx, `SELECT `+deliveryColumns+` FROM deliveries WHERE id = ?`, id))
}

func (s *Store) ListDeliveries(ctx context.Context, q store.DeliveryQuery) ([]*event.Delivery, string, error) {
	after, err := store.DecodeCursor(q.After)
	if err != nil {
		return nil, "", err
	}
	if after == "" {
		after = "\xff"
	}
	query := `SELECT ` + deliveryColumns + ` FROM deliveries WHERE id < ?`
	args := []any{after}
	if q.SubscriptionID != "" {
		query += ` AND subscription_id = ?`
		args = append(args, q.SubscriptionID)
	}
	if q.EventID != "" {
		query += ` AND event_id = ?`
		args = append(args, q.EventID)
	}
	if q.Status != "" {
		query += ` AND status = ?`
		args = append(args, q.Status)
	}
	if q.PartnerID != "" {
		query += ` AND subscription_id IN (SELECT id FROM subscriptions WHERE partner_id = ?)`
		args = append(args, q.PartnerID)
	}
	query += ` ORDER BY id DESC LIMIT ?`
	args = append(args, q.N()+1)
	rows, err := s.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, "", err
	}
	out, err := collect(rows, scanDelivery)
	if err != nil {
		return nil, "", err
	}
	out, next := store.CutPage(out, q.N(), func(x *event.Delivery) string { return x.ID })
	return out, next, nil
}

func (s *Store) ListAttempts(ctx context.Context, deliveryID string) ([]*event.Attempt, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, delivery_id, at, status_code, latency_us, response_body, error FROM attempts WHERE delivery_id = ? ORDER BY id`, deliveryID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*event.Attempt
	for rows.Next() {
		var a event.Attempt
		var at, latency int64
		if err := rows.Scan(&a.ID, &a.DeliveryID, &at, &a.StatusCode, &latency, &a.ResponseBody, &a.Error); err != nil {
			return nil, err
		}
		a.At, a.Latency = fromMicros(at), time.Duration(latency)*time.Microsecond
		a.LatencyMs = float64(latency) / 1000
		out = append(out, &a)
	}
	return out, rows.Err()
}

// restartCycle is the SET clause that puts a delivery back to pending with a
// fresh retry budget, due now unless its subscription is not sending.
const restartCycle = `status = 'pending', cycle_attempts = 0, cycle_start = ?1, updated_at = ?1, ` + dueUnlessParked

func (s *Store) RetryDelivery(ctx context.Context, id string, now time.Time) (*event.Delivery, error) {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE deliveries SET `+restartCycle+` WHERE id = ?2 AND status != 'pending' AND lease_owner IS NULL`, micros(now), id)
		if n, _ := res.RowsAffected(); err == nil && n == 0 {
			var status string
			if err := tx.QueryRowContext(ctx, `SELECT status FROM deliveries WHERE id = ?`, id).Scan(&status); err != nil {
				return notFound(err)
			}
			return store.ErrConflict
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.GetDelivery(ctx, id)
}

func (s *Store) Redrive(ctx context.Context, subscriptionID string, now time.Time) (int, error) {
	res, err := s.w.ExecContext(ctx, `UPDATE deliveries SET `+restartCycle+` WHERE subscription_id = ?2 AND status = 'dead'`, micros(now), subscriptionID)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

func scanDelivery(row scanner) (*event.Delivery, error) {
	var d event.Delivery
	var due sql.NullInt64
	var created, updated int64
	if err := row.Scan(&d.ID, &d.EventID, &d.SubscriptionID, &d.Status, &d.Attempts, &due, &d.LastError, &d.LastStatusCode, &created, &updated); err != nil {
		return nil, notFound(err)
	}
	d.CreatedAt, d.UpdatedAt = fromMicros(created), fromMicros(updated)
	if d.Status == event.Failed {
		d.NextAttemptAt = timePtr(due)
	}
	return &d, nil
}
