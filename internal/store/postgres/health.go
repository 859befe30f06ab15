package postgres

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/eventgate/eventgate/internal/store"
)

// Ready reads the newest migration this build has from schema_migrations.
func (s *Store) Ready(ctx context.Context) error {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	latest := strings.TrimSuffix(path.Base(slices.Max(names)), ".sql")
	var version string
	err = s.pool.QueryRow(ctx, `SELECT version FROM schema_migrations WHERE version = $1`, latest).Scan(&version)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("migration %s is not applied", latest)
	}
	return err
}

func (s *Store) DeliveryStats(ctx context.Context) (store.DeliveryStats, error) {
	rows, _ := s.pool.Query(ctx, `SELECT status, count(*), min(created_at) FROM deliveries WHERE status <> 'succeeded' GROUP BY status`)
	var stats store.DeliveryStats
	var status string
	var n int64
	var oldest time.Time
	_, err := pgx.ForEachRow(rows, []any{&status, &n, &oldest}, func() error {
		stats.Add(status, n, oldest)
		return nil
	})
	return stats, err
}
