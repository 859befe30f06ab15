package api

import (
	"net/http"
	"time"

	"github.com/eventgate/eventgate/internal/event"
	"github.com/eventgate/eventgate/internal/gateway"
	"github.com/eventgate/eventgate/internal/store"
)

type partnerRequest struct {
	Name         string            `json:"name"`
	Environments []string          `json:"environments"`
	Metadata     map[string]string `json:"metadata"`
	Quotas       event.Quotas      `json:"quotas"`
}

type partnerPatch struct {
	Name         *string            `json:"name"`
	Environments *[]string          `json:"environments"`
	Metadata     *map[string]string `json:"metadata"`
	Quotas       *event.Quotas      `json:"quotas"`
}

func (s *Server) createPartner(w http.ResponseWriter, r *http.Request) {
	var req partnerRequest
	if err := decode(w, r, MaxBody, &req); err != nil {
		fail(w, r, err)
		return
	}
	p := &event.Partner{Name: req.Name, Environments: req.Environments, Metadata: req.Metadata, Quotas: req.Quotas}
	if err := s.g.CreatePartner(r.Context(), p); err != nil {
		fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/v1/partners/"+p.ID)
	writeJSON(w, http.StatusCreated, p)
}

func (s *Server) listPartners(w http.ResponseWriter, r *http.Request) {
	serveList(w, r, func(page store.Page) ([]*event.Partner, string, error) {
		return s.g.Store.ListPartners(r.Context(), page)
	}, asIs)
}

func (s *Server) getPartner(w http.ResponseWriter, r *http.Request) {
	p, err := s.g.Store.GetPartner(r.Context(), r.PathValue("id"))
	if err != nil {
		fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

func (s *Server) updatePartner(w http.ResponseWriter, r *http.Request) {
	var patch partnerPatch
	if err := decode(w, r, MaxBody, &patch); err != nil {
		fail(w, r, err)
		return
	}
	p, err := s.g.Store.GetPartner(r.Context(), r.PathValue("id"))
	if err != nil {
		fail(w, r, err)
		return
	}
	if patch.Name != nil {
		p.Name = *patch.Name
	}
	if patch.Environments != nil {
		p.Environments = *patch.Environments
	}
	if patch.Metadata != nil {
		p.Metadata = *patch.Metadata
	}
	if patch.Quotas != nil {
		p.Quotas = *patch.Quotas
	}
	if err := s.g.UpdatePartner(r.Context(), p); err != nil {
		fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

func (s *Server) deletePartner(w http.ResponseWriter, r *http.Request) {
	if err := s.g.DeletePartner(r.Context(), r.PathValue("id")); err != nil {
		fail(w, r, err)
		return
	}
	s.keys.Forget() // its keys are revoked: stop honouring them here at once
	w.WriteHeader(http.StatusNoContent)
}

// keyView is a key as listed: never the secret, which only creation shows.
type keyView struct {
	ID           string     `json:"id"`
	Name         string     `json:"name"`
	Scope        string     `json:"scope"`
	Prefix       string     `json:"prefix"`
	PartnerID    string     `json:"partner_id,omitempty"`
	PublishTypes []string   `json:"publish_types,omitempty"`
	CreatedAt    time.Time  `json:"created_at"`
	LastUsedAt   *time.Time `json:"last_used_at,omitempty"`
	ExpiresAt    *time.Time `json:"expires_at,omitempty"`
	Key          string     `json:"key,omitempty"`
}

func viewKey(k *store.Key) keyView {
	return keyView{ID: k.ID, Name: k.Name, Scope: k.Scope, Prefix: k.Prefix, PartnerID: k.PartnerID, PublishTypes: k.PublishTypes,
		CreatedAt: k.CreatedAt, LastUsedAt: k.LastUsedAt, ExpiresAt: k.ExpiresAt}
}

func (s *Server) createKey(w http.ResponseWriter, r *http.Request) {
	var req gateway.KeyRequest
	if err := decode(w, r, MaxBody, &req); err != nil {
		fail(w, r, err)
		return
	}
	secret, k, err := s.g.CreateKey(r.Context(), req)
	if err != nil {
		fail(w, r, err)
		return
	}
	v := viewKey(k)
	v.Key = secret
	writeJSON(w, http.StatusCreated, v)
}

func (s *Server) listKeys(w http.ResponseWriter, r *http.Request) {
	serveList(w, r, func(page store.Page) ([]*store.Key, string, error) {
		return s.g.Store.ListKeys(r.Context(), store.KeyQuery{Page: page, PartnerID: r.URL.Query().Get("partner_id")})
	}, viewKey)
}

func (s *Server) revokeKey(w http.ResponseWriter, r *http.Request) {
	if err := s.g.RevokeKey(r.Context(), r.PathValue("id"), ""); err != nil {
		fail(w, r, err)
		return
	}
	s.keys.Forget()
	w.WriteHeader(http.StatusNoContent)
}

// usage answers a partner's usage per day, by default for this month.
func (s *Server) partnerUsage(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if p := partnerOf(r); p != "" && p != id {
		fail(w, r, store.ErrNotFound)
		return
	}
	p, err := s.g.Store.GetPartner(r.Context(), id)
	if err != nil {
		fail(w, r, err)
		return
	}
	now := time.Now().UTC()
	from, err := timeParam(r, "from", gateway.MonthStart(now))
	if err != nil {
		fail(w, r, err)
		return
	}
	to, err := timeParam(r, "to", now.Add(24*time.Hour))
	if err != nil {
		fail(w, r, err)
		return
	}
	days, err := s.g.Store.PartnerUsage(r.Context(), id, from, to)
	if err != nil {
		fail(w, r, err)
		return
	}
	if days == nil {
		days = []store.UsageDay{}
	}
	month, err := s.g.MonthlyDelivered(r.Context(), id, now)
	if err != nil {
		fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"partner_id": id, "from": from, "to": to, "days": days,
		"month": map[string]any{"delivered": month, "quota": p.Quotas.MonthlyDeliveries},
	})
}

// timeParam reads an RFC 3339 time or a YYYY-MM-DD date (UTC midnight).
func timeParam(r *http.Request, name string, fallback time.Time) (time.Time, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return fallback, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		return t, nil
	}
	return time.Time{}, newProblem(http.StatusBadRequest, "bad-parameter", name+" must be an RFC 3339 time (2026-11-01T00:00:00Z) or a date (2026-11-01), not "+v+".")
}
