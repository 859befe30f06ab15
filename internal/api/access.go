package api

import (
	"context"
	"net/http"
	"strings"

	"github.com/eventgate/eventgate/internal/auth"
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

// authenticated requires a bearer key whose scope the route allows. A
// partner key gets 404 for what it may not touch, as for what does not
// exist, so it cannot learn other partners' ids. The operations check
// the caller again, on what it names.
func (s *Server) authenticated(who access, next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		secret, ok := auth.BearerToken(r.Header.Get("Authorization"))
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="eventgate"`)
			writeProblem(w, newProblem(http.StatusUnauthorized, "unauthenticated", "Send an API key as 'Authorization: Bearer <key>'."))
			return
		}
		principal, err := s.g.Authenticate(r.Context(), secret)
		if err == auth.ErrUnauthenticated {
			w.Header().Set("WWW-Authenticate", `Bearer realm="eventgate", error="invalid_token"`)
			writeProblem(w, newProblem(http.StatusUnauthorized, "unauthenticated", "The API key is unknown, revoked or expired; check that you copied it whole."))
			return
		}
		if err != nil {
			fail(w, r, err)
			return
		}
		switch granted := scopeAccess(principal.Role); {
		case granted&who != 0:
		case granted == partnerScope:
			writeProblem(w, notFoundProblem(r))
			return
		default:
			writeProblem(w, newProblem(http.StatusForbidden, "forbidden", "A "+principal.Role+" key may not call "+r.Method+" "+r.Pattern[strings.Index(r.Pattern, " ")+1:]+"; a publisher key may only publish events."))
			return
		}
		next(w, r.WithContext(context.WithValue(r.Context(), principalContext{}, principal)))
	}
}

type principalContext struct{}

// caller is the principal an authenticated request runs as.
func caller(r *http.Request) auth.Principal {
	p, _ := r.Context().Value(principalContext{}).(auth.Principal)
	return p
}
