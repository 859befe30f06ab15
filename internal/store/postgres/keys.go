package postgres

import (
	"context"
	"time"

	"github.com/eventgate/eventgate/internal/store"
)

func (s *Store) CreateKey(ctx context.Context, k *store.Key) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO api_keys (id, name, scope, prefix, hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		k.ID, k.Name, k.Scope, k.Prefix, k.Hash, k.CreatedAt, k.ExpiresAt)
	return err
}

func (s *Store) KeyByHash(ctx context.Context, hash []byte) (*store.Key, error) {
	var k store.Key
	err := s.pool.QueryRow(ctx, `SELECT id, name, scope, prefix, hash, created_at, last_used_at, expires_at FROM api_keys WHERE hash = $1 AND revoked_at IS NULL`, hash).
		Scan(&k.ID, &k.Name, &k.Scope, &k.Prefix, &k.Hash, &k.CreatedAt, &k.LastUsedAt, &k.ExpiresAt)
	if err != nil {
		return nil, notFound(err)
	}
	return &k, nil
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
