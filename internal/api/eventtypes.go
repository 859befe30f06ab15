package api

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/eventgate/eventgate/internal/event"
	"github.com/eventgate/eventgate/internal/store"
)

// eventTypeView is a catalog entry with the subscriptions that receive it.
type eventTypeView struct {
	*event.EventType
	Subscriptions []string `json:"subscriptions"`
}

func (s *Server) view(t *event.EventType) eventTypeView {
	subs := s.g.Router.Receivers(t.Name)
	if subs == nil {
		subs = []string{}
	}
	return eventTypeView{t, subs}
}

func (s *Server) putEventType(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Description string          `json:"description"`
		Schema      json.RawMessage `json:"schema"`
		Example     json.RawMessage `json:"example"`
		Deprecated  bool            `json:"deprecated"`
	}
	if err := decode(w, r, MaxBody, &req); err != nil {
		fail(w, r, err)
		return
	}
	t := &event.EventType{Name: r.PathValue("name"), Description: req.Description, Schema: req.Schema, Example: req.Example, Deprecated: req.Deprecated}
	if err := s.g.PutEventType(r.Context(), t); err != nil {
		fail(w, r, err)
		return
	}
	stored, err := s.g.Store.GetEventType(r.Context(), t.Name)
	if err != nil {
		fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.view(stored))
}

// patchEventType changes only the fields the body holds (JSON merge patch).
func (s *Server) patchEventType(w http.ResponseWriter, r *http.Request) {
	var patch map[string]json.RawMessage
	if err := decode(w, r, MaxBody, &patch); err != nil {
		fail(w, r, err)
		return
	}
	t, err := s.g.PatchEventType(r.Context(), r.PathValue("name"), patch)
	if err != nil {
		fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.view(t))
}

func (s *Server) getEventType(w http.ResponseWriter, r *http.Request) {
	t, err := s.g.Store.GetEventType(r.Context(), r.PathValue("name"))
	if err != nil {
		fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.view(t))
}

func (s *Server) listEventTypes(w http.ResponseWriter, r *http.Request) {
	serveList(w, r, func(page store.Page) ([]*event.EventType, string, error) {
		return s.g.Store.ListEventTypes(r.Context(), page)
	}, s.view)
}

func (s *Server) deleteEventType(w http.ResponseWriter, r *http.Request) {
	err := s.g.DeleteEventType(r.Context(), r.PathValue("name"))
	if errors.Is(err, store.ErrConflict) {
		fail(w, r, newProblem(http.StatusConflict, "conflict", err.Error()+"."))
		return
	}
	if err != nil {
		fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}
