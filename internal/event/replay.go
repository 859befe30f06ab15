package event

import (
	"encoding/json"
	"time"
)

// ReplayStatus is where a replay stands.
type ReplayStatus string

const (
	ReplayRunning   ReplayStatus = "running"   // creating deliveries page by page
	ReplayDone      ReplayStatus = "done"      // every matching event has its delivery
	ReplayCancelled ReplayStatus = "cancelled" // stopped; deliveries made so far stay
)

// Replay re-delivers the archived events received in [From, To) that a
// subscription's filter, and the replay's own Filter, let through: each
// gets a new delivery of the same event, so receivers dedupe by webhook-id.
type Replay struct {
	ID             string    `json:"id"`
	SubscriptionID string    `json:"subscription_id"`
	From           time.Time `json:"from"`
	To             time.Time `json:"to"`
	// EventTypes and Pattern narrow the subscription's filter further.
	EventTypes []string        `json:"event_types,omitempty"`
	Pattern    json.RawMessage `json:"pattern,omitempty"`
	Status     ReplayStatus    `json:"status"`
	// Matched counts the events of the window that passed the filters so
	// far; Created the deliveries made for them; Delivered those that
	// succeeded; Pending those still waiting to be sent.
	Matched   int64     `json:"matched"`
	Created   int64     `json:"created"`
	Delivered int64     `json:"delivered"`
	Pending   int64     `json:"pending"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// Cursor is the store's position of the last event looked at, and
	// UpTo the last event stored when the replay was created: the scan
	// ends there, so a replay covers a fixed set of events.
	Cursor int64 `json:"-"`
	UpTo   int64 `json:"-"`
}

// Validate checks what a client chose.
func (r *Replay) Validate() error {
	var p Problems
	if r.SubscriptionID == "" {
		p.Add("subscription_id", "is required")
	}
	if r.From.IsZero() {
		p.Add("from", "is required: an RFC 3339 time, e.g. 2026-01-02T15:04:05Z")
	}
	if r.To.IsZero() {
		p.Add("to", "is required: an RFC 3339 time after from")
	} else if !r.To.After(r.From) {
		p.Add("to", "must be after from")
	}
	for _, t := range r.EventTypes {
		if !ValidTypeGlob(t) {
			p.Add("event_types", "must be event types or globs with '*', e.g. \"order.*\"")
			break
		}
	}
	return p.Err()
}

// Filter is the replay's own filter, beside the subscription's.
func (r *Replay) Filter() Filter { return Filter{EventTypes: r.EventTypes, Pattern: r.Pattern} }
