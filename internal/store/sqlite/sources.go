package sqlite

import (
	"context"

	"github.com/eventgate/eventgate/internal/source"
	"github.com/eventgate/eventgate/internal/store"
)

const sourceColumns = `id, name, spec, secret, accepted, duplicates, rejected, invalid, created_at`

func (s *Store) CreateSource(ctx context.Context, src *source.Source) error {
	spec, err := src.Spec()
	if err != nil {
		return err
	}
	_, err = s.w.ExecContext(ctx, `INSERT INTO sources (id, name, spec, secret, created_at) VALUES (?, ?, ?, ?, ?)`,
		src.ID, src.Name, spec, []byte(src.Verify.Secret), micros(src.CreatedAt))
	return err
}

func (s *Store) GetSource(ctx context.Context, id string) (*source.Source, error) {
	return scanSource(s.r.QueryRowContext(ctx, `SELECT `+sourceColumns+` FROM sources WHERE id = ?`, id))
}

func (s *Store) ListSources(ctx context.Context, p store.Page) ([]*source.Source, string, error) {
	after, err := store.DecodeCursor(p.After)
	if err != nil {
		return nil, "", err
	}
	if after == "" {
		after = "\xff"
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+sourceColumns+` FROM sources WHERE id < ? ORDER BY id DESC LIMIT ?`, after, p.N()+1)
	if err != nil {
		return nil, "", err
	}
	out, err := collect(rows, scanSource)
	if err != nil {
		return nil, "", err
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	if len(out) > p.N() {
		out = out[:p.N()]
		return out, store.EncodeCursor(out[len(out)-1].ID), nil
	}
	return out, "", nil
}

func (s *Store) UpdateSource(ctx context.Context, src *source.Source) error {
	spec, err := src.Spec()
	if err != nil {
		return err
	}
	return checkAffected(s.w.ExecContext(ctx, `UPDATE sources SET name = ?, spec = ?, secret = ? WHERE id = ?`,
		src.Name, spec, []byte(src.Verify.Secret), src.ID))
}

func (s *Store) DeleteSource(ctx context.Context, id string) error {
	return checkAffected(s.w.ExecContext(ctx, `DELETE FROM sources WHERE id = ?`, id))
}

func (s *Store) AddSourceCounts(ctx context.Context, id string, c source.Counts) error {
	return checkAffected(s.w.ExecContext(ctx, `UPDATE sources SET accepted = accepted + ?, duplicates = duplicates + ?, rejected = rejected + ?, invalid = invalid + ? WHERE id = ?`,
		c.Accepted, c.Duplicates, c.Rejected, c.Invalid, id))
}

func scanSource(row scanner) (*source.Source, error) {
	var src source.Source
	var spec, secret []byte
	var created int64
	c := &src.Counts
	if err := row.Scan(&src.ID, &src.Name, &spec, &secret, &c.Accepted, &c.Duplicates, &c.Rejected, &c.Invalid, &created); err != nil {
		return nil, notFound(err)
	}
	src.CreatedAt = fromMicros(created)
	src.Verify.Secret = string(secret)
	return &src, src.SetSpec(spec)
}
