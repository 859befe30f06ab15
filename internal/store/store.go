// Package store defines where eventgate keeps its state. Implementations live
// in sub-packages (sqlite, postgres); storetest holds the behaviour suite that
// every implementation must pass, so they cannot drift apart.
package store

import (
	"context"
	"errors"
	"time"

	"github.com/eventgate/eventgate/internal/event"
	"github.com/eventgate/eventgate/internal/source"
)

// ErrNotFound means the id names nothing (or nothing the caller may see).
var ErrNotFound = errors.New("not found")

// ErrConflict means the request does not fit the current state.
var ErrConflict = errors.New("conflict")

// ErrStaleRouting means subscriptions changed after the events of an append
// were routed (see Append.RoutedAt): nothing was stored; route them again.
var ErrStaleRouting = errors.New("subscriptions changed since the events were routed")

// Store is eventgate's state. All methods are safe for concurrent use.
type Store interface {
	Subscriptions
	Events
	Deliveries
	Dispatch
	Pull
	Keys
	EventTypes
	Partners
	Usage
	Cluster
	Retention
	Sources
	// Close releases the store; pending writes have been committed by then.
	Close() error
}

// Subscriptions are created and changed through the API.
type Subscriptions interface {
	CreateSubscription(ctx context.Context, s *event.Subscription) error
	GetSubscription(ctx context.Context, id string) (*event.Subscription, error)
	ListSubscriptions(ctx context.Context, q SubscriptionQuery) ([]*event.Subscription, string, error)
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
	// DuplicateOf is set to the original event id instead, or IDTaken when
	// the id is another publisher's.
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
	// Envelopes reads the stored envelopes of events, by id; an id that is
	// not stored (deleted meanwhile) is missing from the map.
	Envelopes(ctx context.Context, eventIDs []string) (map[string][]byte, error)
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

// Cluster is how nodes sharing a store keep in step, besides delivery leases.
type Cluster interface {
	// Versions reads the counters of changes to what every node keeps in
	// memory. A node that reads them and then the data they count misses no
	// change: one made meanwhile moves the counter again.
	Versions(ctx context.Context) (Versions, error)
	// AcquireLeader takes or renews the named lease for owner until until,
	// if it is free, expired at now, or owner's already, and reports whether
	// owner holds it. Acquiring it until now gives it up.
	AcquireLeader(ctx context.Context, name, owner string, until, now time.Time) (bool, error)
}

// Versions count changes; each is bumped in the transaction that makes one.
type Versions struct {
	Subscriptions int64 // subscriptions created, changed or deleted
	EventTypes    int64 // definitions put or deleted, and types seen for the first time
}

// Retention forgets what is old. It deletes in batches of at most limit
// rows, so that no transaction grows large, and returns how many it deleted.
type Retention interface {
	// PruneIdempotencyKeys forgets keys stored at or before before.
	PruneIdempotencyKeys(ctx context.Context, before time.Time, limit int) (int, error)
	// DeleteOldEvents deletes events received before before whose deliveries
	// are all final (succeeded or dead), with those deliveries and their
	// attempts. An event some delivery still waits for is kept.
	DeleteOldEvents(ctx context.Context, before time.Time, limit int) (int, error)
}

// Keys are API keys, stored as hashes.
type Keys interface {
	CreateKey(ctx context.Context, k *Key) error
	// KeyByHash finds an unrevoked key by the SHA-256 of its secret.
	KeyByHash(ctx context.Context, hash []byte) (*Key, error)
	// ListKeys lists unrevoked keys, newest first; PartnerID and Scope narrow it.
	ListKeys(ctx context.Context, q KeyQuery) ([]*Key, string, error)
	// RevokeKey revokes an unrevoked key; partnerID, when set, must own it.
	RevokeKey(ctx context.Context, id, partnerID string, at time.Time) error
	CountKeys(ctx context.Context, scope string) (int, error)
	TouchKey(ctx context.Context, id string, at time.Time) error
}

// Partners are the external parties that integrate.
type Partners interface {
	CreatePartner(ctx context.Context, p *event.Partner) error
	GetPartner(ctx context.Context, id string) (*event.Partner, error)
	ListPartners(ctx context.Context, p Page) ([]*event.Partner, string, error)
	UpdatePartner(ctx context.Context, p *event.Partner) error
	// DeletePartner removes a partner, disables its subscriptions (parking
	// their deliveries) and revokes its keys, in one transaction.
	DeletePartner(ctx context.Context, id string, at time.Time) error
	// CountSubscriptions counts a partner's subscriptions, for its quota.
	CountSubscriptions(ctx context.Context, partnerID string) (int, error)
}

// Usage reports what partners consumed, for billing tiers and quotas.
type Usage interface {
	// PartnerUsage sums, per UTC day in [from, to), the attempts made for
	// a partner's subscriptions, those that delivered, and the bytes of the
	// events delivered. It covers what retention has kept.
	PartnerUsage(ctx context.Context, partnerID string, from, to time.Time) ([]UsageDay, error)
}

// UsageDay is one day of a partner's usage.
type UsageDay struct {
	Day       string `json:"day"` // YYYY-MM-DD, UTC
	Delivered int64  `json:"delivered"`
	Attempts  int64  `json:"attempts"`
	Bytes     int64  `json:"bytes"`
}

// Sources are inbound endpoints for providers' webhooks. Their verify
// secret is stored apart from the rest of the definition.
type Sources interface {
	CreateSource(ctx context.Context, s *source.Source) error
	GetSource(ctx context.Context, id string) (*source.Source, error)
	ListSources(ctx context.Context, p Page) ([]*source.Source, string, error)
	// UpdateSource replaces a source's name, definition and secrets; its
	// counts and creation time stay.
	UpdateSource(ctx context.Context, s *source.Source) error
	DeleteSource(ctx context.Context, id string) error
	// AddSourceCounts adds c to a source's counts.
	AddSourceCounts(ctx context.Context, id string, c source.Counts) error
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

// SubscriptionQuery filters a list of subscriptions.
type SubscriptionQuery struct {
	Page
	PartnerID string
}

// KeyQuery filters a list of keys.
type KeyQuery struct {
	Page
	PartnerID string
	Scope     string
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
	// PartnerID narrows to deliveries of that partner's subscriptions.
	PartnerID string
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
	// ClientID says the event id came from the client: a repeat of it by
	// the same Publisher is a duplicate, by another one IDTaken.
	ClientID bool
	// Publisher is who supplied a ClientID (an API key id); "" without one.
	Publisher  string
	Deliveries []*event.Delivery
	// DuplicateOf is set by the store when the event was stored before.
	DuplicateOf string
	// IDTaken is set by the store when ClientID's id belongs to an event
	// another publisher stored (or one stored before publishers were
	// recorded): nothing was stored.
	IDTaken bool
	// RoutedAt, when set, is the subscriptions version (Versions) the router
	// had loaded when it routed Deliveries. A store that nodes share fails
	// the append with ErrStaleRouting when the version moved past the lowest
	// RoutedAt of the entries, so that no event is committed without a
	// subscription change that another node acknowledged before the commit.
	// A store that one node owns sees every change through it and ignores it.
	RoutedAt *int64
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
	// Pull says the delivery waits in the store to be pulled: ingest hands
	// it over for the news, it is not leased to the node.
	Pull bool
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
	ID        string
	Name      string
	Scope     string
	Prefix    string // the first characters of the secret, to recognise it
	Hash      []byte
	PartnerID string // the partner a partner-scoped key acts for
	// PublishTypes are globs of the event types the key may publish;
	// empty means every type (admin keys) or none (other scopes).
	PublishTypes []string
	CreatedAt    time.Time
	LastUsedAt   *time.Time
	ExpiresAt    *time.Time
}
