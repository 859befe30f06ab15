// Package postgres is the Store for several eventgate nodes sharing one
// PostgreSQL database. Nodes coordinate only through it: deliveries are
// claimed with leases (FOR UPDATE SKIP LOCKED), and the leases of a node that
// dies expire so that the others take its work over.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/eventgate/eventgate/internal/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// migrationLock is the pg_advisory_xact_lock key that serialises migrations
// of nodes starting together ("eventgat" in ASCII).
const migrationLock = 0x6576656e74676174

// Store is the PostgreSQL implementation of store.Store.
type Store struct {
	pool *pgxpool.Pool
}

var _ store.Store = (*Store)(nil)

// Open connects to the database at url (postgres://user@host/db?sslmode=...)
// and applies any migrations it lacks. The url also takes pgx's pool settings
// (pool_max_conns=...) and runtime parameters: to keep eventgate's tables in
// a schema of their own, add search_path=<schema>.
func Open(ctx context.Context, url string) (*Store, error) {
	pool, err := connect(ctx, url)
	if err != nil {
		return nil, err
	}
	if err := migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, err
	}
	return &Store{pool: pool}, nil
}

// Migrate applies the migrations the database at url lacks, for an explicit
// "eventgate migrate" before the nodes start.
func Migrate(ctx context.Context, url string) error {
	pool, err := connect(ctx, url)
	if err != nil {
		return err
	}
	defer pool.Close()
	return migrate(ctx, pool)
}

// Close waits for the connections in use to be returned and closes them all.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

func connect(ctx context.Context, url string) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// The error never repeats the url: it may hold a password.
		return nil, fmt.Errorf("postgres: invalid database url: use postgres://user:password@host:5432/dbname?sslmode=require")
	}
	cfg.AfterConnect = func(_ context.Context, c *pgx.Conn) error {
		// Times read back in UTC, as the API shows them.
		c.TypeMap().RegisterType(&pgtype.Type{Name: "timestamptz", OID: pgtype.TimestamptzOID, Codec: &pgtype.TimestamptzCodec{ScanLocation: time.UTC}})
		return nil
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: cannot connect (is the server up, and the database url right?): %w", err)
	}
	return pool, nil
}

// migrate applies the embedded migrations in one transaction. The advisory
// lock makes nodes that start together take turns: the first applies what is
// missing, the others then find nothing left to do.
func migrate(ctx context.Context, pool *pgxpool.Pool) error {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	slices.Sort(names)
	err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(migrationLock)); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
			return err
		}
		rows, _ := tx.Query(ctx, `SELECT version FROM schema_migrations`)
		applied, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		for _, name := range names {
			version := strings.TrimSuffix(path.Base(name), ".sql")
			if slices.Contains(applied, version) {
				continue
			}
			body, err := migrations.ReadFile(name)
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, string(body)); err != nil {
				return fmt.Errorf("migration %s: %w", version, err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version) VALUES ($1)`, version); err != nil {
				return fmt.Errorf("migration %s: %w", version, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	return nil
}

// sendBatch sends b in one round trip. Outside a transaction the batch runs
// as one implicit transaction: it commits whole at its end, or not at all.
func (s *Store) sendBatch(ctx context.Context, b *pgx.Batch) error {
	return s.pool.SendBatch(ctx, b).Close()
}

func notFound(err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return store.ErrNotFound
	}
	return err
}

// checkAffected turns "no row changed" into ErrNotFound.
func checkAffected(tag pgconn.CommandTag, err error) error {
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return store.ErrNotFound
	}
	return nil
}

// inTx runs fn in a transaction, again while it loses a race: one that
// changes many deliveries (a pause, a delete) can deadlock with a node
// settling some of them.
func (s *Store) inTx(ctx context.Context, fn func(pgx.Tx) error) error {
	return retryRaces(func() error { return pgx.BeginFunc(ctx, s.pool, fn) })
}

// raceTries bounds how often a write starts over after losing a race.
const raceTries = 3

// retryRaces runs write again, a few times at most, while it fails because
// of a concurrent transaction.
func retryRaces(write func() error) error {
	for try := 1; ; try++ {
		err := write()
		if err == nil || try == raceTries || !isRace(err) {
			return err
		}
	}
}

// isRace reports an error that a concurrent transaction caused and that a
// fresh attempt resolves: a unique key it committed first, a row it deleted
// after this statement's snapshot (foreign key), or a deadlock.
func isRace(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "23505" || pe.Code == "23503" || pe.Code == "40P01")
}
