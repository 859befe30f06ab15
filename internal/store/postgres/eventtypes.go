package postgres

import (
	"context"
	"maps"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/eventgate/eventgate/internal/event"
	"github.com/eventgate/eventgate/internal/store"
)

const eventTypeColumns = `name, description, schema, example, deprecated, first_seen, last_seen, count, created_at, updated_at`

func (s *Store) PutEventType(ctx context.Context, t *event.EventType) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO event_types (name, description, schema, example, deprecated, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $6)
		ON CONFLICT (name) DO UPDATE SET description = $2, schema = $3, example = $4, deprecated = $5, updated_at = $6`,
		t.Name, t.Description, nullBytes(t.Schema), nullBytes(t.Example), t.Deprecated, t.UpdatedAt)
	return err
}

func (s *Store) GetEventType(ctx context.Context, name string) (*event.EventType, error) {
	rows, _ := s.pool.Query(ctx, `SELECT `+eventTypeColumns+` FROM event_types WHERE name = $1`, name)
	t, err := pgx.CollectExactlyOneRow(rows, scanEventType)
	return t, notFound(err)
}

func (s *Store) ListEventTypes(ctx context.Context, p store.Page) ([]*event.EventType, string, error) {
	after, err := store.DecodeCursor(p.After)
	if err != nil {
		return nil, "", err
	}
	rows, _ := s.pool.Query(ctx, `SELECT `+eventTypeColumns+` FROM event_types WHERE name > $1 ORDER BY name LIMIT $2`, after, p.N()+1)
	types, err := pgx.CollectRows(rows, scanEventType)
	if err != nil {
		return nil, "", err
	}
	types, next := store.CutPage(types, p.N(), func(x *event.EventType) string { return x.Name })
	return types, next, nil
}

func (s *Store) AllEventTypes(ctx context.Context) ([]*event.EventType, error) {
	rows, _ := s.pool.Query(ctx, `SELECT `+eventTypeColumns+` FROM event_types`)
	return pgx.CollectRows(rows, scanEventType)
}

func (s *Store) DeleteEventType(ctx context.Context, name string) error {
	return checkAffected(s.pool.Exec(ctx, `DELETE FROM event_types WHERE name = $1`, name))
}

// queueTypeCounts adds to a group commit's batch one upsert that counts the
// events it stores by type and registers types seen for the first time.
// The rows are locked in name order, so that concurrent commits of several
// nodes wait for each other instead of deadlocking.
func queueTypeCounts(b *pgx.Batch, types []string, now time.Time) {
	if len(types) == 0 {
		return
	}
	counts := map[string]int64{}
	for _, t := range types {
		counts[t]++
	}
	names := slices.Sorted(maps.Keys(counts))
	n := make([]int64, len(names))
	for i, name := range names {
		n[i] = counts[name]
	}
	b.Queue(`INSERT INTO event_types (name, first_seen, last_seen, count, created_at, updated_at)
		SELECT name, $3, $3, n, $3, $3 FROM unnest($1::text[], $2::bigint[]) AS t(name, n) ORDER BY name
		ON CONFLICT (name) DO UPDATE SET first_seen = coalesce(event_types.first_seen, excluded.first_seen),
			last_seen = excluded.last_seen, count = event_types.count + excluded.count`,
		names, n, now)
}

func nullBytes(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

func scanEventType(row pgx.CollectableRow) (*event.EventType, error) {
	var t event.EventType
	err := row.Scan(&t.Name, &t.Description, &t.Schema, &t.Example, &t.Deprecated, &t.FirstSeen, &t.LastSeen, &t.Count, &t.CreatedAt, &t.UpdatedAt)
	return &t, err
}
