package main_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSIGTERMWithDeliveryHangingExitsWithinBudget: the README promises that
// SIGTERM exits within 10 s; a receiver that never answers must not stretch it.
func TestSIGTERMWithDeliveryHangingExitsWithinBudget(t *testing.T) {
	arrived, release := make(chan struct{}, 1), make(chan struct{})
	hanging := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case arrived <- struct{}{}:
		default:
		}
		select { // never answers while the gateway runs
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer hanging.Close()
	defer close(release)
	g := start(t, t.TempDir(), "EVENTGATE_ADMIN_KEY="+key)
	g.subscribe(hanging.URL, 1)
	// A backlog waits behind the hanging delivery, as it would in use: the
	// stop releases it, which takes writes of its own.
	batch := `{"events":[` + strings.TrimSuffix(strings.Repeat(`{"type":"hang.tick","data":{}},`, 500), ",") + `]}`
	for range 10 {
		if code, body, err := g.post("/v1/events/batch", batch); err != nil || code != 202 {
			t.Fatalf("publish: %d %.200s %v", code, body, err)
		}
	}
	select {
	case <-arrived:
	case <-time.After(20 * time.Second):
		t.Fatalf("the delivery never reached the receiver:\n%s", g.stderr.String())
	}
	began := time.Now()
	g.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-g.exited:
		if err != nil {
			t.Fatalf("exit: %v\n%s", err, g.stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("eventgate did not exit after SIGTERM")
	}
	took := time.Since(began)
	t.Logf("exited %v after SIGTERM", took)
	if took >= 10*time.Second {
		t.Fatalf("SIGTERM with a delivery hanging took %v to exit, want under 10s:\n%s", took, g.stderr.String())
	}
	if !strings.Contains(g.stderr.String(), `msg=stopped`) {
		t.Fatalf("no orderly stop in the log:\n%s", g.stderr.String())
	}
}
