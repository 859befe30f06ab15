package transform

import (
	"encoding/json"
	"fmt"
	"github.com/eventgate/eventgate/internal/event"
)

// Content types of what Apply and Render return.
const (
	contentTypeJSON        = "application/json"
	contentTypeText        = "text/plain; charset=utf-8"
	contentTypeCloudEvents = "application/cloudevents+json"
)

// Apply renders the template for one event envelope (its JSON bytes). It
// returns the payload and its content type: "application/json" when the
// result is valid JSON, else "text/plain; charset=utf-8".
func (t *Transform) Apply(envelope []byte) ([]byte, string, error) {
	// Most templates use a few paths: keep where their values are on the stack.
	var small [16]span
	found := small[:]
	if t.paths.slots > len(small) {
		found = make([]span, t.paths.slots)
	}
	found = found[:t.paths.slots]
	if len(found) > 0 {
		if err := t.paths.find(envelope, found); err != nil {
			return nil, "", err
		}
	}

	out := make([]byte, 0, t.sizeHint(found))
	for _, seg := range t.segments {
		if seg.name == "" {
			out = append(out, seg.text...)
		} else {
			out = appendValue(out, found[seg.slot].in(envelope), seg.placement)
		}
	}

	switch {
	case json.Valid(out):
		return out, contentTypeJSON, nil
	case t.json:
		// Only an envelope that is not JSON gets here; say so rather than deliver it.
		err := json.Unmarshal(out, new(json.RawMessage))
		return nil, "", fmt.Errorf("transformed payload is not valid JSON, so neither is the envelope: %v", err)
	default:
		return out, contentTypeText, nil
	}
}

// sizeHint is the output size when nothing needs escaping, plus some room.
func (t *Transform) sizeHint(found []span) int {
	n := t.literalLen
	for _, seg := range t.segments {
		if seg.name != "" {
			n += found[seg.slot].end - found[seg.slot].start + len("null")
		}
	}
	return n + n/16
}

// appendValue writes the raw JSON value found for a placeholder (nil when
// the path found nothing) as its placement requires.
func appendValue(out, raw []byte, at placement) []byte {
	if len(raw) == 0 || string(raw) == "null" {
		if at == asJSON {
			return append(out, "null"...)
		}
		return out
	}
	switch {
	case at == asJSON:
		return append(out, raw...)
	case at == inJSONString && isString(raw):
		return append(out, raw[1:len(raw)-1]...) // already escaped for a JSON string
	case at == inJSONString:
		return event.AppendEscaped(out, raw)
	case isString(raw):
		return appendUnescaped(out, raw[1:len(raw)-1])
	default:
		return append(out, raw...)
	}
}
