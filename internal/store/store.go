// Package store defines where eventgate keeps its state. Implementations live
// in sub-packages (sqlite, postgres); storetest holds the behaviour suite that
// every implementation must pass, so they cannot drift apart.
package store

import (
	"context"
	"encoding/json"
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
	Audit
	Replays
	Health
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

// Health is what readiness checks and metrics ask of the store; both
// answer from an index, so that asking every few seconds costs little.
type Health interface {
	// Ready checks that the store answers and holds the schema this build
	// migrates to.
	Ready(ctx context.Context) error
	// DeliveryStats counts the deliveries waiting (pending or failed, parked
	// ones included) and dead, and finds the oldest waiting one.
	DeliveryStats(ctx context.Context) (DeliveryStats, error)
}

// DeliveryStats is a count of the deliveries that are not done.
type DeliveryStats struct {
	Waiting int64
	Dead    int64
	// OldestWaiting is when the oldest waiting delivery was created; zero
	// when none waits.
	OldestWaiting time.Time
}

// Add counts n deliveries of status, the oldest created at oldest.
func (s *DeliveryStats) Add(status string, n int64, oldest time.Time) {
	switch event.DeliveryStatus(status) {
	case event.Dead:
		s.Dead += n
	case event.Pending, event.Failed:
		s.Waiting += n
		if s.OldestWaiting.IsZero() || oldest.Before(s.OldestWaiting) {
			s.OldestWaiting = oldest
		}
	}
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

// Audit is the log of changes made through the control plane: who made
// which, and what the target was before and after.
type Audit interface {
	AppendAudit(ctx context.Context, e *AuditEntry) error
	// ListAudit lists entries newest first; the query's fields narrow it.
	ListAudit(ctx context.Context, q AuditQuery) ([]*AuditEntry, string, error)
	// PruneAudit deletes entries made before before.
	PruneAudit(ctx context.Context, before time.Time, limit int) (int, error)
}

// AuditEntry is one change: who (the key and its role), what (the action
// and its target), and the target before and after as JSON with secrets
// redacted (null when it did not exist before, or no longer after).
type AuditEntry struct {
	ID             string          `json:"id"`
	Time           time.Time       `json:"time"`
	ActorKeyID     string          `json:"actor_key_id"`
	ActorRole      string          `json:"actor_role"`
	ActorPartnerID string          `json:"actor_partner_id,omitempty"`
	Action         string          `json:"action"`
	TargetID       string          `json:"target_id"`
	Before         json.RawMessage `json:"before"`
	After          json.RawMessage `json:"after"`
}

// Replays re-deliver archived events. A replay walks the events it covers
// page by page in the order they were stored; each page's deliveries and
// the replay's new position commit together, so a replay resumes after a
// restart without skipping or repeating an event.
type Replays interface {
	// CreateReplay stores a running replay; it covers the events stored
	// until now (the store sets UpTo).
	CreateReplay(ctx context.Context, r *event.Replay) error
	// GetReplay reads a replay with its deliveries' counts.
	GetReplay(ctx context.Context, id string) (*event.Replay, error)
	// ListReplays lists newest first; PartnerID narrows to its subscriptions'.
	ListReplays(ctx context.Context, q ReplayQuery) ([]*event.Replay, string, error)
	// RunningReplays lists the replays still running, to resume them.
	RunningReplays(ctx context.Context) ([]*event.Replay, error)
	// ReplayPage reads up to limit events after r's cursor that r covers
	// and that were received within its window.
	ReplayPage(ctx context.Context, r *event.Replay, limit int) ([]Archived, error)
	// AdvanceReplay stores deliveries (pending, or parked while the
	// subscription is not active) for r and moves its cursor to cursor,
	// adding matched; done finishes it. It returns ErrConflict, storing
	// nothing, unless r is still running at the cursor it was read with.
	AdvanceReplay(ctx context.Context, r *event.Replay, cursor int64, matched int, deliveries []*event.Delivery, done bool, now time.Time) error
	// CancelReplay stops a running replay; ErrConflict if it is not running.
	CancelReplay(ctx context.Context, id string, now time.Time) error
}

// Archived is an archived event as a replay reads it.
type Archived struct {
	Seq      int64 // the store's position, for the replay's cursor
	ID, Type string
	Envelope []byte
}

// ReplayQuery filters a list of replays.
type ReplayQuery struct {
	Page
	PartnerID string
}

// AuditQuery filters a list of audit entries.
type AuditQuery struct {
	Page
	ActorKeyID string
	TargetID   string
	Action     string
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
	Publisher string
	// TraceParent is the W3C traceparent of the publish, stored beside
	// the envelope for the deliveries' traces; "" without tracing.
	TraceParent string
	Deliveries  []*event.Delivery
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
	TraceParent    string // the event's (Append.TraceParent)
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
// Its JSON (the audit log's) leaves the hash out.
type Key struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Scope     string `json:"scope"`
	Prefix    string `json:"prefix"` // the first characters of the secret, to recognise it
	Hash      []byte `json:"-"`
	PartnerID string `json:"partner_id,omitempty"` // the partner a partner-scoped key acts for
	// PublishTypes are globs of the event types the key may publish;
	// empty means every type (admin keys) or none (other scopes).
	PublishTypes []string   `json:"publish_types,omitempty"`
	CreatedAt    time.Time  `json:"created_at"`
	LastUsedAt   *time.Time `json:"last_used_at,omitempty"`
	ExpiresAt    *time.Time `json:"expires_at,omitempty"`
}
