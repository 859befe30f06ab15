package client

import (
	"context"
	"encoding/json"
	"iter"
	"net/http"
	"net/url"
	"time"
)

// ReplayInput re-delivers the archived events received in [From, To) that
// the subscription's filter lets through, narrowed by EventTypes and Pattern.
type ReplayInput struct {
	SubscriptionID string          `json:"subscription_id"`
	From           time.Time       `json:"from"`
	To             time.Time       `json:"to"`
	EventTypes     []string        `json:"event_types,omitempty"`
	Pattern        json.RawMessage `json:"pattern,omitempty"`
}

// Replay is a replay with its progress so far.
type Replay struct {
	ID             string          `json:"id"`
	SubscriptionID string          `json:"subscription_id"`
	From           time.Time       `json:"from"`
	To             time.Time       `json:"to"`
	EventTypes     []string        `json:"event_types,omitempty"`
	Pattern        json.RawMessage `json:"pattern,omitempty"`
	Status         string          `json:"status"` // running, done or cancelled
	// Matched events of the window so far; Created deliveries for them, of
	// which Delivered succeeded and Pending wait to be sent.
	Matched   int64     `json:"matched"`
	Created   int64     `json:"created"`
	Delivered int64     `json:"delivered"`
	Pending   int64     `json:"pending"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Running reports whether the replay is still making deliveries or waits
// for those it made.
func (r *Replay) Running() bool { return r.Status == "running" || r.Pending > 0 }

const replays = "/v1/replays"

// CreateReplay starts a replay in the background.
func (c *Client) CreateReplay(ctx context.Context, in ReplayInput) (*Replay, error) {
	var r Replay
	_, err := c.do(ctx, request{method: http.MethodPost, path: replays, body: in, want: http.StatusAccepted}, &r)
	return done(&r, err)
}

// ListReplays answers one page of replays, newest first.
func (c *Client) ListReplays(ctx context.Context, opts ListOptions) (*Page[Replay], error) {
	return list[Replay](ctx, c, replays, opts.query())
}

// AllReplays iterates over every replay, across pages.
func (c *Client) AllReplays(ctx context.Context, opts ListOptions) iter.Seq2[Replay, error] {
	return all(ctx, opts.After, func(ctx context.Context, after string) (*Page[Replay], error) {
		opts.After = after
		return c.ListReplays(ctx, opts)
	})
}

// GetReplay answers a replay with its progress.
func (c *Client) GetReplay(ctx context.Context, id string) (*Replay, error) {
	var r Replay
	_, err := c.do(ctx, request{method: http.MethodGet, path: pathOf(replays, id), want: http.StatusOK}, &r)
	return done(&r, err)
}

// CancelReplay stops a running replay; the deliveries it made stay.
func (c *Client) CancelReplay(ctx context.Context, id string) (*Replay, error) {
	var r Replay
	_, err := c.do(ctx, request{method: http.MethodDelete, path: pathOf(replays, id), want: http.StatusOK}, &r)
	return done(&r, err)
}

// AuditEntry is one change made through the control plane, with the
// target before and after it (secrets redacted; null when created or
// deleted).
type AuditEntry struct {
	ID             string          `json:"id"`
	Time           time.Time       `json:"time"`
	ActorKeyID     string          `json:"actor_key_id"`
	ActorRole      string          `json:"actor_role"`
	ActorPartnerID string          `json:"actor_partner_id,omitempty"`
	Action         string          `json:"action"` // e.g. subscription.update
	TargetID       string          `json:"target_id"`
	Before         json.RawMessage `json:"before"`
	After          json.RawMessage `json:"after"`
}

// AuditQuery narrows the audit log; empty fields match everything.
type AuditQuery struct {
	ListOptions
	Actor, Target, Action string
}

func (q AuditQuery) query() url.Values {
	v := q.ListOptions.query()
	for name, value := range map[string]string{"actor": q.Actor, "target": q.Target, "action": q.Action} {
		if value != "" {
			v.Set(name, value)
		}
	}
	return v
}

// ListAudit answers one page of the audit log, newest first (admin keys).
func (c *Client) ListAudit(ctx context.Context, q AuditQuery) (*Page[AuditEntry], error) {
	return list[AuditEntry](ctx, c, "/v1/audit", q.query())
}

// AllAudit iterates over the audit log, across pages.
func (c *Client) AllAudit(ctx context.Context, q AuditQuery) iter.Seq2[AuditEntry, error] {
	return all(ctx, q.After, func(ctx context.Context, after string) (*Page[AuditEntry], error) {
		q.After = after
		return c.ListAudit(ctx, q)
	})
}
