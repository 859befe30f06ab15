// Package channel defines how a delivery leaves eventgate. Each channel
// (webhook, and later email, file, pull, broker) is a sub-package behind
// the one small Sender interface, so the dispatcher knows none of them.
package channel

import (
	"context"
	"time"

	"github.com/eventgate/eventgate/internal/event"
)

// Message is one delivery, ready to send.
type Message struct {
	DeliveryID   string
	EventID      string
	Subscription *event.Subscription
	Body         []byte
	ContentType  string
	// TraceParent, when set, is the W3C traceparent the request carries,
	// continuing the publisher's trace.
	TraceParent string
}

// Result is what one try of a delivery came to.
type Result struct {
	OK           bool          // the destination acknowledged the message
	StatusCode   int           // the HTTP status, for channels that have one
	ResponseBody string        // an excerpt of the answer, at most event.MaxResponseExcerpt
	Err          error         // why the try failed, when it did not get an answer
	RetryAfter   time.Duration // how long the destination asked us to wait, or 0
	Gone         bool          // the destination asked never to be sent to again
	Latency      time.Duration
}

// Sender sends messages over one kind of channel.
type Sender interface {
	Send(ctx context.Context, m *Message) Result
}

// Destinations is implemented by a Sender whose subscriptions can share a
// destination (webhooks: a host), so that the dispatcher bounds the sends
// in flight to each: Destination names sub's destination and how many
// sends it takes at once, the same for every subscription of that
// destination. An empty key means no bound.
type Destinations interface {
	Destination(sub *event.Subscription) (key string, limit int)
}
