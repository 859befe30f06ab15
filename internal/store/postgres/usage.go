package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/eventgate/eventgate/internal/store"
)

func (s *Store) PartnerUsage(ctx context.Context, partnerID string, from, to time.Time) ([]store.UsageDay, error) {
	rows, _ := s.pool.Query(ctx, `SELECT to_char(a.at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, count(*),
			count(*) FILTER (WHERE a.status_code BETWEEN 200 AND 299),
			coalesce(sum(length(e.envelope)) FILTER (WHERE a.status_code BETWEEN 200 AND 299), 0)
		FROM attempts a
		JOIN deliveries d ON d.id = a.delivery_id
		JOIN subscriptions s ON s.id = d.subscription_id
		JOIN events e ON e.id = d.event_id
		WHERE s.partner_id = $1 AND a.at >= $2 AND a.at < $3
		GROUP BY day ORDER BY day`, partnerID, from, to)
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (store.UsageDay, error) {
		var u store.UsageDay
		err := row.Scan(&u.Day, &u.Attempts, &u.Delivered, &u.Bytes)
		return u, err
	})
}
