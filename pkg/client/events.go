package client

import (
	"context"
	"encoding/json"
	"iter"
	"net/http"
	"net/url"
	"time"
)

// EventInput is an event to publish. Type and Data are required.
type EventInput struct {
	// ID is optional: a repeat of a stored id is a duplicate, answered with it.
	ID      string    `json:"id,omitempty"`
	Type    string    `json:"type"`
	Source  string    `json:"source,omitempty"`
	Subject string    `json:"subject,omitempty"`
	Time    time.Time `json:"time,omitzero"`
	// Severity is one of debug, info, warning, error, critical.
	Severity string `json:"severity,omitempty"`
	// Attributes are flat: each value a string, a number or a boolean.
	Attributes map[string]any  `json:"attributes,omitempty"`
	Data       json.RawMessage `json:"data"`
}

// Event is a stored event.
type Event struct {
	ID         string          `json:"id"`
	Type       string          `json:"type"`
	Source     string          `json:"source,omitempty"`
	Subject    string          `json:"subject,omitempty"`
	Time       time.Time       `json:"time"`
	Severity   string          `json:"severity,omitempty"`
	Attributes map[string]any  `json:"attributes,omitempty"`
	Data       json.RawMessage `json:"data"`
}

// EventWithDeliveries is an event with a summary of its deliveries.
type EventWithDeliveries struct {
	Event
	Deliveries []DeliverySummary `json:"deliveries"`
}

// DeliverySummary is a delivery as an event lists it.
type DeliverySummary struct {
	ID             string `json:"id"`
	SubscriptionID string `json:"subscription_id"`
	Status         string `json:"status"`
	AttemptCount   int    `json:"attempt_count"`
}

// Published is what a publish answered.
type Published struct {
	ID string `json:"id"`
	// Replayed: the event repeated one already stored (its id, or the
	// Idempotency-Key), and nothing was stored.
	Replayed bool `json:"-"`
}

// BatchResult is the answer for one entry of a batch: its id, or Error.
type BatchResult struct {
	ID    string `json:"id,omitempty"`
	Error *Error `json:"error,omitempty"`
}

// Publish publishes one event; the answer comes once it and its deliveries
// are durably stored. idempotencyKey, if not empty, makes a repeat within
// 24 h answer with the original id and store nothing.
func (c *Client) Publish(ctx context.Context, ev EventInput, idempotencyKey string) (*Published, error) {
	var p Published
	h, err := c.do(ctx, request{method: http.MethodPost, path: "/v1/events", header: idempotency(idempotencyKey), body: ev, want: http.StatusAccepted}, &p)
	if err != nil {
		return nil, err
	}
	p.Replayed = h.Get("Idempotent-Replayed") == "true"
	return &p, nil
}

// PublishBatch publishes up to 500 events at once. Valid entries are
// stored even when others are refused; the results are in request order.
func (c *Client) PublishBatch(ctx context.Context, events []EventInput, idempotencyKey string) ([]BatchResult, error) {
	var out struct {
		Results []BatchResult `json:"results"`
	}
	body := struct {
		Events []EventInput `json:"events"`
	}{events}
	if _, err := c.do(ctx, request{method: http.MethodPost, path: "/v1/events/batch", header: idempotency(idempotencyKey), body: body, want: http.StatusAccepted}, &out); err != nil {
		return nil, err
	}
	return out.Results, nil
}

func idempotency(key string) http.Header {
	if key == "" {
		return nil
	}
	return http.Header{"Idempotency-Key": {key}}
}

// EventQuery selects events (admin keys only).
type EventQuery struct {
	Type string // only events of this exact type
	ListOptions
}

// ListEvents answers one page of events, newest first.
func (c *Client) ListEvents(ctx context.Context, q EventQuery) (*Page[Event], error) {
	v := q.query()
	setIf(v, "type", q.Type)
	return list[Event](ctx, c, "/v1/events", v)
}

// AllEvents iterates over every event q selects, across pages.
func (c *Client) AllEvents(ctx context.Context, q EventQuery) iter.Seq2[Event, error] {
	return all(ctx, q.After, func(ctx context.Context, after string) (*Page[Event], error) {
		q.After = after
		return c.ListEvents(ctx, q)
	})
}

// GetEvent answers an event with a summary of its deliveries.
func (c *Client) GetEvent(ctx context.Context, id string) (*EventWithDeliveries, error) {
	var ev EventWithDeliveries
	_, err := c.do(ctx, request{method: http.MethodGet, path: pathOf("/v1/events", id), want: http.StatusOK}, &ev)
	return done(&ev, err)
}

func setIf(v url.Values, name, value string) {
	if value != "" {
		v.Set(name, value)
	}
}

// done answers v, or nil with err.
func done[T any](v *T, err error) (*T, error) {
	if err != nil {
		return nil, err
	}
	return v, nil
}
