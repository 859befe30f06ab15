package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/eventgate/eventgate/internal/event"
	"github.com/eventgate/eventgate/internal/store"
)

const eventTypeColumns = `name, description, schema, example, deprecated, first_seen, last_seen, count, created_at, updated_at`

func (s *Store) PutEventType(ctx context.Context, t *event.EventType) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO event_types (name, description, schema, example, deprecated, created_at, updated_at)
		VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)
		ON CONFLICT (name) DO UPDATE SET description = ?2, schema = ?3, example = ?4, deprecated = ?5, updated_at = ?6`,
		t.Name, t.Description, nullBytes(t.Schema), nullBytes(t.Example), t.Deprecated, micros(t.UpdatedAt))
	return err
}

func (s *Store) GetEventType(ctx context.Context, name string) (*event.EventType, error) {
	return scanEventType(s.r.QueryRowContext(ctx, `SELECT `+eventTypeColumns+` FROM event_types WHERE name = ?`, name))
}

func (s *Store) ListEventTypes(ctx context.Context, p store.Page) ([]*event.EventType, string, error) {
	after, err := store.DecodeCursor(p.After)
	if err != nil {
		return nil, "", err
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+eventTypeColumns+` FROM event_types WHERE name > ? ORDER BY name LIMIT ?`, after, p.N()+1)
	if err != nil {
		return nil, "", err
	}
	types, err := collect(rows, scanEventType)
	if err != nil {
		return nil, "", err
	}
	types, next := store.CutPage(types, p.N(), func(x *event.EventType) string { return x.Name })
	return types, next, nil
}

func (s *Store) AllEventTypes(ctx context.Context) ([]*event.EventType, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT `+eventTypeColumns+` FROM event_types`)
	if err != nil {
		return nil, err
	}
	return collect(rows, scanEventType)
}

func (s *Store) DeleteEventType(ctx context.Context, name string) error {
	return checkAffected(s.w.ExecContext(ctx, `DELETE FROM event_types WHERE name = ?`, name))
}

// countEventTypes records, inside a group commit, how many events of each
// type it stores; a type seen for the first time is registered.
func (s *Store) countEventTypes(ctx context.Context, tx *sql.Tx, counts map[string]int64, now time.Time) error {
	if len(counts) == 0 {
		return nil
	}
	rows := make([]any, 0, 6*len(counts))
	at := micros(now)
	for name, n := range counts {
		rows = append(rows, name, at, at, n, at, at)
	}
	return s.insertRows(ctx, tx, `INSERT INTO event_types (name, first_seen, last_seen, count, created_at, updated_at)`, `(?, ?, ?, ?, ?, ?)`,
		`ON CONFLICT (name) DO UPDATE SET first_seen = coalesce(first_seen, excluded.first_seen), last_seen = excluded.last_seen, count = count + excluded.count`, rows)
}

func nullBytes(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}

func scanEventType(row scanner) (*event.EventType, error) {
	var t event.EventType
	var first, last sql.NullInt64
	var created, updated int64
	var schema, example []byte
	if err := row.Scan(&t.Name, &t.Description, &schema, &example, &t.Deprecated, &first, &last, &t.Count, &created, &updated); err != nil {
		return nil, notFound(err)
	}
	t.Schema, t.Example = schema, example
	t.FirstSeen, t.LastSeen = timePtr(first), timePtr(last)
	t.CreatedAt, t.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &t, nil
}
