package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/eventgate/eventgate/internal/source"
	"github.com/eventgate/eventgate/internal/store"
)

const sourceColumns = `id, name, spec, secret, accepted, duplicates, rejected, invalid, created_at`

func (s *Store) CreateSource(ctx context.Context, src *source.Source) error {
	spec, err := src.Spec()
	if err != nil {
		return err
	}
	_, err = s.pool.Exec(ctx, `INSERT INTO sources (id, name, spec, secret, created_at) VALUES ($1, $2, $3, $4, $5)`,
		src.ID, src.Name, spec, []byte(src.Verify.Secret), src.CreatedAt)
	return err
}

func (s *Store) GetSource(ctx context.Context, id string) (*source.Source, error) {
	rows, _ := s.pool.Query(ctx, `SELECT `+sourceColumns+` FROM sources WHERE id = $1`, id)
	src, err := pgx.CollectExactlyOneRow(rows, scanSource)
	return src, notFound(err)
}

func (s *Store) ListSources(ctx context.Context, p store.Page) ([]*source.Source, string, error) {
	after, err := store.DecodeCursor(p.After)
	if err != nil {
		return nil, "", err
	}
	query := `SELECT ` + sourceColumns + ` FROM sources`
	args := pgx.NamedArgs{"limit": p.N() + 1}
	if after != "" {
		query += ` WHERE id < @after`
		args["after"] = after
	}
	rows, _ := s.pool.Query(ctx, query+` ORDER BY id DESC LIMIT @limit`, args)
	out, err := pgx.CollectRows(rows, scanSource)
	if err != nil {
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
	return checkAffected(s.pool.Exec(ctx, `UPDATE sources SET name = $1, spec = $2, secret = $3 WHERE id = $4`,
		src.Name, spec, []byte(src.Verify.Secret), src.ID))
}

func (s *Store) DeleteSource(ctx context.Context, id string) error {
	return checkAffected(s.pool.Exec(ctx, `DELETE FROM sources WHERE id = $1`, id))
}

func (s *Store) AddSourceCounts(ctx context.Context, id string, c source.Counts) error {
	return checkAffected(s.pool.Exec(ctx, `UPDATE sources SET accepted = accepted + $1, duplicates = duplicates + $2, rejected = rejected + $3, invalid = invalid + $4 WHERE id = $5`,
		c.Accepted, c.Duplicates, c.Rejected, c.Invalid, id))
}

func scanSource(row pgx.CollectableRow) (*source.Source, error) {
	var src source.Source
	var spec, secret []byte
	c := &src.Counts
	if err := row.Scan(&src.ID, &src.Name, &spec, &secret, &c.Accepted, &c.Duplicates, &c.Rejected, &c.Invalid, &src.CreatedAt); err != nil {
		return nil, err
	}
	src.Verify.Secret = string(secret)
	return &src, src.SetSpec(spec)
}
