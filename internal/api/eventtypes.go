package api

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/eventgate/eventgate/internal/event"
	"github.com/eventgate/eventgate/internal/gateway"
	"github.com/eventgate/eventgate/internal/store"
)

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
	stored, err := s.g.PutEventType(r.Context(), caller(r), t)
	if err != nil {
		fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, stored)
}

// patchEventType changes only the fields the body holds (JSON merge patch).
func (s *Server) patchEventType(w http.ResponseWriter, r *http.Request) {
	var patch map[string]json.RawMessage
	if err := decode(w, r, MaxBody, &patch); err != nil {
		fail(w, r, err)
		return
	}
	t, err := s.g.PatchEventType(r.Context(), caller(r), r.PathValue("name"), patch)
	if err != nil {
		fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, t)
}

func (s *Server) getEventType(w http.ResponseWriter, r *http.Request) {
	t, err := s.g.GetEventType(r.Context(), caller(r), r.PathValue("name"))
	if err != nil {
		fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, t)
}

func (s *Server) listEventTypes(w http.ResponseWriter, r *http.Request) {
	serveList(w, r, func(page store.Page) ([]*gateway.CatalogEntry, string, error) {
		return s.g.ListEventTypes(r.Context(), caller(r), page)
	}, asIs)
}

func (s *Server) deleteEventType(w http.ResponseWriter, r *http.Request) {
	err := s.g.DeleteEventType(r.Context(), caller(r), r.PathValue("name"))
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
