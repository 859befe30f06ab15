package client

import (
	"context"
	"iter"
	"net/http"
	"net/url"
	"time"
)

// PartnerInput onboards or changes a partner: in a change, fields set
// replace the stored ones.
type PartnerInput struct {
	Name           string            `json:"name,omitempty"`
	Environments   []string          `json:"environments,omitempty"` // default prod, test
	Metadata       map[string]string `json:"metadata,omitempty"`
	Quotas         *Quotas           `json:"quotas,omitempty"`
	SubscribeTypes []string          `json:"subscribe_types,omitempty"` // globs of the types it may receive
}

// Quotas limit a partner; 0 is unlimited.
type Quotas struct {
	MaxSubscriptions  int   `json:"max_subscriptions"`
	MonthlyDeliveries int64 `json:"monthly_deliveries"`
}

// Partner is an external party with its own subscriptions and keys.
type Partner struct {
	ID             string            `json:"id"`
	Name           string            `json:"name"`
	Environments   []string          `json:"environments"`
	Metadata       map[string]string `json:"metadata,omitempty"`
	Quotas         Quotas            `json:"quotas"`
	SubscribeTypes []string          `json:"subscribe_types"`
	CreatedAt      time.Time         `json:"created_at"`
	UpdatedAt      time.Time         `json:"updated_at"`
}

// Usage is a partner's usage per UTC day.
type Usage struct {
	PartnerID string     `json:"partner_id"`
	From      time.Time  `json:"from"`
	To        time.Time  `json:"to"`
	Days      []UsageDay `json:"days"`
	Month     struct {
		Delivered int64 `json:"delivered"`
		Quota     int64 `json:"quota"` // 0: unlimited
	} `json:"month"`
}

// UsageDay is one day of a partner's usage.
type UsageDay struct {
	Day       string `json:"day"` // YYYY-MM-DD
	Delivered int64  `json:"delivered"`
	Attempts  int64  `json:"attempts"`
	Bytes     int64  `json:"bytes"`
}

// KeyInput creates an API key. Scope (admin, publisher or partner) and
// Name are required; PartnerID too for partner keys.
type KeyInput struct {
	Scope        string    `json:"scope"`
	Name         string    `json:"name"`
	PartnerID    string    `json:"partner_id,omitempty"`
	PublishTypes []string  `json:"publish_types,omitempty"`
	ExpiresAt    time.Time `json:"expires_at,omitzero"`
}

// Key is an API key. Key, the secret, is set only in the answer to
// creating it.
type Key struct {
	ID           string     `json:"id"`
	Name         string     `json:"name"`
	Scope        string     `json:"scope"`
	Prefix       string     `json:"prefix"`
	PartnerID    string     `json:"partner_id,omitempty"`
	PublishTypes []string   `json:"publish_types,omitempty"`
	CreatedAt    time.Time  `json:"created_at"`
	LastUsedAt   *time.Time `json:"last_used_at,omitempty"`
	ExpiresAt    *time.Time `json:"expires_at,omitempty"`
	Key          string     `json:"key,omitempty"`
}

// KeyQuery selects keys; PartnerID empty selects all.
type KeyQuery struct {
	PartnerID string
	ListOptions
}

const partners, keys = "/v1/partners", "/v1/keys"

// CreatePartner onboards a partner.
func (c *Client) CreatePartner(ctx context.Context, in PartnerInput) (*Partner, error) {
	return c.partner(ctx, http.MethodPost, partners, in, http.StatusCreated)
}

// ListPartners answers one page of partners, newest first.
func (c *Client) ListPartners(ctx context.Context, opts ListOptions) (*Page[Partner], error) {
	return list[Partner](ctx, c, partners, opts.query())
}

// AllPartners iterates over every partner, across pages.
func (c *Client) AllPartners(ctx context.Context, opts ListOptions) iter.Seq2[Partner, error] {
	return all(ctx, opts.After, func(ctx context.Context, after string) (*Page[Partner], error) {
		opts.After = after
		return c.ListPartners(ctx, opts)
	})
}

// GetPartner answers one partner.
func (c *Client) GetPartner(ctx context.Context, id string) (*Partner, error) {
	return c.partner(ctx, http.MethodGet, pathOf(partners, id), nil, http.StatusOK)
}

// UpdatePartner changes a partner and answers it changed.
func (c *Client) UpdatePartner(ctx context.Context, id string, in PartnerInput) (*Partner, error) {
	return c.partner(ctx, http.MethodPatch, pathOf(partners, id), in, http.StatusOK)
}

// DeletePartner deletes a partner: its subscriptions are disabled and its
// keys revoked.
func (c *Client) DeletePartner(ctx context.Context, id string) error {
	_, err := c.do(ctx, request{method: http.MethodDelete, path: pathOf(partners, id), want: http.StatusNoContent}, nil)
	return err
}

// PartnerUsage answers a partner's usage per day from from (inclusive) to
// to (exclusive); zero times take the defaults, this month.
func (c *Client) PartnerUsage(ctx context.Context, id string, from, to time.Time) (*Usage, error) {
	q := url.Values{}
	if !from.IsZero() {
		q.Set("from", from.Format(time.RFC3339))
	}
	if !to.IsZero() {
		q.Set("to", to.Format(time.RFC3339))
	}
	var u Usage
	_, err := c.do(ctx, request{method: http.MethodGet, path: pathOf(partners, id) + "/usage", query: q, want: http.StatusOK}, &u)
	return done(&u, err)
}

func (c *Client) partner(ctx context.Context, method, path string, body any, want int) (*Partner, error) {
	var p Partner
	_, err := c.do(ctx, request{method: method, path: path, body: body, want: want}, &p)
	return done(&p, err)
}

// CreateKey creates an API key; the answer's Key is shown only this once.
func (c *Client) CreateKey(ctx context.Context, in KeyInput) (*Key, error) {
	var k Key
	_, err := c.do(ctx, request{method: http.MethodPost, path: keys, body: in, want: http.StatusCreated}, &k)
	return done(&k, err)
}

// ListKeys answers one page of unrevoked keys (never their secrets).
func (c *Client) ListKeys(ctx context.Context, q KeyQuery) (*Page[Key], error) {
	v := q.query()
	setIf(v, "partner_id", q.PartnerID)
	return list[Key](ctx, c, keys, v)
}

// AllKeys iterates over every unrevoked key q selects, across pages.
func (c *Client) AllKeys(ctx context.Context, q KeyQuery) iter.Seq2[Key, error] {
	return all(ctx, q.After, func(ctx context.Context, after string) (*Page[Key], error) {
		q.After = after
		return c.ListKeys(ctx, q)
	})
}

// RevokeKey revokes a key.
func (c *Client) RevokeKey(ctx context.Context, id string) error {
	_, err := c.do(ctx, request{method: http.MethodDelete, path: pathOf(keys, id), want: http.StatusNoContent}, nil)
	return err
}
