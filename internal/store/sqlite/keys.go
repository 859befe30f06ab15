package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/eventgate/eventgate/internal/store"
)

func (s *Store) CreateKey(ctx context.Context, k *store.Key) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO api_keys (id, name, scope, prefix, hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		k.ID, k.Name, k.Scope, k.Prefix, k.Hash, micros(k.CreatedAt), nullMicros(k.ExpiresAt))
	return err
}

func (s *Store) KeyByHash(ctx context.Context, hash []byte) (*store.Key, error) {
	var k store.Key
	var created int64
	var lastUsed, expires sql.NullInt64
	err := s.r.QueryRowContext(ctx, `SELECT id, name, scope, prefix, hash, created_at, last_used_at, expires_at FROM api_keys WHERE hash = ? AND revoked_at IS NULL`, hash).
		Scan(&k.ID, &k.Name, &k.Scope, &k.Prefix, &k.Hash, &created, &lastUsed, &expires)
	if err != nil {
		return nil, notFound(err)
	}
	k.CreatedAt, k.LastUsedAt, k.ExpiresAt = fromMicros(created), timePtr(lastUsed), timePtr(expires)
	return &k, nil
}

func (s *Store) CountKeys(ctx context.Context, scope string) (int, error) {
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM api_keys WHERE scope = ? AND revoked_at IS NULL`, scope).Scan(&n)
	return n, err
}

func (s *Store) TouchKey(ctx context.Context, id string, at time.Time) error {
	_, err := s.w.ExecContext(ctx, `UPDATE api_keys SET last_used_at = ? WHERE id = ?`, micros(at), id)
	return err
}
