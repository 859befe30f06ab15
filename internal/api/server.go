// Package api is eventgate's REST API: plain net/http handlers over the
// gateway's operations, errors as RFC 9457 problem+json.
package api

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	"github.com/eventgate/eventgate/internal/auth"
	"github.com/eventgate/eventgate/internal/gateway"
	"github.com/eventgate/eventgate/internal/store"
)

// Body limits.
const (
	MaxEventBody = 256 << 10 // one event
	MaxBatchBody = 8 << 20   // a batch; each entry still obeys MaxEventBody
	MaxBody      = 1 << 20   // every other request
)

// Server serves the API.
type Server struct {
	g      *gateway.Gateway
	mux    *http.ServeMux
	routes []Route

	touchMu sync.Mutex
	touched map[string]time.Time // when each key's last use was last recorded
}

// Route is one registered method and path, as the OpenAPI document names it.
type Route struct{ Method, Path string }

// New returns the API handler.
func New(g *gateway.Gateway) *Server {
	s := &Server{g: g, mux: http.NewServeMux(), touched: map[string]time.Time{}}
	s.handle("GET", "/healthz", s.health, public)
	s.handle("GET", "/v1/openapi.json", serveOpenAPI, public)

	s.handle("POST", "/v1/events", s.publish, admin)
	s.handle("POST", "/v1/events/batch", s.publishBatch, admin)
	s.handle("GET", "/v1/events", s.listEvents, admin)
	s.handle("GET", "/v1/events/{id}", s.getEvent, admin)

	s.handle("POST", "/v1/subscriptions", s.createSubscription, admin)
	s.handle("GET", "/v1/subscriptions", s.listSubscriptions, admin)
	s.handle("GET", "/v1/subscriptions/{id}", s.getSubscription, admin)
	s.handle("PATCH", "/v1/subscriptions/{id}", s.updateSubscription, admin)
	s.handle("DELETE", "/v1/subscriptions/{id}", s.deleteSubscription, admin)
	s.handle("POST", "/v1/subscriptions/{id}/pause", s.pauseSubscription, admin)
	s.handle("POST", "/v1/subscriptions/{id}/resume", s.resumeSubscription, admin)
	s.handle("POST", "/v1/subscriptions/{id}/rotate-secret", s.rotateSecret, admin)
	s.handle("POST", "/v1/subscriptions/{id}/redrive", s.redrive, admin)

	s.handle("POST", "/v1/filters/test", s.testFilter, admin)

	s.handle("GET", "/v1/event-types", s.listEventTypes, admin)
	s.handle("GET", "/v1/event-types/{name}", s.getEventType, admin)
	s.handle("PUT", "/v1/event-types/{name}", s.putEventType, admin)
	s.handle("DELETE", "/v1/event-types/{name}", s.deleteEventType, admin)

	s.handle("GET", "/v1/deliveries", s.listDeliveries, admin)
	s.handle("GET", "/v1/deliveries/{id}", s.getDelivery, admin)
	s.handle("POST", "/v1/deliveries/{id}/retry", s.retryDelivery, admin)
	return s
}

// Routes lists what is registered, for the OpenAPI contract test.
func (s *Server) Routes() []Route { return s.routes }

// access says who may call a route.
type access int

const (
	public access = iota
	admin
)

func (s *Server) handle(method, path string, h http.HandlerFunc, who access) {
	s.routes = append(s.routes, Route{method, path})
	if who != public {
		h = s.authenticated(h)
	}
	s.mux.HandleFunc(method+" "+path, h)
}

// ServeHTTP answers unknown paths and methods with problem+json too.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if v := recover(); v != nil && v != http.ErrAbortHandler {
			slog.Error("handler panicked", "method", r.Method, "path", r.URL.Path, "panic", v, "stack", string(debug.Stack()))
			fail(w, r, fmt.Errorf("panic: %v", v))
		}
	}()
	h, pattern := s.mux.Handler(r)
	if pattern != "" {
		s.mux.ServeHTTP(w, r) // sets the path values that Handler does not
		return
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	if allow := rec.Header().Get("Allow"); allow != "" {
		w.Header().Set("Allow", allow)
		writeProblem(w, newProblem(http.StatusMethodNotAllowed, "method-not-allowed", r.Method+" is not supported on "+r.URL.Path+"; use "+allow+"."))
		return
	}
	writeProblem(w, newProblem(http.StatusNotFound, "not-found", "No route "+r.Method+" "+r.URL.Path+"; the API lives under /v1 and is described at /v1/openapi.json."))
}

type keyContext struct{}

// authenticated requires an admin bearer key.
func (s *Server) authenticated(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		secret, ok := auth.BearerToken(r.Header.Get("Authorization"))
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="eventgate"`)
			writeProblem(w, newProblem(http.StatusUnauthorized, "unauthenticated", "Send an API key as 'Authorization: Bearer <key>'."))
			return
		}
		key, err := auth.Authenticate(r.Context(), s.g.Store, secret, time.Now())
		if err == auth.ErrUnauthenticated {
			w.Header().Set("WWW-Authenticate", `Bearer realm="eventgate", error="invalid_token"`)
			writeProblem(w, newProblem(http.StatusUnauthorized, "unauthenticated", "The API key is unknown, revoked or expired; check that you copied it whole."))
			return
		}
		if err != nil {
			fail(w, r, err)
			return
		}
		if key.Scope != auth.ScopeAdmin {
			writeProblem(w, newProblem(http.StatusForbidden, "forbidden", "This key's scope ("+key.Scope+") does not allow this request."))
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
		go s.g.Store.TouchKey(context.Background(), k.ID, now.UTC())
	}
}

func callerKey(r *http.Request) *store.Key {
	k, _ := r.Context().Value(keyContext{}).(*store.Key)
	return k
}

func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}
