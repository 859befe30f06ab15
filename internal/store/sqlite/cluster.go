package sqlite

import (
	"context"
	"time"

	"github.com/eventgate/eventgate/internal/store"
)

// Versions serves the interface; the single node that owns a SQLite store
// has nothing to keep in step with.
func (s *Store) Versions(ctx context.Context) (store.Versions, error) {
	var v store.Versions
	err := s.r.QueryRowContext(ctx, `SELECT
		(SELECT version FROM versions WHERE name = 'subscriptions'),
		(SELECT version FROM versions WHERE name = 'event_types')`).Scan(&v.Subscriptions, &v.EventTypes)
	return v, err
}

// AcquireLeader: the single node is the only one asking, so it always gets it.
func (s *Store) AcquireLeader(ctx context.Context, name, owner string, until, now time.Time) (bool, error) {
	res, err := s.w.ExecContext(ctx, `INSERT INTO leases (name, owner, until) VALUES (?1, ?2, ?3)
		ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, until = excluded.until
		WHERE leases.owner = excluded.owner OR leases.until <= ?4`, name, owner, micros(until), micros(now))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}
