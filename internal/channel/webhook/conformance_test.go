package webhook_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/eventgate/eventgate/internal/channel/channeltest"
	"github.com/eventgate/eventgate/internal/gateway"
)

func TestConformance(t *testing.T) {
	channeltest.Run(t, newHarness)
}

// harness is a webhook receiver that accepts requests carrying its
// bearer token, unless told to fail.
type harness struct {
	srv *httptest.Server

	mu        sync.Mutex
	failNext  int
	permanent bool
	accepted  map[string]int
}

const harnessToken = "channeltest-bearer-token-that-must-not-leak"

func newHarness(t *testing.T) channeltest.Harness {
	h := &harness{accepted: map[string]int{}}
	h.srv = httptest.NewServer(http.HandlerFunc(h.serve))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *harness) serve(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer "+harnessToken {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case h.permanent:
		w.WriteHeader(http.StatusGone)
	case h.failNext > 0:
		h.failNext--
		w.WriteHeader(http.StatusServiceUnavailable)
	default:
		h.accepted[r.Header.Get("Webhook-Id")]++ // the event's id
		w.WriteHeader(http.StatusNoContent)
	}
}

func (h *harness) Channel() map[string]any {
	return map[string]any{"type": "webhook", "url": h.srv.URL + "/hook", "auth": map[string]any{"type": "bearer", "token": harnessToken}}
}

func (h *harness) Secrets() []string { return []string{harnessToken} }

func (h *harness) FailNext(n int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.failNext += n
}

func (h *harness) FailPermanently() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.permanent = true
}

func (h *harness) Accepted() map[string]int {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make(map[string]int, len(h.accepted))
	for id, n := range h.accepted {
		out[id] = n
	}
	return out
}

func (h *harness) Consume(context.Context, *gateway.Gateway, string) {} // webhooks push

func (h *harness) BadChannels() map[string]map[string]any {
	withURL := func(url string) map[string]any { c := h.Channel(); c["url"] = url; return c }
	noToken := h.Channel()
	noToken["auth"] = map[string]any{"type": "bearer"}
	slowly := h.Channel()
	slowly["timeout"] = "1h"
	typed := h.Channel()
	typed["headers"] = []string{"X-A"}
	return map[string]map[string]any{
		"channel.url":        withURL("ftp://example.com/"),
		"channel.auth.token": noToken,
		"channel.timeout":    slowly,
		"channel.headers":    typed,
	}
}
