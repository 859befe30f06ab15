package postgres

import (
	"context"
	"math"
	"time"

	"github.com/jackc/pgx/v5"
)

func (s *Store) PruneIdempotencyKeys(ctx context.Context, before time.Time, limit int) (int, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM idempotency_keys WHERE key IN (
		SELECT key FROM idempotency_keys WHERE created_at <= $1 LIMIT $2)`, before, limit)
	return int(tag.RowsAffected()), err
}

// DeleteOldEvents is one statement. It walks events in seq order, which
// follows received_at, and stops at the first event still within retention
// (the bound on seq), so that a run with nothing to delete costs little
// however many events are kept. The attempts go with their deliveries
// (ON DELETE CASCADE).
func (s *Store) DeleteOldEvents(ctx context.Context, before time.Time, limit int) (int, error) {
	tag, err := s.pool.Exec(ctx, `WITH doomed AS (
			SELECT id FROM events e
			WHERE e.seq < coalesce((SELECT seq FROM events WHERE received_at >= @before ORDER BY seq LIMIT 1), @last)
				AND e.received_at < @before
				AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = e.id AND d.status IN ('pending', 'failed'))
			ORDER BY e.seq LIMIT @limit
		), deliveries_gone AS (
			DELETE FROM deliveries WHERE event_id IN (SELECT id FROM doomed)
		)
		DELETE FROM events WHERE id IN (SELECT id FROM doomed)`,
		pgx.NamedArgs{"before": before, "limit": limit, "last": int64(math.MaxInt64)})
	return int(tag.RowsAffected()), err
}
