package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/eventgate/eventgate/internal/store"
)

const keyColumns = `id, name, scope, prefix, hash, partner_id, publish_types, created_at, last_used_at, expires_at`

func (s *Store) CreateKey(ctx context.Context, k *store.Key) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO api_keys (`+keyColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, $9)`,
		k.ID, k.Name, k.Scope, k.Prefix, k.Hash, k.PartnerID, k.PublishTypes, k.CreatedAt, k.ExpiresAt)
	return err
}

func (s *Store) KeyByHash(ctx context.Context, hash []byte) (*store.Key, error) {
	rows, _ := s.pool.Query(ctx, `SELECT `+keyColumns+` FROM api_keys WHERE hash = $1 AND revoked_at IS NULL`, hash)
	k, err := pgx.CollectExactlyOneRow(rows, scanKey)
	return k, notFound(err)
}

func (s *Store) ListKeys(ctx context.Context, q store.KeyQuery) ([]*store.Key, string, error) {
	after, err := store.DecodeCursor(q.After)
	if err != nil {
		return nil, "", err
	}
	rows, _ := s.pool.Query(ctx, `SELECT `+keyColumns+` FROM api_keys
		WHERE revoked_at IS NULL AND ($1 = '' OR id < $1) AND ($2 = '' OR partner_id = $2) AND ($4 = '' OR scope = $4) ORDER BY id DESC LIMIT $3`,
		after, q.PartnerID, q.N()+1, q.Scope)
	out, err := pgx.CollectRows(rows, scanKey)
	if err != nil {
		return nil, "", err
	}
	out, next := store.CutPage(out, q.N(), func(x *store.Key) string { return x.ID })
	return out, next, nil
}

func (s *Store) RevokeKey(ctx context.Context, id, partnerID string, at time.Time) error {
	return checkAffected(s.pool.Exec(ctx, `UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL AND ($3 = '' OR partner_id = $3)`,
		at, id, partnerID))
}

func (s *Store) CountKeys(ctx context.Context, scope string) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM api_keys WHERE scope = $1 AND revoked_at IS NULL`, scope).Scan(&n)
	return n, err
}

func (s *Store) TouchKey(ctx context.Context, id string, at time.Time) error {
	_, err := s.pool.Exec(ctx, `UPDATE api_keys SET last_used_at = $1 WHERE id = $2`, at, id)
	return err
}

func scanKey(row pgx.CollectableRow) (*store.Key, error) {
	var k store.Key
	err := row.Scan(&k.ID, &k.Name, &k.Scope, &k.Prefix, &k.Hash, &k.PartnerID, &k.PublishTypes, &k.CreatedAt, &k.LastUsedAt, &k.ExpiresAt)
	return &k, err
}
