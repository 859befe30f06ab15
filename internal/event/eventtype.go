package event

import (
	"encoding/json"
	"time"
)

// EventType is an entry of the catalog that partners browse before they
// subscribe. Types seen for the first time are registered automatically,
// with no description or schema, so the catalog follows reality.
type EventType struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// Schema is a JSON Schema (2020-12) for the events' data.
	Schema     json.RawMessage `json:"schema,omitempty"`
	Example    json.RawMessage `json:"example,omitempty"`
	Deprecated bool            `json:"deprecated"`
	// FirstSeen, LastSeen and Count are statistics of published events.
	FirstSeen *time.Time `json:"first_seen,omitempty"`
	LastSeen  *time.Time `json:"last_seen,omitempty"`
	Count     int64      `json:"count"`
	CreatedAt time.Time  `json:"created_at"`
	UpdatedAt time.Time  `json:"updated_at"`
}

// ValidTypeName reports whether name may be an event type.
func ValidTypeName(name string) bool {
	return len(name) <= MaxTypeLength && typePattern.MatchString(name)
}
