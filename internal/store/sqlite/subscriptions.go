package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/eventgate/eventgate/internal/event"
	"github.com/eventgate/eventgate/internal/store"
)

const subscriptionColumns = `id, name, partner_id, environment, status, status_reason, spec, secrets, created_at, updated_at`

func (s *Store) CreateSubscription(ctx context.Context, sub *event.Subscription) error {
	spec, secrets, err := store.EncodeSubscription(sub)
	if err != nil {
		return err
	}
	_, err = s.w.ExecContext(ctx, `INSERT INTO subscriptions (`+subscriptionColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		sub.ID, sub.Name, sub.PartnerID, sub.Environment, sub.Status, sub.StatusReason, spec, secrets, micros(sub.CreatedAt), micros(sub.UpdatedAt))
	return err
}

func (s *Store) GetSubscription(ctx context.Context, id string) (*event.Subscription, error) {
	return scanSubscription(s.r.QueryRowContext(ctx, `SELECT `+subscriptionColumns+` FROM subscriptions WHERE id = ?`, id))
}

func (s *Store) ListSubscriptions(ctx context.Context, p store.SubscriptionQuery) ([]*event.Subscription, string, error) {
	after, err := store.DecodeCursor(p.After)
	if err != nil {
		return nil, "", err
	}
	if after == "" {
		after = "\xff"
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+subscriptionColumns+` FROM subscriptions WHERE id < ?1 AND (?2 = '' OR partner_id = ?2) ORDER BY id DESC LIMIT ?3`,
		after, p.PartnerID, p.N()+1)
	if err != nil {
		return nil, "", err
	}
	subs, err := collect(rows, scanSubscription)
	if err != nil {
		return nil, "", err
	}
	subs, next := store.CutPage(subs, p.N(), func(x *event.Subscription) string { return x.ID })
	return subs, next, nil
}

func (s *Store) AllSubscriptions(ctx context.Context) ([]*event.Subscription, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+subscriptionColumns+` FROM subscriptions`)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanSubscription)
}

func (s *Store) UpdateSubscription(ctx context.Context, sub *event.Subscription) error {
	spec, secrets, err := store.EncodeSubscription(sub)
	if err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		err := checkAffected(tx.ExecContext(ctx, `UPDATE subscriptions SET name = ?, partner_id = ?, environment = ?, status = ?, status_reason = ?, spec = ?, secrets = ?, updated_at = ? WHERE id = ?`,
			sub.Name, sub.PartnerID, sub.Environment, sub.Status, sub.StatusReason, spec, secrets, micros(sub.UpdatedAt), sub.ID))
		if err != nil {
			return err
		}
		return parkDeliveries(ctx, tx, sub.ID, sub.Status, sub.UpdatedAt)
	})
}

// parkDeliveries takes the waiting deliveries of a subscription that does not
// send out of the due index (so the poller never scans them), and puts them
// back, due now, when it sends again. Leased ones are parked on release.
func parkDeliveries(ctx context.Context, tx *sql.Tx, subID string, status event.SubscriptionStatus, now time.Time) error {
	var err error
	if status == event.Active {
		_, err = tx.ExecContext(ctx, `UPDATE deliveries SET due_at = ? WHERE subscription_id = ? AND due_at IS NULL AND status IN ('pending', 'failed')`, micros(now), subID)
	} else {
		_, err = tx.ExecContext(ctx, `UPDATE deliveries SET due_at = NULL WHERE subscription_id = ? AND due_at IS NOT NULL AND lease_owner IS NULL`, subID)
	}
	return err
}

func (s *Store) DeleteSubscription(ctx context.Context, id string) error {
	return checkAffected(s.w.ExecContext(ctx, `DELETE FROM subscriptions WHERE id = ?`, id))
}

type scanner interface{ Scan(...any) error }

func scanSubscription(row scanner) (*event.Subscription, error) {
	var sub event.Subscription
	var spec, secrets []byte
	var created, updated int64
	if err := row.Scan(&sub.ID, &sub.Name, &sub.PartnerID, &sub.Environment, &sub.Status, &sub.StatusReason, &spec, &secrets, &created, &updated); err != nil {
		return nil, notFound(err)
	}
	sub.CreatedAt, sub.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &sub, store.DecodeSubscription(&sub, spec, secrets)
}
