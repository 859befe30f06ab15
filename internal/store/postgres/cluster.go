package postgres

import (
	"context"
	"time"

	"github.com/eventgate/eventgate/internal/store"
)

// Versions is one index lookup per counter; every node runs it once per poll
// interval, so that it costs the database next to nothing.
func (s *Store) Versions(ctx context.Context) (store.Versions, error) {
	var v store.Versions
	err := s.pool.QueryRow(ctx, `SELECT
		(SELECT version FROM versions WHERE name = 'subscriptions'),
		(SELECT version FROM versions WHERE name = 'event_types')`).Scan(&v.Subscriptions, &v.EventTypes)
	return v, err
}

// AcquireLeader is one upsert: the row is taken over only when the WHERE of
// the update holds, and the row lock makes nodes that try at the same moment
// take turns, so exactly one of them gets it.
func (s *Store) AcquireLeader(ctx context.Context, name, owner string, until, now time.Time) (bool, error) {
	tag, err := s.pool.Exec(ctx, `INSERT INTO leases (name, owner, until) VALUES ($1, $2, $3)
		ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, until = excluded.until
		WHERE leases.owner = excluded.owner OR leases.until <= $4`, name, owner, until, now)
	return tag.RowsAffected() == 1, err
}
