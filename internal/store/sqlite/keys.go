package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"github.com/eventgate/eventgate/internal/store"
)

const keyColumns = `id, name, scope, prefix, hash, partner_id, publish_types, created_at, last_used_at, expires_at`

func (s *Store) CreateKey(ctx context.Context, k *store.Key) error {
	types, err := json.Marshal(k.PublishTypes)
	if err != nil {
		return err
	}
	_, err = s.w.ExecContext(ctx, `INSERT INTO api_keys (`+keyColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, ?)`,
		k.ID, k.Name, k.Scope, k.Prefix, k.Hash, k.PartnerID, types, micros(k.CreatedAt), nullMicros(k.ExpiresAt))
	return err
}

func (s *Store) KeyByHash(ctx context.Context, hash []byte) (*store.Key, error) {
	return scanKey(s.r.QueryRowContext(ctx, `SELECT `+keyColumns+` FROM api_keys WHERE hash = ? AND revoked_at IS NULL`, hash))
}

func (s *Store) ListKeys(ctx context.Context, q store.KeyQuery) ([]*store.Key, string, error) {
	after, err := store.DecodeCursor(q.After)
	if err != nil {
		return nil, "", err
	}
	if after == "" {
		after = "\xff"
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+keyColumns+` FROM api_keys WHERE revoked_at IS NULL AND id < ?1 AND (?2 = '' OR partner_id = ?2) AND (?4 = '' OR scope = ?4) ORDER BY id DESC LIMIT ?3`,
		after, q.PartnerID, q.N()+1, q.Scope)
	if err != nil {
		return nil, "", err
	}
	out, err := collect(rows, scanKey)
	if err != nil {
		return nil, "", err
	}
	out, next := store.CutPage(out, q.N(), func(x *store.Key) string { return x.ID })
	return out, next, nil
}

func (s *Store) RevokeKey(ctx context.Context, id, partnerID string, at time.Time) error {
	return checkAffected(s.w.ExecContext(ctx, `UPDATE api_keys SET revoked_at = ?1 WHERE id = ?2 AND revoked_at IS NULL AND (?3 = '' OR partner_id = ?3)`, micros(at), id, partnerID))
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

func scanKey(row scanner) (*store.Key, error) {
	var k store.Key
	var types []byte
	var created int64
	var lastUsed, expires sql.NullInt64
	if err := row.Scan(&k.ID, &k.Name, &k.Scope, &k.Prefix, &k.Hash, &k.PartnerID, &types, &created, &lastUsed, &expires); err != nil {
		return nil, notFound(err)
	}
	k.CreatedAt, k.LastUsedAt, k.ExpiresAt = fromMicros(created), timePtr(lastUsed), timePtr(expires)
	if len(types) > 0 {
		if err := json.Unmarshal(types, &k.PublishTypes); err != nil {
			return nil, err
		}
	}
	return &k, nil
}
