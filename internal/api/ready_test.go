package api_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eventgate/eventgate/internal/api"
	"github.com/eventgate/eventgate/internal/gateway"
	"github.com/eventgate/eventgate/internal/store"
	"github.com/eventgate/eventgate/internal/store/sqlite"
)

// unreadyStore fails its readiness check on demand and counts the checks.
type unreadyStore struct {
	store.Store
	down   atomic.Bool
	checks atomic.Int64
}

func (s *unreadyStore) Ready(ctx context.Context) error {
	s.checks.Add(1)
	if s.down.Load() {
		return errors.New("connection refused")
	}
	return s.Store.Ready(ctx)
}

// TestReadyzAsksTheStoreAtMostOncePerSecond: /readyz is 503 while the
// store fails its check and 200 again once it passes; /healthz stays 200;
// many probes cost about one check per second.
func TestReadyzAsksTheStoreAtMostOncePerSecond(t *testing.T) {
	inner, err := sqlite.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	st := &unreadyStore{Store: inner}
	g, err := gateway.Start(context.Background(), st, gateway.Config{AdminKey: adminKey, SingleNode: true})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(api.New(g))
	t.Cleanup(func() {
		srv.Close()
		g.Shutdown(context.Background())
		inner.Close()
	})
	e := &env{t: t, g: g, srv: srv}
	probe := func() answer { return answerOf(e.do("GET", "/readyz", nil, "Authorization", "")) }

	began := time.Now()
	const probes = 50
	for range probes {
		if a := probe(); a.code != http.StatusOK {
			t.Fatalf("/readyz with the store up: %d %s", a.code, a.body)
		}
	}
	if n, most := st.checks.Load(), int64(time.Since(began)/time.Second)+1; n > most {
		t.Fatalf("%d probes made %d store checks, want at most %d (one per second)", probes, n, most)
	}

	st.down.Store(true)
	waitFor(t, "/readyz to see the store down", func() bool { return probe().code == http.StatusServiceUnavailable })
	wantProblem(t, probe(), http.StatusServiceUnavailable, "eventgate migrate")
	if code, _, _ := e.do("GET", "/healthz", nil, "Authorization", ""); code != http.StatusOK {
		t.Fatalf("/healthz with the store down: %d, want 200: the process is alive", code)
	}
	st.down.Store(false)
	waitFor(t, "/readyz to see the store up again", func() bool { return probe().code == http.StatusOK })
}
