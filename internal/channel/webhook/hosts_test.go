package webhook_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/eventgate/eventgate/internal/channel/webhook"
	"github.com/eventgate/eventgate/internal/event"
	"github.com/eventgate/eventgate/internal/netguard"
)

// Subscriptions sharing a host share its slots: no more sends reach it at
// once than MaxConnsPerHost, whatever their own max_concurrency, and a
// send waiting for a slot has not started its timeout.
func TestSendsToOneHostShareItsSlots(t *testing.T) {
	const slots, sends = 2, 8
	const answerAfter = 100 * time.Millisecond
	var inFlight, most atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		time.Sleep(answerAfter)
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	s := webhook.New(webhook.Options{Guard: netguard.Guard{AllowPrivate: true}, MaxConnsPerHost: slots})

	// Four sends in turn on a slot take 400 ms; each may take 300 ms.
	// Were the timeout running while a send waits, the last ones would fail.
	var wg sync.WaitGroup
	results := make([]error, sends)
	for i := range sends {
		sub := subscription(srv.URL+"/hook", func(c *event.Channel) { c.Timeout = event.Duration(3 * answerAfter) })
		wg.Go(func() {
			if r := send(s, sub); !r.OK {
				results[i] = r.Err
			}
		})
	}
	wg.Wait()
	for i, err := range results {
		if err != nil {
			t.Errorf("send %d failed: %v", i, err)
		}
	}
	if got := most.Load(); got != slots {
		t.Errorf("the host saw %d sends at once, want %d (its slots)", got, slots)
	}
}

// A send waiting for a slot gives up when its context ends (the
// dispatcher shutting down), without having been sent.
func TestWaitingForASlotEndsWithTheContext(t *testing.T) {
	release := make(chan struct{})
	var received atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		received.Add(1)
		<-release
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	s := webhook.New(webhook.Options{Guard: netguard.Guard{AllowPrivate: true}, MaxConnsPerHost: 1})
	sub := subscription(srv.URL, nil)

	go send(s, sub) // holds the only slot until release
	for received.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	r := s.Send(ctx, message(sub))
	if r.OK || !errors.Is(r.Err, context.DeadlineExceeded) {
		t.Fatalf("got %+v, want the context's error", r)
	}
	if n := received.Load(); n != 1 {
		t.Fatalf("the endpoint received %d requests, want only the first", n)
	}
}
