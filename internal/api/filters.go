package api

import (
	"encoding/json"
	"net/http"

	"github.com/eventgate/eventgate/internal/route/pattern"
)

// filterTest lets users try a pattern on an event before they subscribe.
func (s *Server) testFilter(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Pattern json.RawMessage `json:"pattern"`
		Event   json.RawMessage `json:"event"`
	}
	if err := decode(w, r, MaxBody, &req); err != nil {
		fail(w, r, err)
		return
	}
	match, err := TestPattern(req.Pattern, req.Event)
	if err != nil {
		fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"match": match})
}

// TestPattern compiles a pattern and matches it against one event; errors
// are validation problems on the "pattern" or "event" field. The CLI's
// `eventgate filter test` shares it.
func TestPattern(rawPattern, rawEvent json.RawMessage) (bool, error) {
	if len(rawPattern) == 0 {
		return false, validation("pattern", "is required: an EventBridge event pattern, e.g. {\"type\": [\"order.created\"]}")
	}
	if len(rawEvent) == 0 {
		return false, validation("event", "is required: an event envelope as subscribers receive it")
	}
	p, err := pattern.Compile(rawPattern)
	if err != nil {
		return false, validation("pattern", err.Error())
	}
	match, err := p.Match(rawEvent)
	if err != nil {
		return false, validation("event", "must be a JSON object: "+err.Error())
	}
	return match, nil
}
