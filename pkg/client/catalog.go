package client

import (
	"context"
	"encoding/json"
	"iter"
	"net/http"
	"time"
)

// EventTypeInput defines an event type. With a Schema (JSON Schema
// 2020-12 for the data), published events of the type are validated.
type EventTypeInput struct {
	Description string          `json:"description,omitempty"`
	Schema      json.RawMessage `json:"schema,omitempty"`
	Example     json.RawMessage `json:"example,omitempty"`
	Deprecated  bool            `json:"deprecated,omitempty"`
}

// EventType is an entry of the catalog, with the subscriptions that
// receive it.
type EventType struct {
	Name          string          `json:"name"`
	Description   string          `json:"description,omitempty"`
	Schema        json.RawMessage `json:"schema,omitempty"`
	Example       json.RawMessage `json:"example,omitempty"`
	Deprecated    bool            `json:"deprecated"`
	FirstSeen     *time.Time      `json:"first_seen,omitempty"`
	LastSeen      *time.Time      `json:"last_seen,omitempty"`
	Count         int64           `json:"count"`
	Subscriptions []string        `json:"subscriptions"`
	CreatedAt     time.Time       `json:"created_at"`
	UpdatedAt     time.Time       `json:"updated_at"`
}

const eventTypes = "/v1/event-types"

// ListEventTypes answers one page of the catalog, by name.
func (c *Client) ListEventTypes(ctx context.Context, opts ListOptions) (*Page[EventType], error) {
	return list[EventType](ctx, c, eventTypes, opts.query())
}

// AllEventTypes iterates over the whole catalog, across pages.
func (c *Client) AllEventTypes(ctx context.Context, opts ListOptions) iter.Seq2[EventType, error] {
	return all(ctx, opts.After, func(ctx context.Context, after string) (*Page[EventType], error) {
		opts.After = after
		return c.ListEventTypes(ctx, opts)
	})
}

// GetEventType answers one event type.
func (c *Client) GetEventType(ctx context.Context, name string) (*EventType, error) {
	var t EventType
	_, err := c.do(ctx, request{method: http.MethodGet, path: pathOf(eventTypes, name), want: http.StatusOK}, &t)
	return done(&t, err)
}

// PutEventType defines (or redefines) an event type.
func (c *Client) PutEventType(ctx context.Context, name string, in EventTypeInput) (*EventType, error) {
	var t EventType
	_, err := c.do(ctx, request{method: http.MethodPut, path: pathOf(eventTypes, name), body: in, want: http.StatusOK}, &t)
	return done(&t, err)
}

// DeleteEventType removes an event type that no subscription receives.
func (c *Client) DeleteEventType(ctx context.Context, name string) error {
	_, err := c.do(ctx, request{method: http.MethodDelete, path: pathOf(eventTypes, name), want: http.StatusNoContent}, nil)
	return err
}

// EventTypePatch changes some fields of an event type (a JSON merge
// patch): fields set replace the stored ones, the others are kept.
type EventTypePatch struct {
	Description *string         `json:"description,omitempty"`
	Schema      json.RawMessage `json:"schema,omitempty"` // json.RawMessage("null") removes it
	Example     json.RawMessage `json:"example,omitempty"`
	Deprecated  *bool           `json:"deprecated,omitempty"`
}

// PatchEventType changes some fields of an event type and answers it changed.
func (c *Client) PatchEventType(ctx context.Context, name string, patch EventTypePatch) (*EventType, error) {
	var t EventType
	header := http.Header{"Content-Type": {"application/merge-patch+json"}}
	_, err := c.do(ctx, request{method: http.MethodPatch, path: pathOf(eventTypes, name), header: header, body: patch, want: http.StatusOK}, &t)
	return done(&t, err)
}
