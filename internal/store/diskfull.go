package store

import (
	"errors"
	"syscall"
)

// IsDiskFull reports whether err says the store's disk (or the database
// server's) is out of space: SQLite's SQLITE_FULL, PostgreSQL's 53100
// disk_full, or ENOSPC from the file system. It asks the drivers' errors
// for their codes by method, so that callers need not import the drivers.
func IsDiskFull(err error) bool {
	var sqlState interface{ SQLState() string } // pgconn.PgError
	var sqliteCode interface{ Code() int }      // modernc.org/sqlite.Error
	switch {
	case errors.Is(err, syscall.ENOSPC):
		return true
	case errors.As(err, &sqlState):
		return sqlState.SQLState() == "53100"
	case errors.As(err, &sqliteCode):
		return sqliteCode.Code()&0xff == sqliteFull // the primary code of an extended one
	}
	return false
}

// sqliteFull is SQLITE_FULL.
const sqliteFull = 13
