package api_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/eventgate/eventgate/internal/api"
	"github.com/eventgate/eventgate/internal/gateway"
	"github.com/eventgate/eventgate/internal/store"
	"github.com/eventgate/eventgate/internal/store/sqlite"
)

// fullStore fails commits with err while full is set, as a store on a full disk does.
type fullStore struct {
	store.Store
	full atomic.Bool
	err  error
}

func (s *fullStore) AppendEvents(ctx context.Context, lease store.Lease, entries []*store.Append) error {
	if s.full.Load() {
		return s.err
	}
	return s.Store.AppendEvents(ctx, lease, entries)
}

// sqliteFullError makes SQLite run out of room for real (a database
// capped at two pages) and returns the driver's error.
func sqliteFullError(t *testing.T) error {
	db, err := sql.Open("sqlite", "file:"+filepath.Join(t.TempDir(), "full.db")+"?_pragma=max_page_count(2)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE t (b BLOB)`); err != nil {
		t.Fatal(err)
	}
	_, err = db.Exec(`INSERT INTO t VALUES (randomblob(100000))`)
	if err == nil {
		t.Fatal("a 100 kB row fit in a two-page database")
	}
	return err
}

// TestFullDiskAnswers507AndNotReady: a commit that fails for lack of space
// answers 507 saying so, and /readyz says not ready until a commit succeeds;
// /healthz (liveness) stays ok. SQLite's and PostgreSQL's errors alike.
func TestFullDiskAnswers507AndNotReady(t *testing.T) {
	for name, err := range map[string]error{
		"sqlite":   sqliteFullError(t),
		"postgres": &pgconn.PgError{Severity: "PANIC", Code: "53100", Message: "could not extend file: No space left on device"},
	} {
		t.Run(name, func(t *testing.T) {
			inner, openErr := sqlite.Open(context.Background(), t.TempDir())
			if openErr != nil {
				t.Fatal(openErr)
			}
			st := &fullStore{Store: inner, err: err}
			g, startErr := gateway.Start(context.Background(), st, gateway.Config{AdminKey: adminKey, SingleNode: true, PollInterval: 20 * time.Millisecond})
			if startErr != nil {
				t.Fatal(startErr)
			}
			srv := httptest.NewServer(api.New(g))
			t.Cleanup(func() {
				srv.Close()
				g.Shutdown(context.Background())
				inner.Close()
			})
			e := &env{t: t, g: g, srv: srv}

			st.full.Store(true)
			code, h, body := e.do("POST", "/v1/events", `{"type":"order.created","data":{}}`)
			var p struct{ Type, Detail string }
			json.Unmarshal(body, &p)
			if code != http.StatusInsufficientStorage || h.Get("Content-Type") != "application/problem+json" || !strings.Contains(p.Detail, "disk is full") {
				t.Fatalf("publishing on a full disk: %d %s, want a 507 problem saying the disk is full", code, body)
			}
			if code, _, body := e.do("GET", "/readyz", nil, "Authorization", ""); code != http.StatusServiceUnavailable || !strings.Contains(string(body), "disk is full") {
				t.Fatalf("/readyz after a write failed for lack of space: %d %s, want 503 saying the disk is full", code, body)
			}
			if code, _, _ := e.do("GET", "/healthz", nil, "Authorization", ""); code != http.StatusOK {
				t.Fatalf("/healthz on a full disk: %d, want 200: the process is alive", code)
			}

			st.full.Store(false)
			e.publish("order.created", `{}`)
			if code, _, body := e.do("GET", "/readyz", nil, "Authorization", ""); code != http.StatusOK {
				t.Fatalf("/readyz after a write succeeded again: %d %s, want 200", code, body)
			}
		})
	}
}
