package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"

	"github.com/eventgate/eventgate/internal/store"
)

// Ready reads the newest migration this build has from schema_migrations.
func (s *Store) Ready(ctx context.Context) error {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	latest := strings.TrimSuffix(filepath.Base(slices.Max(names)), ".sql")
	var version string
	err = s.r.QueryRowContext(ctx, `SELECT version FROM schema_migrations WHERE version = ?`, latest).Scan(&version)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("migration %s is not applied", latest)
	}
	return err
}

func (s *Store) DeliveryStats(ctx context.Context) (store.DeliveryStats, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT status, count(*), min(created_at) FROM deliveries WHERE status <> 'succeeded' GROUP BY status`)
	if err != nil {
		return store.DeliveryStats{}, err
	}
	defer rows.Close()
	var stats store.DeliveryStats
	for rows.Next() {
		var status string
		var n, oldest int64
		if err := rows.Scan(&status, &n, &oldest); err != nil {
			return store.DeliveryStats{}, err
		}
		stats.Add(status, n, fromMicros(oldest))
	}
	return stats, rows.Err()
}
