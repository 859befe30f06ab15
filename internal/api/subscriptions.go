package api

import (
	"net/http"

	"github.com/eventgate/eventgate/internal/event"
)

// subscriptionRequest is what a client sends to create a subscription.
type subscriptionRequest struct {
	Name           string            `json:"name"`
	Channel        event.Channel     `json:"channel"`
	Filter         event.Filter      `json:"filter"`
	RetryPolicy    event.RetryPolicy `json:"retry_policy"`
	MaxConcurrency int               `json:"max_concurrency"`
}

// subscriptionPatch changes the fields it carries; channel, filter and
// retry_policy are replaced whole.
type subscriptionPatch struct {
	Name           *string            `json:"name"`
	Channel        *event.Channel     `json:"channel"`
	Filter         *event.Filter      `json:"filter"`
	RetryPolicy    *event.RetryPolicy `json:"retry_policy"`
	MaxConcurrency *int               `json:"max_concurrency"`
}

// subscriptionView is a subscription as answered; the secret only at
// creation and rotation.
type subscriptionView struct {
	*event.Subscription
	Secret string `json:"secret,omitempty"`
}

func (s *Server) createSubscription(w http.ResponseWriter, r *http.Request) {
	var req subscriptionRequest
	if err := decode(w, r, MaxBody, &req); err != nil {
		fail(w, r, err)
		return
	}
	sub := &event.Subscription{Name: req.Name, Channel: req.Channel, Filter: req.Filter, RetryPolicy: req.RetryPolicy, MaxConcurrency: req.MaxConcurrency}
	if err := s.g.CreateSubscription(r.Context(), sub); err != nil {
		fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/v1/subscriptions/"+sub.ID)
	writeJSON(w, http.StatusCreated, subscriptionView{sub, sub.Secrets[0].Value})
}

func (s *Server) listSubscriptions(w http.ResponseWriter, r *http.Request) {
	page, err := pageParams(r)
	if err != nil {
		fail(w, r, err)
		return
	}
	subs, next, err := s.g.Store.ListSubscriptions(r.Context(), page)
	if err != nil {
		fail(w, r, err)
		return
	}
	writeList(w, subs, next)
}

func (s *Server) getSubscription(w http.ResponseWriter, r *http.Request) {
	sub, err := s.g.Store.GetSubscription(r.Context(), r.PathValue("id"))
	if err != nil {
		fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, sub)
}

func (s *Server) updateSubscription(w http.ResponseWriter, r *http.Request) {
	var patch subscriptionPatch
	if err := decode(w, r, MaxBody, &patch); err != nil {
		fail(w, r, err)
		return
	}
	sub, err := s.g.Store.GetSubscription(r.Context(), r.PathValue("id"))
	if err != nil {
		fail(w, r, err)
		return
	}
	if patch.Name != nil {
		sub.Name = *patch.Name
	}
	if patch.Channel != nil {
		sub.Channel = *patch.Channel
	}
	if patch.Filter != nil {
		sub.Filter = *patch.Filter
	}
	if patch.RetryPolicy != nil {
		sub.RetryPolicy = *patch.RetryPolicy
	}
	if patch.MaxConcurrency != nil {
		sub.MaxConcurrency = *patch.MaxConcurrency
	}
	if err := s.g.UpdateSubscription(r.Context(), sub); err != nil {
		fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, sub)
}

func (s *Server) deleteSubscription(w http.ResponseWriter, r *http.Request) {
	if err := s.g.DeleteSubscription(r.Context(), r.PathValue("id")); err != nil {
		fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) pauseSubscription(w http.ResponseWriter, r *http.Request) {
	s.setStatus(w, r, event.Paused, "paused through the API")
}

func (s *Server) resumeSubscription(w http.ResponseWriter, r *http.Request) {
	s.setStatus(w, r, event.Active, "")
}

func (s *Server) setStatus(w http.ResponseWriter, r *http.Request, status event.SubscriptionStatus, reason string) {
	sub, err := s.g.SetStatus(r.Context(), r.PathValue("id"), status, reason)
	if err != nil {
		fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, sub)
}

func (s *Server) rotateSecret(w http.ResponseWriter, r *http.Request) {
	sub, err := s.g.RotateSecret(r.Context(), r.PathValue("id"))
	if err != nil {
		fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, subscriptionView{sub, sub.Secrets[0].Value})
}

func (s *Server) redrive(w http.ResponseWriter, r *http.Request) {
	n, err := s.g.Redrive(r.Context(), r.PathValue("id"))
	if err != nil {
		fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]int{"redriven": n})
}
