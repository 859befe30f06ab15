package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/eventgate/eventgate/internal/event"
	"github.com/eventgate/eventgate/internal/store"
)

const deliveryColumns = `id, event_id, subscription_id, status, attempts, due_at, last_error, last_status_code, created_at, updated_at`

func (s *Store) GetDelivery(ctx context.Context, id string) (*event.Delivery, error) {
	rows, _ := s.pool.Query(ctx, `SELECT `+deliveryColumns+` FROM deliveries WHERE id = $1`, id)
	d, err := pgx.CollectExactlyOneRow(rows, scanDelivery)
	return d, notFound(err)
}

func (s *Store) ListDeliveries(ctx context.Context, q store.DeliveryQuery) ([]*event.Delivery, string, error) {
	after, err := store.DecodeCursor(q.After)
	if err != nil {
		return nil, "", err
	}
	query := `SELECT ` + deliveryColumns + ` FROM deliveries WHERE true`
	args := pgx.NamedArgs{"limit": q.N() + 1}
	if after != "" {
		query += ` AND id < @after`
		args["after"] = after
	}
	if q.SubscriptionID != "" {
		query += ` AND subscription_id = @subscription`
		args["subscription"] = q.SubscriptionID
	}
	if q.EventID != "" {
		query += ` AND event_id = @event`
		args["event"] = q.EventID
	}
	if q.Status != "" {
		query += ` AND status = @status`
		args["status"] = q.Status
	}
	if q.PartnerID != "" {
		query += ` AND subscription_id IN (SELECT id FROM subscriptions WHERE partner_id = @partner)`
		args["partner"] = q.PartnerID
	}
	rows, _ := s.pool.Query(ctx, query+` ORDER BY id DESC LIMIT @limit`, args)
	out, err := pgx.CollectRows(rows, scanDelivery)
	if err != nil {
		return nil, "", err
	}
	out, next := store.CutPage(out, q.N(), func(x *event.Delivery) string { return x.ID })
	return out, next, nil
}

func (s *Store) ListAttempts(ctx context.Context, deliveryID string) ([]*event.Attempt, error) {
	rows, _ := s.pool.Query(ctx, `SELECT id, delivery_id, at, status_code, latency_us, response_body, error FROM attempts WHERE delivery_id = $1 ORDER BY id`, deliveryID)
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (*event.Attempt, error) {
		var a event.Attempt
		var latency int64
		if err := row.Scan(&a.ID, &a.DeliveryID, &a.At, &a.StatusCode, &latency, &a.ResponseBody, &a.Error); err != nil {
			return nil, err
		}
		a.Latency = time.Duration(latency) * time.Microsecond
		a.LatencyMs = float64(latency) / 1000
		return &a, nil
	})
}

// sendsNow is true when the delivery d's subscription is active. FOR SHARE
// makes it wait for a pause or resume in progress and read its outcome:
// reading the status from before a resume would park a delivery that the
// resume, not seeing it parked yet, has no way to wake.
const sendsNow = `(SELECT status = 'active' FROM subscriptions WHERE id = d.subscription_id FOR SHARE)`

// restartCycle is the SET clause that puts a delivery back to pending with a
// fresh retry budget, due now unless its subscription is not sending.
const restartCycle = `status = 'pending', cycle_attempts = 0, cycle_start = @now, updated_at = @now,
	due_at = CASE WHEN ` + sendsNow + ` THEN @now::timestamptz END`

func (s *Store) RetryDelivery(ctx context.Context, id string, now time.Time) (*event.Delivery, error) {
	rows, _ := s.pool.Query(ctx, `UPDATE deliveries d SET `+restartCycle+`
		WHERE id = @id AND status <> 'pending' AND lease_owner IS NULL RETURNING `+deliveryColumns,
		pgx.NamedArgs{"now": now, "id": id})
	d, err := pgx.CollectExactlyOneRow(rows, scanDelivery)
	if errors.Is(err, pgx.ErrNoRows) {
		// Nothing changed: tell a missing delivery from one that is waiting to be sent.
		if _, err := s.GetDelivery(ctx, id); err != nil {
			return nil, err
		}
		return nil, store.ErrConflict
	}
	return d, err
}

func (s *Store) Redrive(ctx context.Context, subscriptionID string, now time.Time) (int, error) {
	tag, err := s.pool.Exec(ctx, `UPDATE deliveries d SET `+restartCycle+` WHERE subscription_id = @subscription AND status = 'dead'`,
		pgx.NamedArgs{"now": now, "subscription": subscriptionID})
	return int(tag.RowsAffected()), err
}

func scanDelivery(row pgx.CollectableRow) (*event.Delivery, error) {
	var d event.Delivery
	var due *time.Time
	if err := row.Scan(&d.ID, &d.EventID, &d.SubscriptionID, &d.Status, &d.Attempts, &due, &d.LastError, &d.LastStatusCode, &d.CreatedAt, &d.UpdatedAt); err != nil {
		return nil, err
	}
	if d.Status == event.Failed {
		d.NextAttemptAt = due
	}
	return &d, nil
}
