package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/eventgate/eventgate/internal/event"
	"github.com/eventgate/eventgate/internal/store"
)

const partnerColumns = `id, name, environments, metadata, quotas, subscribe_types, created_at, updated_at`

func (s *Store) CreatePartner(ctx context.Context, p *event.Partner) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO partners (`+partnerColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		p.ID, p.Name, p.Environments, p.Metadata, p.Quotas, grant(p), p.CreatedAt, p.UpdatedAt)
	return err
}

func (s *Store) GetPartner(ctx context.Context, id string) (*event.Partner, error) {
	rows, _ := s.pool.Query(ctx, `SELECT `+partnerColumns+` FROM partners WHERE id = $1 AND deleted_at IS NULL`, id)
	p, err := pgx.CollectExactlyOneRow(rows, scanPartner)
	return p, notFound(err)
}

func (s *Store) ListPartners(ctx context.Context, p store.Page) ([]*event.Partner, string, error) {
	after, err := store.DecodeCursor(p.After)
	if err != nil {
		return nil, "", err
	}
	rows, _ := s.pool.Query(ctx, `SELECT `+partnerColumns+` FROM partners WHERE deleted_at IS NULL AND ($1 = '' OR id < $1) ORDER BY id DESC LIMIT $2`,
		after, p.N()+1)
	out, err := pgx.CollectRows(rows, scanPartner)
	if err != nil {
		return nil, "", err
	}
	out, next := store.CutPage(out, p.N(), func(x *event.Partner) string { return x.ID })
	return out, next, nil
}

func (s *Store) UpdatePartner(ctx context.Context, p *event.Partner) error {
	return checkAffected(s.pool.Exec(ctx, `UPDATE partners SET name = $1, environments = $2, metadata = $3, quotas = $4, subscribe_types = $5, updated_at = $6 WHERE id = $7 AND deleted_at IS NULL`,
		p.Name, p.Environments, p.Metadata, p.Quotas, grant(p), p.UpdatedAt, p.ID))
}

// grant is what a partner may receive as stored: never NULL, which the
// column refuses.
func grant(p *event.Partner) []string {
	if p.SubscribeTypes == nil {
		return []string{}
	}
	return p.SubscribeTypes
}

// DeletePartner disables the partner's subscriptions and parks their
// waiting deliveries, as a pause would (see parkDeliveries; leased ones park
// on release), and revokes its keys.
func (s *Store) DeletePartner(ctx context.Context, id string, at time.Time) error {
	return s.inTx(ctx, func(tx pgx.Tx) error {
		if err := checkAffected(tx.Exec(ctx, `UPDATE partners SET deleted_at = $1 WHERE id = $2 AND deleted_at IS NULL`, at, id)); err != nil {
			return err
		}
		b := &pgx.Batch{}
		b.Queue(`UPDATE subscriptions SET status = 'disabled', status_reason = 'the partner was deleted', updated_at = $1 WHERE partner_id = $2`, at, id)
		b.Queue(`UPDATE deliveries SET due_at = NULL WHERE due_at IS NOT NULL AND lease_owner IS NULL
			AND subscription_id IN (SELECT id FROM subscriptions WHERE partner_id = $1)`, id)
		b.Queue(`UPDATE api_keys SET revoked_at = $1 WHERE partner_id = $2 AND revoked_at IS NULL`, at, id)
		return tx.SendBatch(ctx, b).Close()
	})
}

func (s *Store) CountSubscriptions(ctx context.Context, partnerID string) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM subscriptions WHERE partner_id = $1`, partnerID).Scan(&n)
	return n, err
}

func scanPartner(row pgx.CollectableRow) (*event.Partner, error) {
	var p event.Partner
	err := row.Scan(&p.ID, &p.Name, &p.Environments, &p.Metadata, &p.Quotas, &p.SubscribeTypes, &p.CreatedAt, &p.UpdatedAt)
	return &p, err
}
