package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/eventgate/eventgate/internal/event"
	"github.com/eventgate/eventgate/internal/store"
)

// replayRequest is what a client sends to start a replay.
type replayRequest struct {
	SubscriptionID string          `json:"subscription_id"`
	From           time.Time       `json:"from"`
	To             time.Time       `json:"to"`
	EventTypes     []string        `json:"event_types"`
	Pattern        json.RawMessage `json:"pattern"`
}

func (s *Server) createReplay(w http.ResponseWriter, r *http.Request) {
	var req replayRequest
	if err := decode(w, r, MaxBody, &req); err != nil {
		fail(w, r, err)
		return
	}
	replay := &event.Replay{SubscriptionID: req.SubscriptionID, From: req.From, To: req.To, EventTypes: req.EventTypes, Pattern: req.Pattern}
	if err := s.g.CreateReplay(r.Context(), caller(r), replay); err != nil {
		if errors.Is(err, store.ErrNotFound) { // what the body names, not the path
			err = newProblem(http.StatusNotFound, "not-found", "subscription_id "+strconv.Quote(req.SubscriptionID)+" names no subscription this key may replay into; GET /v1/subscriptions lists them.")
		}
		fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/v1/replays/"+replay.ID)
	writeJSON(w, http.StatusAccepted, replay)
}

func (s *Server) listReplays(w http.ResponseWriter, r *http.Request) {
	serveList(w, r, func(page store.Page) ([]*event.Replay, string, error) {
		return s.g.ListReplays(r.Context(), caller(r), page)
	}, asIs)
}

func (s *Server) getReplay(w http.ResponseWriter, r *http.Request) {
	replay, err := s.g.GetReplay(r.Context(), caller(r), r.PathValue("id"))
	if err != nil {
		fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, replay)
}

func (s *Server) cancelReplay(w http.ResponseWriter, r *http.Request) {
	replay, err := s.g.CancelReplay(r.Context(), caller(r), r.PathValue("id"))
	if err != nil {
		fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, replay)
}
