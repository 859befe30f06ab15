// Package pgtest gives tests a PostgreSQL schema of their own on a real
// server, dropped afterwards. Without a server the tests skip, saying why,
// unless EVENTGATE_REQUIRE_POSTGRES=1 (as in CI) makes that a failure.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// DefaultURL is the server the tests use unless EVENTGATE_TEST_DATABASE_URL
// names another.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// ServerURL is the database url of the test server.
func ServerURL() string {
	if u := os.Getenv("EVENTGATE_TEST_DATABASE_URL"); u != "" {
		return u
	}
	return DefaultURL
}

// FreshSchema creates an empty schema and returns a database url whose
// connections use it. It skips the test when the server is unreachable.
func FreshSchema(tb testing.TB) string {
	tb.Helper()
	base := ServerURL()
	ctx := context.Background()
	conn, err := connect(base)
	if err != nil {
		msg := fmt.Sprintf("PostgreSQL is not reachable, so this PostgreSQL test is skipped (set EVENTGATE_TEST_DATABASE_URL; default %s): %v", DefaultURL, err)
		if os.Getenv("EVENTGATE_REQUIRE_POSTGRES") == "1" {
			tb.Fatal(msg)
		}
		tb.Skip(msg)
	}
	defer conn.Close(ctx)
	var b [6]byte
	rand.Read(b[:])
	schema := "eg_test_" + hex.EncodeToString(b[:])
	if _, err := conn.Exec(ctx, `CREATE SCHEMA `+schema); err != nil {
		tb.Fatalf("create test schema: %v", err)
	}
	tb.Cleanup(func() {
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			tb.Errorf("drop test schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			tb.Errorf("drop test schema %s: %v", schema, err)
		}
	})
	return withSearchPath(tb, base, schema)
}

// unreachable remembers a failed connection, so that each later test skips
// at once instead of waiting for its own timeout.
var unreachable struct {
	sync.Mutex
	err error
}

func connect(base string) (*pgx.Conn, error) {
	unreachable.Lock()
	defer unreachable.Unlock()
	if unreachable.err != nil {
		return nil, unreachable.err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	unreachable.err = err
	return conn, err
}

// withSearchPath adds a search_path runtime parameter to a database url,
// in either of the forms PostgreSQL accepts.
func withSearchPath(tb testing.TB, base, schema string) string {
	if !strings.HasPrefix(base, "postgres://") && !strings.HasPrefix(base, "postgresql://") {
		return base + " search_path=" + schema // key=value form
	}
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
