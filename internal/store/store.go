// Package store defines where eventgate keeps its state. Implementations live
// in sub-packages (sqlite, postgres); storetest holds the behaviour suite that
// every implementation must pass, so they cannot drift apart.
package store

import (
	"context"
	"errors"
	"time"

	"github.com/eventgate/eventgate/internal/event"
)

// ErrNotFound means the id names nothing (or nothing the caller may see).
var ErrNotFound = errors.New("not found")

// ErrConflict means the request does not fit the current state.
var ErrConflict = errors.New("conflict")

// Store is eventgate's state. All methods are safe for concurrent use.
type Store interface {
	Subscriptions
	Events
	Deliveries
	Dispatch
	Keys
	EventTypes
	// Close releases the store; pending writes have been committed by then.
	Close() error
}

// Subscriptions are created and changed through the API.
type Subscriptions interface {
	CreateSubscription(ctx context.Context, s *event.Subscription) error
	GetSubscription(ctx context.Context, id string) (*event.Subscription, error)
	ListSubscriptions(ctx context.Context, p Page) ([]*event.Subscription, string, error)
	// AllSubscriptions loads every subscription, for the in-memory router.
	AllSubscriptions(ctx context.Context) ([]*event.Subscription, error)
	// UpdateSubscription replaces a subscription. A status change parks or
	// unparks its waiting deliveries in the same transaction.
	UpdateSubscription(ctx context.Context, s *event.Subscription) error
	// DeleteSubscription removes a subscription with its deliveries and attempts.
	DeleteSubscription(ctx context.Context, id string) error
}

// Events are appended by ingest and read by the API.
type Events interface {
	// AppendEvents stores events and their deliveries in one durable
	// transaction (group commit). An entry whose idempotency key or
	// client-supplied id was already stored is not stored again: its
	// DuplicateOf is set to the original event id instead.
	AppendEvents(ctx context.Context, lease Lease, entries []*Append) error
	GetEvent(ctx context.Context, id string) (*event.Event, error)
	ListEvents(ctx context.Context, q EventQuery) ([]*event.Event, string, error)
}

// Deliveries are inspected and recovered through the API.
type Deliveries interface {
	GetDelivery(ctx context.Context, id string) (*event.Delivery, error)
	ListDeliveries(ctx context.Context, q DeliveryQuery) ([]*event.Delivery, string, error)
	ListAttempts(ctx context.Context, deliveryID string) ([]*event.Attempt, error)
	// RetryDelivery starts a new retry cycle for one delivery that is not pending.
	// It returns ErrConflict for a delivery that is already waiting to be sent.
	RetryDelivery(ctx context.Context, id string, now time.Time) (*event.Delivery, error)
	// Redrive starts a new retry cycle for every dead delivery of a subscription.
	Redrive(ctx context.Context, subscriptionID string, now time.Time) (int, error)
}

// Dispatch is the delivery engine's side: claim work, settle it.
type Dispatch interface {
	// ClaimDue leases up to limit deliveries that are due and not leased.
	ClaimDue(ctx context.Context, lease Lease, now time.Time, limit int) ([]*Job, error)
	// ExtendLeases pushes out the expiry of every lease the owner holds.
	ExtendLeases(ctx context.Context, lease Lease) error
	// ReleaseAllLeases drops every lease and makes those deliveries due at
	// now (parked if their subscription is not active). Only for a store that
	// one node owns, at start, so a crash is followed by no lease wait.
	ReleaseAllLeases(ctx context.Context, now time.Time) error
	// Settle records outcomes of attempts and releases leases, in one transaction.
	Settle(ctx context.Context, owner string, outcomes []*Outcome) error
}

// EventTypes is the event type catalog. AppendEvents keeps its statistics
// (first and last seen, count) and registers types seen for the first time.
type EventTypes interface {
	// PutEventType creates or replaces a type's definition (description,
	// schema, example, deprecated); the statistics are kept.
	PutEventType(ctx context.Context, t *event.EventType) error
	GetEventType(ctx context.Context, name string) (*event.EventType, error)
	// ListEventTypes lists by name, ascending.
	ListEventTypes(ctx context.Context, p Page) ([]*event.EventType, string, error)
	// AllEventTypes loads the whole catalog, for the in-memory checks.
	AllEventTypes(ctx context.Context) ([]*event.EventType, error)
	DeleteEventType(ctx context.Context, name string) error
}

// Keys are API keys, stored as hashes.
type Keys interface {
	CreateKey(ctx context.Context, k *Key) error
	// KeyByHash finds an unrevoked key by the SHA-256 of its secret.
	KeyByHash(ctx context.Context, hash []byte) (*Key, error)
	CountKeys(ctx context.Context, scope string) (int, error)
	TouchKey(ctx context.Context, id string, at time.Time) error
}

// Page asks for one page of a list, newest first.
type Page struct {
	Limit int    // how many at most; the store caps it at MaxLimit
	After string // an opaque cursor from the previous page, or ""
}

// Limits of list pages.
const (
	DefaultLimit = 50
	MaxLimit     = 500
)

// N returns the page size to use.
func (p Page) N() int {
	switch {
	case p.Limit <= 0:
		return DefaultLimit
	case p.Limit > MaxLimit:
		return MaxLimit
	}
	return p.Limit
}

// EventQuery filters a list of events.
type EventQuery struct {
	Page
	Type string
}

// DeliveryQuery filters a list of deliveries.
type DeliveryQuery struct {
	Page
	SubscriptionID string
	EventID        string
	Status         event.DeliveryStatus
}

// Lease is a node's claim on deliveries until a time.
type Lease struct {
	Owner string
	Until time.Time
}

// Append is one event to store with the deliveries routing gave it.
type Append struct {
	Event    *event.Event
	Envelope []byte
	// IdempotencyKey, when set, makes a repeat within IdempotencyWindow a duplicate.
	IdempotencyKey string
	// ClientID says the event id came from the client, so a repeat of it is a duplicate.
	ClientID   bool
	Deliveries []*event.Delivery
	// DuplicateOf is set by the store when the event was stored before.
	DuplicateOf string
}

// IdempotencyWindow is how long an Idempotency-Key is remembered.
const IdempotencyWindow = 24 * time.Hour

// Job is a leased delivery with what is needed to send it.
type Job struct {
	DeliveryID     string
	EventID        string
	SubscriptionID string
	Envelope       []byte
	// Attempts so far, in all cycles; CycleAttempts and CycleStart are the
	// current retry cycle's, which a retry or redrive starts anew.
	Attempts      int
	CycleAttempts int
	CycleStart    time.Time
}

// Outcome settles a job: either an attempt was made (Attempt != nil) and the
// delivery moves to Status, or the job is released untried (Attempt == nil).
type Outcome struct {
	DeliveryID string
	Attempt    *event.Attempt
	Status     event.DeliveryStatus
	// NextAttemptAt is when a failed delivery is due again.
	NextAttemptAt time.Time
	// Now is when a released delivery becomes due again.
	Now time.Time
}

// Key is an API key as stored: never the secret, only its hash.
type Key struct {
	ID         string
	Name       string
	Scope      string
	Prefix     string // the first characters of the secret, to recognise it
	Hash       []byte
	CreatedAt  time.Time
	LastUsedAt *time.Time
	ExpiresAt  *time.Time
}
