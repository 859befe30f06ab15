package pull_test

import (
	"context"
	"maps"
	"sync"
	"testing"
	"time"

	"github.com/eventgate/eventgate/internal/auth"
	"github.com/eventgate/eventgate/internal/channel/channeltest"
	"github.com/eventgate/eventgate/internal/gateway"
)

func TestConformance(t *testing.T) {
	channeltest.Run(t, func(t *testing.T) channeltest.Harness { return &harness{accepted: map[string]int{}} })
}

// harness is a consumer that pulls through the gateway's operations and
// acknowledges what it accepts; a refusal is a nack, which counts as a
// failed try like a webhook's 503.
type harness struct {
	mu        sync.Mutex
	failNext  int
	permanent bool
	accepted  map[string]int
}

func (h *harness) Channel() map[string]any {
	return map[string]any{"type": "pull", "visibility_timeout": "5s"}
}

func (h *harness) Secrets() []string { return nil }

func (h *harness) FailNext(n int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.failNext += n
}

// FailPermanently nacks every message: a consumer cannot say "gone", so
// the retry policy runs out and the delivery is dead.
func (h *harness) FailPermanently() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.permanent = true
}

func (h *harness) Accepted() map[string]int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return maps.Clone(h.accepted)
}

func (h *harness) BadChannels() map[string]map[string]any {
	return map[string]map[string]any{
		"channel.visibility_timeout": {"type": "pull", "visibility_timeout": "13h"},
	}
}

func (h *harness) Consume(ctx context.Context, g *gateway.Gateway, subscriptionID string) {
	for ctx.Err() == nil {
		msgs, err := g.Pull(ctx, auth.Admin, subscriptionID, gateway.PullRequest{Wait: time.Second})
		if err != nil {
			continue // the test is ending, or the subscription is being set up
		}
		for _, m := range msgs {
			if h.refuse() {
				_, _ = g.Nack(ctx, auth.Admin, subscriptionID, []string{m.Receipt}, 0)
				continue
			}
			statuses, err := g.Ack(ctx, auth.Admin, subscriptionID, []string{m.Receipt})
			if err == nil && statuses[0].Status == "acked" {
				h.mu.Lock()
				h.accepted[m.EventID]++
				h.mu.Unlock()
			}
		}
	}
}

// refuse says whether the next message is to be handed back.
func (h *harness) refuse() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.failNext > 0 {
		h.failNext--
		return true
	}
	return h.permanent
}
