package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Backup writes a consistent copy of the database in dir to the file to,
// while a gateway may be serving from it: VACUUM INTO reads one snapshot
// (a read transaction beside the writer, which WAL mode allows), so the
// copy holds exactly the transactions committed when it began. It needs
// no directory lock. The copy is written beside to and renamed into place
// once synced, so to is never a partial file.
func Backup(ctx context.Context, dir, to string) error {
	path := filepath.Join(dir, FileName)
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("no eventgate database in %s: %w", dir, err)
	}
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return err
	}
	defer db.Close()
	tmp := to + ".partial"
	// Created empty first, private: the copy holds every event. VACUUM INTO writes into an empty file.
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("create the backup file: %w", err)
	}
	f.Close()
	defer os.Remove(tmp) // after the rename, there is nothing left to remove
	if _, err := db.ExecContext(ctx, `VACUUM INTO ?`, tmp); err != nil {
		return fmt.Errorf("copy the database: %w", err)
	}
	if err := syncFile(tmp); err != nil {
		return err
	}
	return os.Rename(tmp, to)
}

// Restore makes the database in dir a copy of the backup from. dir must
// hold no database unless force is set; no process may be using it (its
// lock is taken meanwhile). A database left there is replaced whole, its
// write-ahead log dropped with it.
func Restore(ctx context.Context, from, dir string, force bool) error {
	if err := checkBackup(ctx, from); err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	lock, err := lockDir(dir)
	if err != nil {
		return err
	}
	defer lock.Close()
	path := filepath.Join(dir, FileName)
	if info, err := os.Stat(path); err == nil && info.Size() > 0 && !force {
		return fmt.Errorf("%s already holds a database; restore into an empty directory, or pass --force to replace it", dir)
	}
	tmp := path + ".restoring"
	if err := copyFile(from, tmp); err != nil {
		os.Remove(tmp)
		return err
	}
	for _, stale := range []string{path + "-wal", path + "-shm"} {
		if err := os.Remove(stale); err != nil && !errors.Is(err, os.ErrNotExist) {
			os.Remove(tmp)
			return err
		}
	}
	return os.Rename(tmp, path)
}

// checkBackup opens from read-only and checks that it is a whole eventgate database.
func checkBackup(ctx context.Context, from string) error {
	if _, err := os.Stat(from); err != nil {
		return err
	}
	db, err := sql.Open("sqlite", "file:"+from+"?mode=ro")
	if err != nil {
		return err
	}
	defer db.Close()
	var result string
	if err := db.QueryRowContext(ctx, `PRAGMA quick_check`).Scan(&result); err != nil {
		return fmt.Errorf("%s is not an SQLite database: %w", from, err)
	}
	if result != "ok" {
		return fmt.Errorf("%s is damaged (SQLite's quick_check: %s); restore another backup", from, result)
	}
	var migrations int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&migrations); err != nil || migrations == 0 {
		return fmt.Errorf("%s is not an eventgate database: it has no schema migrations", from)
	}
	return nil
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
