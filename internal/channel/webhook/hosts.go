package webhook

import (
	"context"
	"strings"
	"sync"
)

// DefaultMaxConnsPerHost is how many deliveries may be in flight to one
// host at once, over as many connections, when Options leave it unset.
//
// Each subscription's max_concurrency bounds its own sends, but thousands
// of subscriptions can share one host (one partner's endpoints, or a
// relay). Without a bound per host, 10,000 subscriptions with a delivery
// each opened a connection each, up to the transport's former limit of
// 1,000: more goroutines, buffers and scheduling for the gateway and the
// receiver alike, for no more throughput (bench `filters`: 72 µs of
// gateway CPU per delivery with 1,000 connections, 68 with 128, and the
// receiver's share fell as well).
const DefaultMaxConnsPerHost = 128

// hostSlots bounds the sends in flight to each host. A send waits for a
// slot before its timeout starts, so waiting for a busy host is not
// mistaken for the host being slow; waiters are served in arrival order.
type hostSlots struct {
	per   int
	mu    sync.Mutex
	hosts map[string]*slots
}

type slots struct {
	free  chan struct{} // holds a token per send in flight
	users int           // holders and waiters, under hostSlots.mu
}

// acquire waits for a slot to host, or until ctx is done. The returned
// release gives the slot back.
func (h *hostSlots) acquire(ctx context.Context, host string) (release func(), err error) {
	h.mu.Lock()
	s := h.hosts[host]
	if s == nil {
		if h.hosts == nil {
			h.hosts = map[string]*slots{}
		}
		s = &slots{free: make(chan struct{}, h.per)}
		h.hosts[host] = s
	}
	s.users++
	h.mu.Unlock()
	select {
	case s.free <- struct{}{}:
		return func() { <-s.free; h.leave(host, s) }, nil
	case <-ctx.Done():
		h.leave(host, s)
		return nil, ctx.Err()
	}
}

// leave forgets a host nobody holds or waits for, so that the map keeps
// only hosts with work in flight.
func (h *hostSlots) leave(host string, s *slots) {
	h.mu.Lock()
	if s.users--; s.users == 0 {
		delete(h.hosts, host)
	}
	h.mu.Unlock()
}

// hostOf returns the host[:port] of a webhook URL (validated when the
// subscription was saved), without parsing the whole URL on every send.
func hostOf(rawURL string) string {
	rest := rawURL
	if i := strings.Index(rest, "://"); i >= 0 {
		rest = rest[i+len("://"):]
	}
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		rest = rest[:i]
	}
	return strings.ToLower(rest)
}
