package sqlite

import (
	"context"
	"time"

	"github.com/eventgate/eventgate/internal/store"
)

func (s *Store) PartnerUsage(ctx context.Context, partnerID string, from, to time.Time) ([]store.UsageDay, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT date(a.at / 1000000, 'unixepoch') AS day, count(*),
			sum(a.status_code BETWEEN 200 AND 299), sum(CASE WHEN a.status_code BETWEEN 200 AND 299 THEN length(e.envelope) ELSE 0 END)
		FROM attempts a
		JOIN deliveries d ON d.id = a.delivery_id
		JOIN subscriptions s ON s.id = d.subscription_id
		JOIN events e ON e.id = d.event_id
		WHERE s.partner_id = ? AND a.at >= ? AND a.at < ?
		GROUP BY day ORDER BY day`, partnerID, micros(from), micros(to))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []store.UsageDay
	for rows.Next() {
		var u store.UsageDay
		if err := rows.Scan(&u.Day, &u.Attempts, &u.Delivered, &u.Bytes); err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}
