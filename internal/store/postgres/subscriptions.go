package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/eventgate/eventgate/internal/event"
	"github.com/eventgate/eventgate/internal/store"
)

const subscriptionColumns = `id, name, partner_id, environment, status, status_reason, spec, secrets, created_at, updated_at`

func (s *Store) CreateSubscription(ctx context.Context, sub *event.Subscription) error {
	spec, secrets, err := store.EncodeSubscription(sub)
	if err != nil {
		return err
	}
	_, err = s.pool.Exec(ctx, `INSERT INTO subscriptions (`+subscriptionColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		sub.ID, sub.Name, sub.PartnerID, sub.Environment, sub.Status, sub.StatusReason, spec, secrets, sub.CreatedAt, sub.UpdatedAt)
	return err
}

func (s *Store) GetSubscription(ctx context.Context, id string) (*event.Subscription, error) {
	rows, _ := s.pool.Query(ctx, `SELECT `+subscriptionColumns+` FROM subscriptions WHERE id = $1`, id)
	sub, err := pgx.CollectExactlyOneRow(rows, scanSubscription)
	return sub, notFound(err)
}

func (s *Store) ListSubscriptions(ctx context.Context, p store.SubscriptionQuery) ([]*event.Subscription, string, error) {
	after, err := store.DecodeCursor(p.After)
	if err != nil {
		return nil, "", err
	}
	query := `SELECT ` + subscriptionColumns + ` FROM subscriptions WHERE true`
	args := pgx.NamedArgs{"limit": p.N() + 1}
	if after != "" {
		query += ` AND id < @after`
		args["after"] = after
	}
	if p.PartnerID != "" {
		query += ` AND partner_id = @partner`
		args["partner"] = p.PartnerID
	}
	rows, _ := s.pool.Query(ctx, query+` ORDER BY id DESC LIMIT @limit`, args)
	subs, err := pgx.CollectRows(rows, scanSubscription)
	if err != nil {
		return nil, "", err
	}
	subs, next := store.CutPage(subs, p.N(), func(x *event.Subscription) string { return x.ID })
	return subs, next, nil
}

func (s *Store) AllSubscriptions(ctx context.Context) ([]*event.Subscription, error) {
	rows, _ := s.pool.Query(ctx, `SELECT `+subscriptionColumns+` FROM subscriptions`)
	return pgx.CollectRows(rows, scanSubscription)
}

func (s *Store) UpdateSubscription(ctx context.Context, sub *event.Subscription) error {
	spec, secrets, err := store.EncodeSubscription(sub)
	if err != nil {
		return err
	}
	return s.inTx(ctx, func(tx pgx.Tx) error {
		err := checkAffected(tx.Exec(ctx, `UPDATE subscriptions SET name = $1, partner_id = $2, environment = $3, status = $4, status_reason = $5, spec = $6, secrets = $7, updated_at = $8 WHERE id = $9`,
			sub.Name, sub.PartnerID, sub.Environment, sub.Status, sub.StatusReason, spec, secrets, sub.UpdatedAt, sub.ID))
		if err != nil {
			return err
		}
		return parkDeliveries(ctx, tx, sub.ID, sub.Status, sub.UpdatedAt)
	})
}

// parkDeliveries takes the waiting deliveries of a subscription that does not
// send out of the due index (so the poller never scans them), and puts them
// back, due now, when it sends again. Leased ones are parked on release.
//
// The subscription row is locked by the caller's UPDATE until commit; a
// release or retry that runs meanwhile waits on it (see sendsNow), so none
// can park a delivery with a status this change is replacing.
func parkDeliveries(ctx context.Context, tx pgx.Tx, subID string, status event.SubscriptionStatus, now time.Time) error {
	var err error
	if status == event.Active {
		_, err = tx.Exec(ctx, `UPDATE deliveries SET due_at = $1 WHERE subscription_id = $2 AND due_at IS NULL AND status IN ('pending', 'failed')`, now, subID)
	} else {
		_, err = tx.Exec(ctx, `UPDATE deliveries SET due_at = NULL WHERE subscription_id = $1 AND due_at IS NOT NULL AND lease_owner IS NULL`, subID)
	}
	return err
}

func (s *Store) DeleteSubscription(ctx context.Context, id string) error {
	// The cascade to deliveries can deadlock with a node settling some of them.
	return retryRaces(func() error {
		return checkAffected(s.pool.Exec(ctx, `DELETE FROM subscriptions WHERE id = $1`, id))
	})
}

func scanSubscription(row pgx.CollectableRow) (*event.Subscription, error) {
	var sub event.Subscription
	var spec, secrets []byte
	if err := row.Scan(&sub.ID, &sub.Name, &sub.PartnerID, &sub.Environment, &sub.Status, &sub.StatusReason, &spec, &secrets, &sub.CreatedAt, &sub.UpdatedAt); err != nil {
		return nil, err
	}
	return &sub, store.DecodeSubscription(&sub, spec, secrets)
}
