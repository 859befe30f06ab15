package event

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"time"
)

// Event is an immutable business fact. Its JSON form is the envelope that
// subscribers receive; attribute names follow CloudEvents 1.0 where they overlap.
type Event struct {
	ID         string         `json:"id"`
	Type       string         `json:"type"`
	Source     string         `json:"source,omitempty"`
	Subject    string         `json:"subject,omitempty"`
	Time       time.Time      `json:"time"`
	Severity   string         `json:"severity,omitempty"`
	Attributes map[string]any `json:"attributes,omitempty"`
	// Data must be valid JSON: the API and sources check it as they
	// decode what they were sent, and Envelope does not check it again.
	Data json.RawMessage `json:"data"`
}

// Limits on what a publisher may send.
const (
	MaxTypeLength   = 128
	MaxIDLength     = 128
	MaxSourceLength = 256
	MaxAttributes   = 50
)

var (
	typePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`)
	idPattern   = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:-]*$`)
)

// Severities an event may carry.
var severities = map[string]bool{"": true, "debug": true, "info": true, "warning": true, "error": true, "critical": true}

// Validate checks what a publisher sent; it does not fill defaults.
func (e *Event) Validate() error {
	var v Problems
	switch {
	case e.Type == "":
		v.Add("type", "is required, e.g. \"order.created\"")
	case len(e.Type) > MaxTypeLength:
		v.Add("type", fmt.Sprintf("is longer than %d characters", MaxTypeLength))
	case !typePattern.MatchString(e.Type):
		v.Add("type", "must match [a-z0-9][a-z0-9._-]* (lower case letters, digits, '.', '_', '-'), e.g. \"order.created\"")
	}
	if e.ID != "" && (len(e.ID) > MaxIDLength || !idPattern.MatchString(e.ID)) {
		v.Add("id", fmt.Sprintf("must be at most %d characters of letters, digits, '.', '_', ':' or '-'", MaxIDLength))
	}
	if len(e.Source) > MaxSourceLength {
		v.Add("source", fmt.Sprintf("is longer than %d characters", MaxSourceLength))
	}
	if len(e.Subject) > MaxSourceLength {
		v.Add("subject", fmt.Sprintf("is longer than %d characters", MaxSourceLength))
	}
	if !severities[e.Severity] {
		v.Add("severity", "must be one of debug, info, warning, error, critical")
	}
	if len(e.Attributes) > MaxAttributes {
		v.Add("attributes", fmt.Sprintf("has more than %d entries", MaxAttributes))
	}
	for name, val := range e.Attributes {
		switch val.(type) {
		case string, float64, json.Number, bool:
		default:
			v.Add("attributes."+name, "must be a string, number or boolean (attributes are a flat map for cheap filtering; put structures in data)")
		}
	}
	trimmed := bytes.TrimSpace(e.Data)
	if len(trimmed) == 0 || bytes.Equal(trimmed, []byte("null")) {
		v.Add("data", "is required: the event's JSON payload (an object, array or value)")
	}
	return v.Err()
}
