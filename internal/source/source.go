// Package source describes inbound endpoints for providers that can only
// send plain webhooks: how a request is verified (an HMAC of the body, or
// Standard Webhooks), where its event type and dedupe id come from, and the
// event it becomes. It does no I/O; the gateway stores, counts and publishes.
package source

import (
	"fmt"
	"time"

	"github.com/eventgate/eventgate/internal/event"
)

// Source is an inbound endpoint: POST /ingest/{id}.
type Source struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Verify Verify `json:"verify"`
	// EventType gives each event its type: a literal, a header or a body path.
	EventType Locator `json:"event_type"`
	// Dedupe, when set, names the id that makes a repeated request (within
	// the idempotency window) a duplicate instead of a second event.
	Dedupe    *Locator  `json:"dedupe,omitempty"`
	Counts    Counts    `json:"counts"`
	CreatedAt time.Time `json:"created_at"`
}

// Counts are what became of the requests a source received.
type Counts struct {
	Accepted   int64 `json:"accepted"`   // published as a new event
	Duplicates int64 `json:"duplicates"` // acknowledged as a repeat, nothing stored
	Rejected   int64 `json:"rejected"`   // failed verification or too old
	Invalid    int64 `json:"invalid"`    // verified, but no event could be made of it
}

// Plus returns the sum of two counts.
func (c Counts) Plus(o Counts) Counts {
	return Counts{c.Accepted + o.Accepted, c.Duplicates + o.Duplicates, c.Rejected + o.Rejected, c.Invalid + o.Invalid}
}

// MaxNameLength bounds a source's name.
const MaxNameLength = 200

// StandardWebhooksID is the header that Standard Webhooks senders keep
// stable across retries, so it is the natural dedupe id of such sources.
const StandardWebhooksID = "webhook-id"

// ApplyDefaults fills what a definition may leave out.
func (s *Source) ApplyDefaults() {
	s.Verify.applyDefaults()
	if s.Dedupe == nil && s.Verify.Type == StandardWebhooks {
		s.Dedupe = &Locator{Header: StandardWebhooksID}
	}
}

// Validate checks a definition, reporting every wrong field.
func (s *Source) Validate() error {
	var p event.Problems
	switch {
	case s.Name == "":
		p.Add("name", "is required: what the source is, e.g. \"GitHub org webhooks\"")
	case len(s.Name) > MaxNameLength:
		p.Add("name", fmt.Sprintf("is longer than %d characters", MaxNameLength))
	}
	s.Verify.validate(&p)
	s.EventType.validate(&p, "event_type", true)
	if s.Dedupe != nil {
		s.Dedupe.validate(&p, "dedupe", false)
	}
	return p.Err()
}
