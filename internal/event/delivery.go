package event

import "time"

// DeliveryStatus is where a delivery stands.
type DeliveryStatus string

const (
	Pending   DeliveryStatus = "pending"   // not tried yet
	Succeeded DeliveryStatus = "succeeded" // a try was acknowledged
	Failed    DeliveryStatus = "failed"    // tried and failed; will retry
	Dead      DeliveryStatus = "dead"      // the retry policy ran out; kept for redrive
)

// ValidDeliveryStatus reports whether s names a delivery status.
func ValidDeliveryStatus(s string) bool {
	switch DeliveryStatus(s) {
	case Pending, Succeeded, Failed, Dead:
		return true
	}
	return false
}

// Delivery is one event for one subscription.
type Delivery struct {
	ID             string         `json:"id"`
	EventID        string         `json:"event_id"`
	SubscriptionID string         `json:"subscription_id"`
	Status         DeliveryStatus `json:"status"`
	Attempts       int            `json:"attempt_count"`
	NextAttemptAt  *time.Time     `json:"next_attempt_at,omitempty"`
	LastError      string         `json:"last_error,omitempty"`
	LastStatusCode int            `json:"last_status_code,omitempty"`
	CreatedAt      time.Time      `json:"created_at"`
	UpdatedAt      time.Time      `json:"updated_at"`
	// Pull says the delivery waits in the store to be pulled (its
	// subscription's channel is pull), not to be sent by the dispatcher.
	Pull bool `json:"-"`
}

// Attempt is one try of a delivery.
type Attempt struct {
	ID           string        `json:"id"`
	DeliveryID   string        `json:"delivery_id"`
	At           time.Time     `json:"at"`
	StatusCode   int           `json:"status_code,omitempty"`
	Latency      time.Duration `json:"-"`
	LatencyMs    float64       `json:"latency_ms"`
	ResponseBody string        `json:"response_body,omitempty"`
	Error        string        `json:"error,omitempty"`
}

// MaxResponseExcerpt bounds the response body kept with an attempt.
const MaxResponseExcerpt = 4 << 10
