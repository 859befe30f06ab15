package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/eventgate/eventgate/internal/event"

	"github.com/eventgate/eventgate/internal/gateway"
	"github.com/eventgate/eventgate/internal/source"
	"github.com/eventgate/eventgate/internal/store"
)

// sourceRequest is what a client sends to create a source. The secret
// comes in here and is never answered again.
type sourceRequest struct {
	Name   string `json:"name"`
	Verify struct {
		source.Verify
		Secret string `json:"secret"`
	} `json:"verify"`
	EventType source.Locator  `json:"event_type"`
	Dedupe    *source.Locator `json:"dedupe"`
}

// sourceView is a source as answered, with the path providers post to.
type sourceView struct {
	*source.Source
	IngestPath string `json:"ingest_path"`
}

func viewSource(s *source.Source) sourceView { return sourceView{s, "/ingest/" + s.ID} }

func (s *Server) createSource(w http.ResponseWriter, r *http.Request) {
	var req sourceRequest
	if err := decode(w, r, MaxBody, &req); err != nil {
		fail(w, r, err)
		return
	}
	src := &source.Source{Name: req.Name, Verify: req.Verify.Verify, EventType: req.EventType, Dedupe: req.Dedupe}
	src.Verify.Secret = req.Verify.Secret
	if err := s.g.CreateSource(r.Context(), caller(r), src); err != nil {
		fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/v1/sources/"+src.ID)
	writeJSON(w, http.StatusCreated, viewSource(src))
}

func (s *Server) listSources(w http.ResponseWriter, r *http.Request) {
	serveList(w, r, func(page store.Page) ([]*source.Source, string, error) {
		return s.g.ListSources(r.Context(), caller(r), page)
	}, viewSource)
}

func (s *Server) getSource(w http.ResponseWriter, r *http.Request) {
	src, err := s.g.GetSource(r.Context(), caller(r), r.PathValue("id"))
	if err != nil {
		fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, viewSource(src))
}

// patchSource changes the fields present. A new verify.secret is a
// rotation: the old secret keeps verifying for secret_overlap (24h).
func (s *Server) patchSource(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Name          *string               `json:"name"`
		Verify        *gateway.VerifyChange `json:"verify"`
		EventType     *source.Locator       `json:"event_type"`
		Dedupe        json.RawMessage       `json:"dedupe"`
		SecretOverlap *event.Duration       `json:"secret_overlap"`
	}
	if err := decode(w, r, MaxBody, &req); err != nil {
		fail(w, r, err)
		return
	}
	change := gateway.SourceChange{Name: req.Name, Verify: req.Verify, EventType: req.EventType, NoDedupe: string(req.Dedupe) == "null"}
	if len(req.Dedupe) > 0 && !change.NoDedupe {
		change.Dedupe = new(source.Locator)
		if err := decodeJSON(req.Dedupe, MaxBody, change.Dedupe); err != nil {
			fail(w, r, err)
			return
		}
	}
	if req.SecretOverlap != nil {
		change.SecretOverlap = (*time.Duration)(req.SecretOverlap)
	}
	src, err := s.g.UpdateSource(r.Context(), caller(r), r.PathValue("id"), change)
	if err != nil {
		fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, viewSource(src))
}

func (s *Server) deleteSource(w http.ResponseWriter, r *http.Request) {
	if err := s.g.DeleteSource(r.Context(), caller(r), r.PathValue("id")); err != nil {
		fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// receive is a source's public ingest URL: the signature is the
// authentication. A repeat answers as the original did, so that the
// provider stops retrying.
func (s *Server) receive(w http.ResponseWriter, r *http.Request) {
	// Before the body: unknown URLs must cost nothing to ask about.
	if err := s.g.SourceExists(r.Context(), r.PathValue("id")); err != nil {
		fail(w, r, receiveProblem(err))
		return
	}
	body, err := readBody(w, r, MaxEventBody)
	if err != nil {
		fail(w, r, jsonProblem(err, MaxEventBody))
		return
	}
	receipt, err := s.g.Receive(r.Context(), gateway.Inbound{SourceID: r.PathValue("id"), Header: r.Header, Body: body, From: r.RemoteAddr})
	if err != nil {
		fail(w, r, receiveProblem(err))
		return
	}
	if receipt.Replayed {
		w.Header().Set("Idempotent-Replayed", "true")
	}
	writeJSON(w, http.StatusAccepted, map[string]string{"id": receipt.EventID})
}

// receiveProblem explains the errors only ingest URLs have; the rest are
// common (validation, shutting down).
func receiveProblem(err error) error {
	var rejection *source.Rejection
	switch {
	case errors.As(err, &rejection) && rejection.Stale:
		return newProblem(http.StatusUnauthorized, "stale-timestamp", rejection.Reason+".")
	case errors.As(err, &rejection):
		return newProblem(http.StatusUnauthorized, "invalid-signature", rejection.Reason+".")
	case errors.Is(err, source.ErrNotJSON):
		return newProblem(http.StatusBadRequest, "malformed-json", err.Error()+".")
	case errors.Is(err, store.ErrNotFound):
		return newProblem(http.StatusNotFound, "not-found", "No source has this ingest URL; copy the URL shown when the source was created.")
	}
	return err
}
