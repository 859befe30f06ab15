// Package channel defines how a delivery leaves eventgate. Each channel
// kind (webhook, pull, and later email, file, broker) is a sub-package
// that describes itself in a Kind; internal/channel/kinds lists them in
// one table, so that the dispatcher, the API and the stores know none of
// them by name.
package channel

import (
	"context"
	"net/url"
	"time"

	"github.com/eventgate/eventgate/internal/event"
	"github.com/eventgate/eventgate/internal/netguard"
)

// Kind is one channel kind, as the table of kinds knows it.
type Kind struct {
	// Name is the value of the subscription's channel.type.
	Name string
	// NewConfig returns the empty settings a subscription's channel object
	// decodes into (strictly: an unknown field is refused).
	NewConfig func() event.ChannelConfig
	// Check, when set, checks settings against the node's environment,
	// beyond what Validate can see alone (a destination the guard refuses).
	Check func(event.ChannelConfig, Env) error
	// NewSender builds the kind's sender; nil for a kind that does not
	// push (pull): its deliveries wait in the store for whoever takes them.
	NewSender func(Env) Sender
}

// Env is what a node offers every kind's checks and senders.
type Env struct {
	// Guard refuses private destinations.
	Guard netguard.Guard
	// Proxy, when set, carries every outgoing request.
	Proxy *url.URL
	// MaxConnsPerHost bounds the sends in flight to one host (0: the kind's default).
	MaxConnsPerHost int
}

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

// Senders is the sender of each kind that pushes, by kind name.
type Senders map[string]Sender

// Destinations is implemented by a Sender whose subscriptions can share a
// destination (webhooks: a host), so that the dispatcher bounds the sends
// in flight to each: Destination names sub's destination and how many
// sends it takes at once, the same for every subscription of that
// destination. An empty key means no bound.
type Destinations interface {
	Destination(sub *event.Subscription) (key string, limit int)
}

// Batch bounds the batches a BatchSender takes.
type Batch struct {
	Count  int           // deliveries in one batch, at most
	Bytes  int           // their payload bytes, at most (a larger payload goes alone)
	Linger time.Duration // how long a batch that is not full waits for more
}

// BatchSender is a Sender that takes deliveries in batches (one upload,
// one digest, one produce call). The dispatcher offers it up to Batch's
// bounds of one subscription's deliveries at once, and settles each by
// its own result.
type BatchSender interface {
	Sender
	Batch() Batch
	// SendBatch sends ms and answers one result per message, in order.
	SendBatch(ctx context.Context, ms []*Message) []Result
}
