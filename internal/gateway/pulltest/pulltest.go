// Package pulltest consumes pull subscriptions through the gateway's
// operations, for the tests of the pull channel and its conformance adapter.
package pulltest

import (
	"context"
	"testing"
	"time"

	"github.com/eventgate/eventgate/internal/auth"
	"github.com/eventgate/eventgate/internal/gateway"
)

// Consumer pulls one subscription's messages as Who.
type Consumer struct {
	G              *gateway.Gateway
	Who            auth.Principal
	SubscriptionID string
}

// Pull pulls once, up to max messages, waiting up to wait for the first.
func (c *Consumer) Pull(t testing.TB, max int, wait time.Duration) []*gateway.Message {
	t.Helper()
	msgs, err := c.G.Pull(context.Background(), c.Who, c.SubscriptionID, gateway.PullRequest{MaxMessages: &max, Wait: wait})
	if err != nil {
		t.Fatalf("Pull %s: %v", c.SubscriptionID, err)
	}
	return msgs
}

// Ack acknowledges messages; every receipt must still hold its lease.
func (c *Consumer) Ack(t testing.TB, msgs []*gateway.Message) {
	t.Helper()
	if len(msgs) == 0 {
		return
	}
	statuses, err := c.G.Ack(context.Background(), c.Who, c.SubscriptionID, Receipts(msgs))
	if err != nil {
		t.Fatalf("Ack %s: %v", c.SubscriptionID, err)
	}
	for _, s := range statuses {
		if s.Status != "acked" {
			t.Fatalf("Ack %s: receipt %s is %s", c.SubscriptionID, s.Receipt, s.Status)
		}
	}
}

// Drain pulls and acknowledges until n messages arrived, and returns
// them in the order they came. It fails t when a pull of the longest wait
// brings nothing before n arrived.
func (c *Consumer) Drain(t testing.TB, n int) []*gateway.Message {
	t.Helper()
	var got []*gateway.Message
	for len(got) < n {
		msgs := c.Pull(t, min(n-len(got), gateway.MaxPullMessages), gateway.MaxPullWait)
		if len(msgs) == 0 {
			t.Fatalf("Drain %s: %d of %d messages arrived, then none for %s", c.SubscriptionID, len(got), n, gateway.MaxPullWait)
		}
		c.Ack(t, msgs)
		got = append(got, msgs...)
	}
	return got
}

// Receipts are the receipts of msgs.
func Receipts(msgs []*gateway.Message) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = m.Receipt
	}
	return out
}
