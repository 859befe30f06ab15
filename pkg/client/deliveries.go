package client

import (
	"context"
	"iter"
	"net/http"
	"time"
)

// Delivery is one event on its way to one subscription.
type Delivery struct {
	ID             string     `json:"id"`
	EventID        string     `json:"event_id"`
	SubscriptionID string     `json:"subscription_id"`
	Status         string     `json:"status"` // pending, succeeded, failed or dead
	AttemptCount   int        `json:"attempt_count"`
	NextAttemptAt  *time.Time `json:"next_attempt_at,omitempty"`
	LastError      string     `json:"last_error,omitempty"`
	LastStatusCode int        `json:"last_status_code,omitempty"`
	CreatedAt      time.Time  `json:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at"`
}

// DeliveryWithAttempts is a delivery with every attempt made.
type DeliveryWithAttempts struct {
	Delivery
	Attempts []Attempt `json:"attempts"`
}

// Attempt is one try at sending a delivery.
type Attempt struct {
	ID           string    `json:"id"`
	DeliveryID   string    `json:"delivery_id"`
	At           time.Time `json:"at"`
	StatusCode   int       `json:"status_code,omitempty"`
	LatencyMs    float64   `json:"latency_ms"`
	ResponseBody string    `json:"response_body,omitempty"` // its first 4 KiB
	Error        string    `json:"error,omitempty"`
}

// DeliveryQuery selects deliveries; empty fields select all.
type DeliveryQuery struct {
	SubscriptionID string
	EventID        string
	Status         string // pending, succeeded, failed or dead
	ListOptions
}

const deliveries = "/v1/deliveries"

// ListDeliveries answers one page of deliveries, newest first.
func (c *Client) ListDeliveries(ctx context.Context, q DeliveryQuery) (*Page[Delivery], error) {
	v := q.query()
	setIf(v, "subscription_id", q.SubscriptionID)
	setIf(v, "event_id", q.EventID)
	setIf(v, "status", q.Status)
	return list[Delivery](ctx, c, deliveries, v)
}

// AllDeliveries iterates over every delivery q selects, across pages.
func (c *Client) AllDeliveries(ctx context.Context, q DeliveryQuery) iter.Seq2[Delivery, error] {
	return all(ctx, q.After, func(ctx context.Context, after string) (*Page[Delivery], error) {
		q.After = after
		return c.ListDeliveries(ctx, q)
	})
}

// GetDelivery answers a delivery with its attempts.
func (c *Client) GetDelivery(ctx context.Context, id string) (*DeliveryWithAttempts, error) {
	var d DeliveryWithAttempts
	_, err := c.do(ctx, request{method: http.MethodGet, path: pathOf(deliveries, id), want: http.StatusOK}, &d)
	return done(&d, err)
}

// RetryDelivery sends a delivery again with a fresh retry budget.
func (c *Client) RetryDelivery(ctx context.Context, id string) (*Delivery, error) {
	var d Delivery
	_, err := c.do(ctx, request{method: http.MethodPost, path: pathOf(deliveries, id) + "/retry", want: http.StatusAccepted}, &d)
	return done(&d, err)
}
