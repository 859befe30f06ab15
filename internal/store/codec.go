package store

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/eventgate/eventgate/internal/channel/kinds"
	"github.com/eventgate/eventgate/internal/event"
)

// subscriptionSpec is the part of a subscription that implementations keep
// as one JSON document: it grows with new channel and filter settings
// without a migration.
type subscriptionSpec struct {
	Channel        json.RawMessage   `json:"channel"` // the kind's settings, decoded by its kind
	Filter         event.Filter      `json:"filter"`
	RetryPolicy    event.RetryPolicy `json:"retry_policy"`
	MaxConcurrency int               `json:"max_concurrency"`
	RateLimit      *event.RateLimit  `json:"rate_limit,omitempty"`
	Transform      *event.Transform  `json:"transform,omitempty"`
	PayloadFormat  string            `json:"payload_format,omitempty"`
}

// EncodeSubscription returns the JSON documents an implementation stores
// for a subscription's settings and its secrets.
func EncodeSubscription(s *event.Subscription) (spec, secrets []byte, err error) {
	channel, err := json.Marshal(s.Channel)
	if err != nil {
		return nil, nil, err
	}
	spec, err = json.Marshal(subscriptionSpec{channel, s.Filter, s.RetryPolicy, s.MaxConcurrency, s.RateLimit, s.Transform, s.PayloadFormat})
	if err != nil {
		return nil, nil, err
	}
	secrets, err = json.Marshal(s.Secrets)
	return spec, secrets, err
}

// DecodeSubscription fills s from the documents EncodeSubscription made.
func DecodeSubscription(s *event.Subscription, spec, secrets []byte) error {
	var sp subscriptionSpec
	if err := json.Unmarshal(spec, &sp); err != nil {
		return fmt.Errorf("subscription %s: bad spec: %w", s.ID, err)
	}
	channel, err := kinds.Decode(sp.Channel)
	if err != nil {
		return fmt.Errorf("subscription %s: bad channel: %w", s.ID, err)
	}
	s.Channel, s.Filter, s.RetryPolicy, s.MaxConcurrency = channel, sp.Filter, sp.RetryPolicy, sp.MaxConcurrency
	s.RateLimit, s.Transform, s.PayloadFormat = sp.RateLimit, sp.Transform, sp.PayloadFormat
	if err := json.Unmarshal(secrets, &s.Secrets); err != nil {
		return fmt.Errorf("subscription %s: bad secrets: %w", s.ID, err)
	}
	return nil
}

// DecodeEnvelope parses a stored envelope back into an event.
func DecodeEnvelope(b []byte) (*event.Event, error) {
	var e event.Event
	if err := json.Unmarshal(b, &e); err != nil {
		return nil, fmt.Errorf("stored event envelope: %w", err)
	}
	return &e, nil
}

// Cursors are opaque to clients: base64 of a position the store understands.

// EncodeCursor makes a cursor from a position.
func EncodeCursor(pos string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(pos))
}

// DecodeCursor reads a cursor back; "" reads as "".
func DecodeCursor(c string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return "", fmt.Errorf("%w: invalid cursor %q: use the \"next\" value of the previous page", ErrBadCursor, c)
	}
	return string(b), nil
}

// DecodeSeqCursor reads a cursor that holds a sequence number; "" reads as 0.
func DecodeSeqCursor(c string) (int64, error) {
	if c == "" {
		return 0, nil
	}
	pos, err := DecodeCursor(c)
	if err != nil {
		return 0, err
	}
	n, err := strconv.ParseInt(pos, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%w: invalid cursor %q: use the \"next\" value of the previous page", ErrBadCursor, c)
	}
	return n, nil
}

// ErrBadCursor is a cursor the store did not make.
var ErrBadCursor = fmt.Errorf("bad cursor")

// CutPage trims rows fetched with one more than the page size n, and
// returns the cursor of the next page: the key of the last row kept, or ""
// when nothing was left over.
func CutPage[T any](rows []T, n int, key func(T) string) ([]T, string) {
	if len(rows) <= n {
		return rows, ""
	}
	rows = rows[:n]
	return rows, EncodeCursor(key(rows[n-1]))
}
