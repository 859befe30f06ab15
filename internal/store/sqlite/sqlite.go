// Package sqlite is the embedded Store: one file in the data directory, no
// server. It writes through a single connection (SQLite has one writer
// anyway, and this avoids busy retries) and reads through a small pool; WAL
// mode lets the readers run beside the writer.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"math/bits"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	_ "modernc.org/sqlite" // the pure-Go driver keeps the binary static

	"github.com/eventgate/eventgate/internal/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is the SQLite implementation of store.Store.
type Store struct {
	w, r *sql.DB
	lock *os.File

	stmtMu     sync.Mutex
	stmts      map[string]*sql.Stmt // prepared once on the writer, by query
	unprepared map[string]bool      // used in a transaction, not prepared yet
}

var _ store.Store = (*Store)(nil)

// FileName is the database file inside the data directory.
const FileName = "eventgate.db"

// Open opens (creating if needed) the database in dir and applies migrations.
// Only one process may open a directory at a time: a second gets a clear error.
func Open(ctx context.Context, dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	lock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, FileName)
	if err := keepPrivate(dir, path); err != nil {
		lock.Close()
		return nil, err
	}
	// synchronous(FULL) makes every commit fsync the WAL: an acknowledged
	// write survives power loss, not only a process crash.
	pragmas := "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=foreign_keys(ON)"
	w, err := sql.Open("sqlite", "file:"+path+"?"+pragmas+"&_txlock=immediate")
	if err != nil {
		lock.Close()
		return nil, err
	}
	w.SetMaxOpenConns(1)
	w.SetConnMaxIdleTime(0)
	s := &Store{w: w, lock: lock}
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	r, err := sql.Open("sqlite", "file:"+path+"?"+pragmas+"&_pragma=query_only(1)")
	if err != nil {
		s.Close()
		return nil, err
	}
	r.SetMaxOpenConns(4)
	s.r = r
	return s, nil
}

// lockDir takes an exclusive lock on the data directory so that two
// gateways never share one embedded database.
// keepPrivate makes the data directory 0700 and the database 0600, also
// when an earlier release or the operator made them wider: they hold every
// event. The database is created here, empty, so that SQLite, which gives
// its -wal and -shm files the database's mode, never makes one wider.
func keepPrivate(dir, path string) error {
	if err := os.Chmod(dir, 0o700); err != nil {
		return fmt.Errorf("make the data directory private: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("create the database file: %w", err)
	}
	f.Close()
	for _, name := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Chmod(name, 0o600); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("make %s private: %w", name, err)
		}
	}
	return nil
}

func lockDir(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, "eventgate.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open lock file: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("data directory %s is in use by another eventgate process (stop it, or use --data to pick another directory)", dir)
	}
	return f, nil
}

// Close closes the database and releases the directory lock.
func (s *Store) Close() error {
	var errs []error
	if s.r != nil {
		errs = append(errs, s.r.Close())
	}
	errs = append(errs, s.w.Close())
	if s.lock != nil {
		errs = append(errs, s.lock.Close())
	}
	return errors.Join(errs...)
}

func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.w.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, name := range names {
		version := strings.TrimSuffix(filepath.Base(name), ".sql")
		var applied int
		if err := s.w.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE version = ?`, version).Scan(&applied); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		if applied > 0 {
			continue
		}
		body, _ := migrations.ReadFile(name)
		err := s.inTx(ctx, func(tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, string(body)); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`, version, micros(time.Now()))
			return err
		})
		if err != nil {
			return fmt.Errorf("migration %s: %w", version, err)
		}
	}
	return nil
}

// inTx runs fn in a write transaction and commits it.
func (s *Store) inTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer s.prepareSeen(ctx)
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

func micros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

func nullMicros(t *time.Time) any {
	if t == nil {
		return nil
	}
	return t.UnixMicro()
}

func timePtr(us sql.NullInt64) *time.Time {
	if !us.Valid {
		return nil
	}
	t := fromMicros(us.Int64)
	return &t
}

func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return store.ErrNotFound
	}
	return err
}

// checkAffected turns "no row changed" into ErrNotFound.
func checkAffected(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return store.ErrNotFound
	}
	return nil
}

// collect scans every row with scan, and closes rows.
func collect[T any](rows *sql.Rows, scan func(scanner) (T, error)) ([]T, error) {
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// maxRowsPerInsert bounds the rows of one multi-row INSERT.
const maxRowsPerInsert = 64

// insertRows runs "<head> VALUES <tuple>, <tuple>, ... <tail>" for args,
// each tuple taking as many of them as it has placeholders. One statement
// per row cost about 4 µs of driver work each (binding, stepping and
// resetting through database/sql), several per delivery on the hot path;
// a multi-row statement pays that once. It does make SQLite keep a
// statement journal of the pages it changes (in memory, about 5 % of an
// append), which single-row VALUES avoided; appends still measured 15 %
// faster. Rows go in chunks of powers of two up to maxRowsPerInsert, so
// that few distinct statements are prepared.
func (s *Store) insertRows(ctx context.Context, tx *sql.Tx, head, tuple, tail string, args []any) error {
	perRow := strings.Count(tuple, "?")
	for rows := len(args) / perRow; rows > 0; {
		n := min(maxRowsPerInsert, 1<<(bits.Len(uint(rows))-1)) // the largest power of two that fits
		stmt, err := s.prepared(ctx, tx, insertQuery(head, tuple, tail, n))
		if err != nil {
			return err
		}
		if _, err := stmt.ExecContext(ctx, args[:n*perRow]...); err != nil {
			return err
		}
		args, rows = args[n*perRow:], rows-n
	}
	return nil
}

// insertQueries holds the texts of multi-row INSERTs by insertKey, built
// once rather than in every transaction.
var insertQueries sync.Map

type insertKey struct {
	head, tuple, tail string
	rows              int
}

func insertQuery(head, tuple, tail string, rows int) string {
	key := insertKey{head, tuple, tail, rows}
	if q, ok := insertQueries.Load(key); ok {
		return q.(string)
	}
	q := head + " VALUES " + tuple + strings.Repeat(", "+tuple, rows-1) + " " + tail
	insertQueries.Store(key, q)
	return q
}

// prepared returns query as a statement of tx. A query seen before was
// prepared once on the writer and is reused: parsing SQL in every group
// commit cost 15% of the gateway's CPU. A new one is prepared in tx, and
// on the writer once tx is over (the writer's one connection is busy
// until then).
func (s *Store) prepared(ctx context.Context, tx *sql.Tx, query string) (*sql.Stmt, error) {
	s.stmtMu.Lock()
	st, ok := s.stmts[query]
	if !ok {
		if s.unprepared == nil {
			s.unprepared = map[string]bool{}
		}
		s.unprepared[query] = true
	}
	s.stmtMu.Unlock()
	if ok {
		return tx.StmtContext(ctx, st), nil
	}
	return tx.PrepareContext(ctx, query)
}

// prepareSeen prepares on the writer the queries that transactions used
// for the first time. It holds no lock while it waits for the writer's
// connection, which another transaction may hold meanwhile.
func (s *Store) prepareSeen(ctx context.Context) {
	s.stmtMu.Lock()
	queries := slices.Collect(maps.Keys(s.unprepared))
	s.stmtMu.Unlock()
	for _, query := range queries {
		st, err := s.w.PrepareContext(ctx, query)
		if err != nil {
			return // a later transaction prepares it in place again
		}
		s.stmtMu.Lock()
		if s.stmts == nil {
			s.stmts = map[string]*sql.Stmt{}
		}
		if _, dup := s.stmts[query]; dup {
			st.Close()
		} else {
			s.stmts[query] = st
		}
		delete(s.unprepared, query)
		s.stmtMu.Unlock()
	}
}
