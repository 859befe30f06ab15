// Package observe is how the stages report what they do, for metrics and
// traces hung on from outside: ingest (publishes and their group
// commits), dispatch (claims, attempts, settles) and sources (requests
// that fail verification) call an Observer and know nothing of what
// listens. With nothing listening they call Nop, which costs a call.
package observe

import (
	"time"

	"github.com/eventgate/eventgate/internal/event"
)

// Observer receives what the stages did. Its methods are called on the
// hot path, from many goroutines at once: they must be safe for
// concurrent use and return quickly, handing anything slow to their own
// goroutine.
type Observer interface {
	// Published is called once per publish request, when it is answered.
	Published(Publish)
	// Committed is called once per group commit of ingest, when the store
	// has answered.
	Committed(Commit)
	// Claimed is called once per claim of due deliveries from the store.
	Claimed(Claim)
	// Attempted is called once per try of a delivery, when it is decided.
	Attempted(Attempt)
	// Settled is called once per batch of outcomes written to the store.
	Settled(Settle)
	// SourceRejected is called when a request to a source fails its
	// verification (wrong signature, too old, missing header).
	SourceRejected(SourceRejection)
}

// Publish is the outcome of one publish request.
type Publish struct {
	Events int // in the request
	// Type is the type of event i (0 <= i < Events), for an observer that
	// counts by type.
	Type    func(i int) string
	Latency time.Duration // from the call to the answer
	Err     error         // nil: committed and acknowledged
}

// Commit is one group commit: many publish requests in one transaction.
type Commit struct {
	Requests   int // publish requests it answers
	Events     int
	Deliveries int
	Latency    time.Duration // of the store's transaction
	Err        error
}

// Claim is one claim of due deliveries (retries, released or orphaned work).
type Claim struct {
	Deliveries int // claimed
	Latency    time.Duration
	Err        error
}

// Attempt is one try of a delivery.
type Attempt struct {
	SubscriptionID string
	Channel        string // the channel kind, e.g. "webhook"
	// Outcome is what the try decided: succeeded, failed (to be tried
	// again) or dead (its retry policy ran out).
	Outcome    event.DeliveryStatus
	StatusCode int // the receiver's answer, 0 when there was none
	Latency    time.Duration
}

// Settle is one batch of outcomes written to the store, in one transaction.
type Settle struct {
	Outcomes int
	Latency  time.Duration
	Err      error // the batch is retried after an error
}

// SourceRejection is a request to a source that failed verification.
type SourceRejection struct {
	SourceID string
	Reason   string // what failed, never the body or the secret
}

// Nop observes nothing.
type Nop struct{}

func (Nop) Published(Publish)              {}
func (Nop) Committed(Commit)               {}
func (Nop) Claimed(Claim)                  {}
func (Nop) Attempted(Attempt)              {}
func (Nop) Settled(Settle)                 {}
func (Nop) SourceRejected(SourceRejection) {}

// OrNop returns o, or Nop when o is nil, so that callers never check.
func OrNop(o Observer) Observer {
	if o == nil {
		return Nop{}
	}
	return o
}
