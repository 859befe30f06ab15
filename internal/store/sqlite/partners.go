package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"github.com/eventgate/eventgate/internal/event"
	"github.com/eventgate/eventgate/internal/store"
)

const partnerColumns = `id, name, environments, metadata, quotas, subscribe_types, created_at, updated_at`

func (s *Store) CreatePartner(ctx context.Context, p *event.Partner) error {
	envs, meta, quotas, grant := encodePartner(p)
	_, err := s.w.ExecContext(ctx, `INSERT INTO partners (`+partnerColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		p.ID, p.Name, envs, meta, quotas, grant, micros(p.CreatedAt), micros(p.UpdatedAt))
	return err
}

func (s *Store) GetPartner(ctx context.Context, id string) (*event.Partner, error) {
	return scanPartner(s.r.QueryRowContext(ctx, `SELECT `+partnerColumns+` FROM partners WHERE id = ? AND deleted_at IS NULL`, id))
}

func (s *Store) ListPartners(ctx context.Context, p store.Page) ([]*event.Partner, string, error) {
	after, err := store.DecodeCursor(p.After)
	if err != nil {
		return nil, "", err
	}
	if after == "" {
		after = "\xff"
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+partnerColumns+` FROM partners WHERE id < ? AND deleted_at IS NULL ORDER BY id DESC LIMIT ?`, after, p.N()+1)
	if err != nil {
		return nil, "", err
	}
	out, err := collect(rows, scanPartner)
	if err != nil {
		return nil, "", err
	}
	out, next := store.CutPage(out, p.N(), func(x *event.Partner) string { return x.ID })
	return out, next, nil
}

func (s *Store) UpdatePartner(ctx context.Context, p *event.Partner) error {
	envs, meta, quotas, grant := encodePartner(p)
	return checkAffected(s.w.ExecContext(ctx, `UPDATE partners SET name = ?, environments = ?, metadata = ?, quotas = ?, subscribe_types = ?, updated_at = ? WHERE id = ? AND deleted_at IS NULL`,
		p.Name, envs, meta, quotas, grant, micros(p.UpdatedAt), p.ID))
}

func (s *Store) DeletePartner(ctx context.Context, id string, at time.Time) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if err := checkAffected(tx.ExecContext(ctx, `UPDATE partners SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL`, micros(at), id)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE subscriptions SET status = 'disabled', status_reason = 'the partner was deleted', updated_at = ? WHERE partner_id = ?`, micros(at), id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE deliveries SET due_at = NULL WHERE due_at IS NOT NULL AND lease_owner IS NULL
			AND subscription_id IN (SELECT id FROM subscriptions WHERE partner_id = ?)`, id); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE api_keys SET revoked_at = ? WHERE partner_id = ? AND revoked_at IS NULL`, micros(at), id)
		return err
	})
}

func (s *Store) CountSubscriptions(ctx context.Context, partnerID string) (int, error) {
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM subscriptions WHERE partner_id = ?`, partnerID).Scan(&n)
	return n, err
}

func encodePartner(p *event.Partner) (envs, meta, quotas, grant []byte) {
	envs, _ = json.Marshal(p.Environments)
	meta, _ = json.Marshal(p.Metadata)
	quotas, _ = json.Marshal(p.Quotas)
	grant, _ = json.Marshal(p.SubscribeTypes)
	if p.SubscribeTypes == nil {
		grant = []byte("[]")
	}
	return envs, meta, quotas, grant
}

func scanPartner(row scanner) (*event.Partner, error) {
	var p event.Partner
	var envs, meta, quotas, grant []byte
	var created, updated int64
	if err := row.Scan(&p.ID, &p.Name, &envs, &meta, &quotas, &grant, &created, &updated); err != nil {
		return nil, notFound(err)
	}
	p.CreatedAt, p.UpdatedAt = fromMicros(created), fromMicros(updated)
	if err := json.Unmarshal(envs, &p.Environments); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(meta, &p.Metadata); err != nil {
		return nil, err
	}
	if err := json.Unmarshal(grant, &p.SubscribeTypes); err != nil {
		return nil, err
	}
	return &p, json.Unmarshal(quotas, &p.Quotas)
}
