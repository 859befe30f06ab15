package client

import (
	"context"
	"encoding/json"
	"net/http"
)

// Health reports whether the gateway answers its liveness check.
func (c *Client) Health(ctx context.Context) error {
	_, err := c.do(ctx, request{method: http.MethodGet, path: "/healthz", want: http.StatusOK}, nil)
	return err
}

// Ready reports whether the gateway can store events: an *Error with
// status 503 while its last commit failed because the disk is full.
func (c *Client) Ready(ctx context.Context) error {
	_, err := c.do(ctx, request{method: http.MethodGet, path: "/readyz", want: http.StatusOK}, nil)
	return err
}

// Metrics answers the gateway's Prometheus metrics in the text format
// (admin keys; a 404 *Error when the node serves them on --metrics-addr).
func (c *Client) Metrics(ctx context.Context) ([]byte, error) {
	var text []byte
	_, err := c.do(ctx, request{method: http.MethodGet, path: "/metrics", want: http.StatusOK}, &text)
	return text, err
}

// OpenAPI answers the gateway's OpenAPI 3.1 document.
func (c *Client) OpenAPI(ctx context.Context) ([]byte, error) {
	var doc []byte
	_, err := c.do(ctx, request{method: http.MethodGet, path: "/v1/openapi.json", want: http.StatusOK}, &doc)
	return doc, err
}

// TestFilter reports whether an EventBridge event pattern matches an event
// envelope.
func (c *Client) TestFilter(ctx context.Context, pattern, event json.RawMessage) (bool, error) {
	var out struct {
		Match bool `json:"match"`
	}
	body := map[string]json.RawMessage{"pattern": pattern, "event": event}
	_, err := c.do(ctx, request{method: http.MethodPost, path: "/v1/filters/test", body: body, want: http.StatusOK}, &out)
	return out.Match, err
}

// TransformTest asks what a transform, or a payload format, makes of an event.
type TransformTest struct {
	Transform     *Transform      `json:"transform,omitempty"`
	PayloadFormat string          `json:"payload_format,omitempty"`
	Event         json.RawMessage `json:"event"`
}

// Rendered is the body a subscriber would receive.
type Rendered struct {
	ContentType string `json:"content_type"`
	Body        string `json:"body"`
}

// TestTransform answers the body a subscriber would receive.
func (c *Client) TestTransform(ctx context.Context, t TransformTest) (*Rendered, error) {
	var r Rendered
	_, err := c.do(ctx, request{method: http.MethodPost, path: "/v1/transforms/test", body: t, want: http.StatusOK}, &r)
	return done(&r, err)
}
