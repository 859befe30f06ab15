package source

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/eventgate/eventgate/internal/event"
	"github.com/eventgate/eventgate/internal/jsonscan"
)

// ErrNotJSON is a verified request whose body is not one JSON value.
var ErrNotJSON = errors.New("the body is not JSON; sources accept JSON webhooks only")

// MaxDedupeLength bounds a dedupe id, as the API bounds an Idempotency-Key.
const MaxDedupeLength = 255

// Event makes the event that a verified request stands for, with the
// idempotency key (scoped to this source) that makes a repeat of it a
// duplicate, or "" for a source without dedupe. The event's data is the
// body; a value that cannot be located is a *event.ValidationError naming
// the part of the definition that looked for it.
func (s *Source) Event(h http.Header, body []byte, now time.Time) (*event.Event, string, error) {
	var doc any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber() // dedupe ids keep every digit
	if !json.Valid(body) || dec.Decode(&doc) != nil {
		return nil, "", ErrNotJSON
	}
	if err := jsonscan.CheckIJSON(body); err != nil {
		return nil, "", err // the body is the event's data: what encoding/json accepts is not enough
	}
	var p event.Problems
	typ, problem := s.EventType.find(h, doc)
	switch {
	case problem != "":
		p.Add(s.EventType.describe("event_type"), problem)
	case !event.ValidTypeName(typ):
		p.Add(s.EventType.describe("event_type"), fmt.Sprintf("gave %.64q, which is not an event type: it must match [a-z0-9][a-z0-9._-]*", typ))
	}
	key := ""
	if s.Dedupe != nil {
		id, problem := s.Dedupe.find(h, doc)
		switch {
		case problem != "":
			p.Add(s.Dedupe.describe("dedupe"), problem+"; without it a repeated request could not be recognised")
		case len(id) > MaxDedupeLength:
			p.Add(s.Dedupe.describe("dedupe"), fmt.Sprintf("gave an id longer than %d characters", MaxDedupeLength))
		}
		key = s.ID + ":" + id
	}
	if err := p.Err(); err != nil {
		return nil, "", err
	}
	e := &event.Event{ID: event.NewID(event.PrefixEvent), Type: typ, Source: "source/" + s.ID, Time: now.UTC(), Data: body}
	return e, key, e.Validate()
}
