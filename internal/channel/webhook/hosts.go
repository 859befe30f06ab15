package webhook

import (
	"strings"

	"github.com/eventgate/eventgate/internal/event"
)

// DefaultMaxConnsPerHost is how many deliveries may be in flight to one
// host at once, over as many connections, when Options leave it unset.
//
// Each subscription's max_concurrency bounds its own sends, but thousands
// of subscriptions can share one host (one partner's endpoints, or a
// relay). Without a bound per host, 10,000 subscriptions with a delivery
// each opened a connection each, up to the transport's former limit of
// 1,000: more goroutines, buffers and scheduling for the gateway and the
// receiver alike, for no more throughput (bench `filters`: 73.7 µs of
// gateway CPU per delivery with 1,000 connections, 70.4 with 256, 68.3
// with 128).
const DefaultMaxConnsPerHost = 128

// Destination names a subscription's host and its share of sends in
// flight (channel.Destinations): the dispatcher makes sends to a busy
// host wait their turn before they start, so their timeout does not run
// while they wait.
func (s *Sender) Destination(sub *event.Subscription) (string, int) {
	cfg := configOf(sub)
	if cfg == nil {
		return "", 0
	}
	return hostOf(cfg.URL), s.opts.MaxConnsPerHost
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
