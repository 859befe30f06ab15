package api

import (
	"encoding/json"
	"net/http"

	"github.com/eventgate/eventgate/internal/channel/kinds"
	"github.com/eventgate/eventgate/internal/event"
	"github.com/eventgate/eventgate/internal/store"
)

// subscriptionRequest is what a client sends to create a subscription.
type subscriptionRequest struct {
	Name           string            `json:"name"`
	PartnerID      string            `json:"partner_id"`
	Environment    string            `json:"environment"`
	Channel        json.RawMessage   `json:"channel"` // decoded by its kind
	Filter         event.Filter      `json:"filter"`
	RetryPolicy    event.RetryPolicy `json:"retry_policy"`
	MaxConcurrency int               `json:"max_concurrency"`
	RateLimit      *event.RateLimit  `json:"rate_limit"`
	Transform      *event.Transform  `json:"transform"`
	PayloadFormat  string            `json:"payload_format"`
}

// subscriptionPatch changes the fields it carries; channel, filter and
// retry_policy are replaced whole.
type subscriptionPatch struct {
	Name           *string            `json:"name"`
	Environment    *string            `json:"environment"`
	Channel        json.RawMessage    `json:"channel"`
	Filter         *event.Filter      `json:"filter"`
	RetryPolicy    *event.RetryPolicy `json:"retry_policy"`
	MaxConcurrency *int               `json:"max_concurrency"`
	// RateLimit replaces the limit; {"rate_limit": null} cannot be told
	// from absence, so removing a limit takes {"rate_limit": {}}.
	RateLimit *event.RateLimit `json:"rate_limit"`
	// Transform replaces the transform; {"transform": {}} removes it.
	Transform     *event.Transform `json:"transform"`
	PayloadFormat *string          `json:"payload_format"`
}

// subscriptionView is a subscription as answered: channel secrets never
// leave the gateway; the signing secret only at creation and rotation.
type subscriptionView struct {
	*event.Subscription
	Secret string `json:"secret,omitempty"`
}

// view answers sub with its channel secrets redacted; signingSecret is ""
// except at creation and rotation.
func view(sub *event.Subscription, signingSecret string) subscriptionView {
	c := *sub
	c.Channel = sub.Channel.Redacted()
	return subscriptionView{&c, signingSecret}
}

func (s *Server) createSubscription(w http.ResponseWriter, r *http.Request) {
	var req subscriptionRequest
	if err := decode(w, r, MaxBody, &req); err != nil {
		fail(w, r, err)
		return
	}
	channel, err := kinds.Decode(req.Channel)
	if err != nil {
		fail(w, r, err)
		return
	}
	sub := &event.Subscription{Name: req.Name, PartnerID: req.PartnerID, Environment: req.Environment, Channel: channel, Filter: req.Filter, RetryPolicy: req.RetryPolicy, MaxConcurrency: req.MaxConcurrency, RateLimit: req.RateLimit,
		Transform: req.Transform, PayloadFormat: req.PayloadFormat}
	if err := s.g.CreateSubscription(r.Context(), caller(r), sub); err != nil {
		fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/v1/subscriptions/"+sub.ID)
	writeJSON(w, http.StatusCreated, view(sub, sub.Secrets[0].Value))
}

func (s *Server) listSubscriptions(w http.ResponseWriter, r *http.Request) {
	serveList(w, r, func(page store.Page) ([]*event.Subscription, string, error) {
		return s.g.ListSubscriptions(r.Context(), caller(r), page)
	}, func(sub *event.Subscription) subscriptionView { return view(sub, "") })
}

func (s *Server) getSubscription(w http.ResponseWriter, r *http.Request) {
	sub, err := s.g.GetSubscription(r.Context(), caller(r), r.PathValue("id"))
	if err != nil {
		fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, view(sub, ""))
}

func (s *Server) updateSubscription(w http.ResponseWriter, r *http.Request) {
	var patch subscriptionPatch
	if err := decode(w, r, MaxBody, &patch); err != nil {
		fail(w, r, err)
		return
	}
	var channel *event.Channel
	if patch.Channel != nil {
		decoded, err := kinds.Decode(patch.Channel)
		if err != nil {
			fail(w, r, err)
			return
		}
		channel = &decoded
	}
	sub, err := s.g.UpdateSubscription(r.Context(), caller(r), r.PathValue("id"), func(sub *event.Subscription) { patch.apply(sub, channel) })
	if err != nil {
		fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, view(sub, ""))
}

// apply changes the fields the patch carries; channel is its decoded
// channel, if it carries one.
func (patch *subscriptionPatch) apply(sub *event.Subscription, channel *event.Channel) {
	if patch.Name != nil {
		sub.Name = *patch.Name
	}
	if patch.Environment != nil {
		sub.Environment = *patch.Environment
	}
	if channel != nil {
		channel.KeepSecrets(&sub.Channel) // what the client read back, redacted
		sub.Channel = *channel
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
	if patch.Transform != nil {
		sub.Transform = patch.Transform
		if patch.Transform.Template == "" && len(patch.Transform.InputPaths) == 0 {
			sub.Transform = nil
		}
	}
	if patch.PayloadFormat != nil {
		sub.PayloadFormat = *patch.PayloadFormat
	}
	if patch.RateLimit != nil {
		sub.RateLimit = patch.RateLimit
		if patch.RateLimit.PerSecond == 0 {
			sub.RateLimit = nil
		}
	}
}

func (s *Server) deleteSubscription(w http.ResponseWriter, r *http.Request) {
	if err := s.g.DeleteSubscription(r.Context(), caller(r), r.PathValue("id")); err != nil {
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
	sub, err := s.g.SetStatus(r.Context(), caller(r), r.PathValue("id"), status, reason)
	if err != nil {
		fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, view(sub, ""))
}

func (s *Server) rotateSecret(w http.ResponseWriter, r *http.Request) {
	sub, err := s.g.RotateSecret(r.Context(), caller(r), r.PathValue("id"))
	if err != nil {
		fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, view(sub, sub.Secrets[0].Value))
}

func (s *Server) redrive(w http.ResponseWriter, r *http.Request) {
	n, err := s.g.Redrive(r.Context(), caller(r), r.PathValue("id"))
	if err != nil {
		fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]int{"redriven": n})
}
