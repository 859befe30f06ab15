package store

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"strings"
	"time"

	"github.com/eventgate/eventgate/internal/event"
)

// Pull is the pull channel's side. Deliveries of a pull subscription wait
// in the store (due_at is when they are visible) until a consumer leases
// them; a lease is held by a random token, so a receipt (delivery id and
// token) settles only the lease it was handed out with.
type Pull interface {
	// LeasePull leases up to q.Limit visible deliveries of a pull
	// subscription, oldest first, until q.Until. A visible delivery whose
	// earlier lease ran out unsettled has that lease recorded first as a
	// failed attempt; when it spends q.Policy the delivery is dead instead
	// of leased. Two callers never lease the same delivery at once.
	LeasePull(ctx context.Context, q PullLease) ([]*PullMessage, error)
	// AckPull marks the deliveries whose receipts still hold their lease
	// succeeded, recording an attempt, and reports per receipt whether it did.
	AckPull(ctx context.Context, subscriptionID string, receipts []Receipt, now time.Time) ([]bool, error)
	// NackPull ends the leases of the receipts that still hold theirs as
	// failed attempts: visible again at q.VisibleAt, or dead when that
	// spends q.Policy. It reports per receipt whether it held its lease.
	NackPull(ctx context.Context, q PullNack) ([]bool, error)
}

// PullNotifier is a store shared by nodes that tells each of them when
// pull messages were committed through any, so that long polls wake at once.
type PullNotifier interface {
	// ListenPull calls arrived with the subscription of each commit of pull
	// messages until ctx is done. It returns errors.ErrUnsupported when the
	// store cannot tell.
	ListenPull(ctx context.Context, arrived func(subscriptionID string)) error
}

// PullLease asks for messages of one pull subscription.
type PullLease struct {
	SubscriptionID string
	Limit          int
	Now, Until     time.Time
	Policy         event.RetryPolicy
	// Token, when set, is the lease's (a stream's, from NewLeaseToken);
	// else the store makes one. The messages of one lease share it.
	Token string
}

// PullNack hands leased messages back.
type PullNack struct {
	SubscriptionID string
	Receipts       []Receipt
	Now, VisibleAt time.Time
	Policy         event.RetryPolicy
}

// PullMessage is a leased delivery: Job.Attempts counts the tries before
// this one, which is Attempts+1.
type PullMessage struct {
	Job
	Receipt Receipt
}

// Receipt names one lease of one delivery.
type Receipt struct {
	DeliveryID string
	Token      string
}

// DistinctReceipts returns receipts without their repeats, in order.
func DistinctReceipts(receipts []Receipt) []Receipt {
	seen := make(map[Receipt]bool, len(receipts))
	out := make([]Receipt, 0, len(receipts))
	for _, r := range receipts {
		if !seen[r] {
			seen[r] = true
			out = append(out, r)
		}
	}
	return out
}

// MarkSettled sets ok for the first receipt equal to done that is not set:
// a receipt repeated in one ack or nack is settled once, and answered
// stale the other times, on every store.
func MarkSettled(receipts []Receipt, ok []bool, done Receipt) {
	for i, r := range receipts {
		if r == done && !ok[i] {
			ok[i] = true
			return
		}
	}
}

// NewLeaseToken makes an unguessable lease token.
func NewLeaseToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return pullTokenPrefix + base64.RawURLEncoding.EncodeToString(b)
}

// pullTokenPrefix marks a lease owner as a consumer's token, apart from
// the node names that own the dispatcher's leases.
const pullTokenPrefix = "pull-"

// String is the receipt as consumers see it.
func (r Receipt) String() string { return r.DeliveryID + "." + r.Token }

// ParseReceipt reads a receipt that String wrote.
func ParseReceipt(s string) (Receipt, bool) {
	id, token, ok := strings.Cut(s, ".")
	if !ok || !strings.HasPrefix(id, event.PrefixDelivery) || len(token) != len(pullTokenPrefix)+22 || !strings.HasPrefix(token, pullTokenPrefix) {
		return Receipt{}, false
	}
	return Receipt{DeliveryID: id, Token: token}, true
}

// Pull attempts' errors, as the delivery log shows them.
const (
	PullExpired = "not acknowledged within the visibility timeout"
	PullNacked  = "the consumer handed it back (nack)"
)

// PullFailure is the state a pull delivery takes when one of its tries
// fails (a lease ran out, or a nack) and cycleAttempts tries of its retry
// cycle, this one included, have failed: dead once the policy is spent.
func PullFailure(p event.RetryPolicy, cycleAttempts int, cycleStart, now time.Time) event.DeliveryStatus {
	if (p.MaxAttempts > 0 && cycleAttempts >= p.MaxAttempts) || !now.Before(cycleStart.Add(p.MaxAge.D())) {
		return event.Dead
	}
	return event.Failed
}
