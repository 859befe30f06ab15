package api

import (
	"encoding/json"
	"net/http"

	"github.com/eventgate/eventgate/internal/event"
	"github.com/eventgate/eventgate/internal/route"
)

// testTransform shows what a subscription with this transform or payload
// format would receive for a sample event.
func (s *Server) testTransform(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Transform     *event.Transform `json:"transform"`
		PayloadFormat string           `json:"payload_format"`
		Event         json.RawMessage  `json:"event"`
	}
	if err := decode(w, r, MaxBody, &req); err != nil {
		fail(w, r, err)
		return
	}
	shape, err := route.CompileShape(&event.Subscription{Transform: req.Transform, PayloadFormat: req.PayloadFormat})
	if err != nil {
		fail(w, r, err)
		return
	}
	var probe map[string]any
	if json.Unmarshal(req.Event, &probe) != nil {
		fail(w, r, validation("event", "is required: an event envelope (a JSON object) as subscribers receive it"))
		return
	}
	body, contentType, err := shape.Render(req.Event)
	if err != nil {
		fail(w, r, validation("event", err.Error()))
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"content_type": contentType, "body": string(body)})
}
