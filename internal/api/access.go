package api

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/eventgate/eventgate/internal/auth"
	"github.com/eventgate/eventgate/internal/event"
	"github.com/eventgate/eventgate/internal/store"
)

// access is the set of key scopes that may call a route.
type access uint8

const (
	public access = 0
	admin  access = 1 << iota
	publisherScope
	partnerScope

	// partners: admin keys, and partner keys on their own things.
	partners = admin | partnerScope
	// publishers: every key that may publish, within its granted types.
	publishers = admin | publisherScope | partnerScope
)

func scopeAccess(scope string) access {
	switch scope {
	case auth.ScopeAdmin:
		return admin
	case auth.ScopePublisher:
		return publisherScope
	case auth.ScopePartner:
		return partnerScope
	}
	return 0
}

type keyContext struct{}

// authenticated requires a bearer key whose scope the route allows. A
// partner key gets 404 for what it may not touch, as for what does not
// exist, so it cannot learn other partners' ids.
func (s *Server) authenticated(who access, next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		secret, ok := auth.BearerToken(r.Header.Get("Authorization"))
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="eventgate"`)
			writeProblem(w, newProblem(http.StatusUnauthorized, "unauthenticated", "Send an API key as 'Authorization: Bearer <key>'."))
			return
		}
		key, err := s.keys.Authenticate(r.Context(), s.g.Store, secret, time.Now())
		if err == auth.ErrUnauthenticated {
			w.Header().Set("WWW-Authenticate", `Bearer realm="eventgate", error="invalid_token"`)
			writeProblem(w, newProblem(http.StatusUnauthorized, "unauthenticated", "The API key is unknown, revoked or expired; check that you copied it whole."))
			return
		}
		if err != nil {
			fail(w, r, err)
			return
		}
		switch granted := scopeAccess(key.Scope); {
		case granted&who != 0:
		case granted == partnerScope:
			writeProblem(w, notFoundProblem(r))
			return
		default:
			writeProblem(w, newProblem(http.StatusForbidden, "forbidden", "A "+key.Scope+" key may not call "+r.Method+" "+r.Pattern[strings.Index(r.Pattern, " ")+1:]+"; a publisher key may only publish events."))
			return
		}
		s.touch(key)
		next(w, r.WithContext(context.WithValue(r.Context(), keyContext{}, key)))
	}
}

// touch records a key's last use at most once a minute, off the request path.
func (s *Server) touch(k *store.Key) {
	now := time.Now()
	s.touchMu.Lock()
	recent := now.Sub(s.touched[k.ID]) < time.Minute
	if !recent {
		s.touched[k.ID] = now
	}
	s.touchMu.Unlock()
	if !recent {
		s.g.Go(func() { _ = s.g.Store.TouchKey(context.Background(), k.ID, now.UTC()) })
	}
}

func callerKey(r *http.Request) *store.Key {
	k, _ := r.Context().Value(keyContext{}).(*store.Key)
	return k
}

// partnerOf returns the partner id a request is confined to, or "" for an
// admin key, which sees everything.
func partnerOf(r *http.Request) string {
	if k := callerKey(r); k != nil && k.Scope == auth.ScopePartner {
		return k.PartnerID
	}
	return ""
}

// ownSubscription loads a subscription the caller may touch; another
// partner's answers as missing.
func (s *Server) ownSubscription(r *http.Request, id string) (*event.Subscription, error) {
	sub, err := s.g.Store.GetSubscription(r.Context(), id)
	if err != nil {
		return nil, err
	}
	if p := partnerOf(r); p != "" && sub.PartnerID != p {
		return nil, store.ErrNotFound
	}
	return sub, nil
}

// ownDelivery loads a delivery the caller may touch.
func (s *Server) ownDelivery(r *http.Request, id string) (*event.Delivery, error) {
	d, err := s.g.Store.GetDelivery(r.Context(), id)
	if err != nil {
		return nil, err
	}
	if partnerOf(r) != "" {
		if _, err := s.ownSubscription(r, d.SubscriptionID); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// mayPublish checks an event against the caller's grants, and forces the
// source of a partner's events so receivers know who sent them.
func mayPublish(k *store.Key, e *event.Event) error {
	if k.Scope == auth.ScopeAdmin || (k.Scope == auth.ScopePublisher && len(k.PublishTypes) == 0) {
		return nil
	}
	if k.Scope == auth.ScopePartner {
		e.Source = "partner/" + k.PartnerID
	}
	for _, g := range k.PublishTypes {
		if event.Glob(g, e.Type) {
			return nil
		}
	}
	granted := "no event types"
	if len(k.PublishTypes) > 0 {
		granted = strings.Join(k.PublishTypes, ", ")
	}
	return newProblem(http.StatusForbidden, "forbidden", "This key may publish "+granted+", not "+e.Type+"; ask an administrator to grant it in the key's publish_types.")
}
