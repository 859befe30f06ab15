package client

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"net/http"
	"time"
)

// Duration is a time.Duration written as a Go duration string ("5s", "36h").
type Duration time.Duration

func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

func (d *Duration) UnmarshalText(b []byte) error {
	parsed, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("duration %q: %w", b, err)
	}
	*d = Duration(parsed)
	return nil
}

// Channel is where a subscription's deliveries go: a webhook, or a pull
// queue the partner drains.
type Channel struct {
	Type string `json:"type"` // "webhook" or "pull"

	// A webhook's settings.
	URL     string            `json:"url,omitempty"`
	Headers map[string]string `json:"headers,omitempty"`
	Timeout Duration          `json:"timeout,omitzero"` // default 15s, at most 2m
	Auth    *ChannelAuth      `json:"auth,omitempty"`
	// ClientCert is the client certificate for mutual TLS.
	ClientCert *ClientCert `json:"client_cert,omitempty"`

	// VisibilityTimeout is how long a pulled message stays invisible to
	// other pulls (pull channels; default 30s, 1s to 12h).
	VisibilityTimeout Duration `json:"visibility_timeout,omitzero"`
}

// ChannelAuth is how the destination authenticates eventgate; Type says
// which fields apply: basic (Username, Password), api_key (Header, Value),
// bearer (Token) or oauth2_client_credentials (TokenURL, ClientID,
// ClientSecret, Scope). Secrets are answered as "********"; sending that
// back in a change keeps the stored secret.
type ChannelAuth struct {
	Type         string `json:"type"`
	Username     string `json:"username,omitempty"`
	Password     string `json:"password,omitempty"`
	Header       string `json:"header,omitempty"`
	Value        string `json:"value,omitempty"`
	Token        string `json:"token,omitempty"`
	TokenURL     string `json:"token_url,omitempty"`
	ClientID     string `json:"client_id,omitempty"`
	ClientSecret string `json:"client_secret,omitempty"`
	Scope        string `json:"scope,omitempty"`
}

// ClientCert is a PEM certificate (with intermediates) and its key.
type ClientCert struct {
	CertPEM string `json:"cert_pem"`
	KeyPEM  string `json:"key_pem"`
}

// Filter selects the events a subscription receives: both parts must pass.
type Filter struct {
	EventTypes []string        `json:"event_types,omitempty"` // globs such as "order.*"; none: every type
	Pattern    json.RawMessage `json:"pattern,omitempty"`     // an EventBridge event pattern
}

// RetryPolicy bounds retries; zero fields take the gateway's defaults.
type RetryPolicy struct {
	MaxAttempts int      `json:"max_attempts,omitempty"`
	MaxAge      Duration `json:"max_age,omitzero"`
	MinBackoff  Duration `json:"min_backoff,omitzero"`
	MaxBackoff  Duration `json:"max_backoff,omitzero"`
}

// RateLimit caps deliveries per second; {} in a change removes it.
type RateLimit struct {
	PerSecond float64 `json:"per_second,omitempty"`
}

// Transform reshapes the payload like EventBridge's input transformer;
// {} in a change removes it.
type Transform struct {
	InputPaths map[string]string `json:"input_paths,omitempty"`
	Template   string            `json:"template,omitempty"`
}

// SubscriptionInput creates a subscription. Name and Channel are required.
type SubscriptionInput struct {
	Name           string       `json:"name"`
	PartnerID      string       `json:"partner_id,omitempty"`
	Environment    string       `json:"environment,omitempty"`
	Channel        Channel      `json:"channel"`
	Filter         *Filter      `json:"filter,omitempty"`
	RetryPolicy    *RetryPolicy `json:"retry_policy,omitempty"`
	MaxConcurrency int          `json:"max_concurrency,omitempty"`
	RateLimit      *RateLimit   `json:"rate_limit,omitempty"`
	Transform      *Transform   `json:"transform,omitempty"`
	PayloadFormat  string       `json:"payload_format,omitempty"` // envelope, data or cloudevents
}

// SubscriptionPatch changes a subscription: fields set replace the stored
// ones; Channel, Filter and RetryPolicy are replaced whole.
type SubscriptionPatch struct {
	Name           *string      `json:"name,omitempty"`
	Environment    *string      `json:"environment,omitempty"`
	Channel        *Channel     `json:"channel,omitempty"`
	Filter         *Filter      `json:"filter,omitempty"`
	RetryPolicy    *RetryPolicy `json:"retry_policy,omitempty"`
	MaxConcurrency *int         `json:"max_concurrency,omitempty"`
	RateLimit      *RateLimit   `json:"rate_limit,omitempty"`
	Transform      *Transform   `json:"transform,omitempty"`
	PayloadFormat  *string      `json:"payload_format,omitempty"`
}

// Subscription is a stored subscription. Secret is set only in the
// answers to creating one and to rotating its secret.
type Subscription struct {
	ID             string      `json:"id"`
	Name           string      `json:"name"`
	PartnerID      string      `json:"partner_id,omitempty"`
	Environment    string      `json:"environment,omitempty"`
	Status         string      `json:"status"` // active, paused or disabled
	StatusReason   string      `json:"status_reason,omitempty"`
	Channel        Channel     `json:"channel"`
	Filter         Filter      `json:"filter"`
	RetryPolicy    RetryPolicy `json:"retry_policy"`
	MaxConcurrency int         `json:"max_concurrency"`
	RateLimit      *RateLimit  `json:"rate_limit,omitempty"`
	Transform      *Transform  `json:"transform,omitempty"`
	PayloadFormat  string      `json:"payload_format,omitempty"`
	CreatedAt      time.Time   `json:"created_at"`
	UpdatedAt      time.Time   `json:"updated_at"`
	Secret         string      `json:"secret,omitempty"`
}

const subscriptions = "/v1/subscriptions"

// CreateSubscription creates a subscription; the answer carries its
// signing secret, shown only this once.
func (c *Client) CreateSubscription(ctx context.Context, in SubscriptionInput) (*Subscription, error) {
	return c.subscription(ctx, http.MethodPost, subscriptions, in, http.StatusCreated)
}

// ListSubscriptions answers one page of subscriptions, newest first.
func (c *Client) ListSubscriptions(ctx context.Context, opts ListOptions) (*Page[Subscription], error) {
	return list[Subscription](ctx, c, subscriptions, opts.query())
}

// AllSubscriptions iterates over every subscription, across pages.
func (c *Client) AllSubscriptions(ctx context.Context, opts ListOptions) iter.Seq2[Subscription, error] {
	return all(ctx, opts.After, func(ctx context.Context, after string) (*Page[Subscription], error) {
		opts.After = after
		return c.ListSubscriptions(ctx, opts)
	})
}

// GetSubscription answers one subscription.
func (c *Client) GetSubscription(ctx context.Context, id string) (*Subscription, error) {
	return c.subscription(ctx, http.MethodGet, pathOf(subscriptions, id), nil, http.StatusOK)
}

// UpdateSubscription changes a subscription and answers it changed.
func (c *Client) UpdateSubscription(ctx context.Context, id string, patch SubscriptionPatch) (*Subscription, error) {
	return c.subscription(ctx, http.MethodPatch, pathOf(subscriptions, id), patch, http.StatusOK)
}

// DeleteSubscription deletes a subscription with its deliveries.
func (c *Client) DeleteSubscription(ctx context.Context, id string) error {
	_, err := c.do(ctx, request{method: http.MethodDelete, path: pathOf(subscriptions, id), want: http.StatusNoContent}, nil)
	return err
}

// PauseSubscription pauses a subscription: deliveries accumulate and are
// sent on resume.
func (c *Client) PauseSubscription(ctx context.Context, id string) (*Subscription, error) {
	return c.subscription(ctx, http.MethodPost, pathOf(subscriptions, id)+"/pause", nil, http.StatusOK)
}

// ResumeSubscription resumes a paused or disabled subscription.
func (c *Client) ResumeSubscription(ctx context.Context, id string) (*Subscription, error) {
	return c.subscription(ctx, http.MethodPost, pathOf(subscriptions, id)+"/resume", nil, http.StatusOK)
}

// RotateSecret makes a new signing secret (in the answer's Secret); the
// old one keeps signing beside it for 24 h.
func (c *Client) RotateSecret(ctx context.Context, id string) (*Subscription, error) {
	return c.subscription(ctx, http.MethodPost, pathOf(subscriptions, id)+"/rotate-secret", nil, http.StatusOK)
}

// Redrive sends every dead delivery of a subscription again and answers
// how many went back to pending.
func (c *Client) Redrive(ctx context.Context, id string) (int, error) {
	var out struct {
		Redriven int `json:"redriven"`
	}
	_, err := c.do(ctx, request{method: http.MethodPost, path: pathOf(subscriptions, id) + "/redrive", want: http.StatusAccepted}, &out)
	return out.Redriven, err
}

func (c *Client) subscription(ctx context.Context, method, path string, body any, want int) (*Subscription, error) {
	var s Subscription
	_, err := c.do(ctx, request{method: method, path: path, body: body, want: want}, &s)
	return done(&s, err)
}
