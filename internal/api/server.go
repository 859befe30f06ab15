// Package api is eventgate's REST API: plain net/http handlers over the
// gateway's operations, errors as RFC 9457 problem+json.
package api

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime/debug"

	"golang.org/x/time/rate"

	"github.com/eventgate/eventgate/internal/gateway"
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

	limiter *publishLimiter
	bodies  *bodyBudget
}

// Route is one registered method and path, as the OpenAPI document names it.
type Route struct{ Method, Path string }

// New returns the API handler.
func New(g *gateway.Gateway) *Server {
	s := &Server{g: g, mux: http.NewServeMux(),
		limiter: &publishLimiter{perSecond: g.Settings().PublishRateLimit, buckets: map[string]*rate.Limiter{}},
		bodies:  newBodyBudget(cmp.Or(g.Settings().MaxBodyMemory, DefaultBodyMemory))}
	s.handle("GET", "/healthz", s.health, public)
	s.handle("GET", "/readyz", s.ready, public)
	s.handle("GET", "/v1/openapi.json", serveOpenAPI, public)
	s.handle("GET", "/metrics", s.metrics, admin)

	s.handle("POST", "/v1/events", s.publish, publishers)
	s.handle("POST", "/v1/events/batch", s.publishBatch, publishers)
	s.handle("GET", "/v1/events", s.listEvents, admin)
	s.handle("GET", "/v1/events/{id}", s.getEvent, admin)

	s.handle("POST", "/v1/subscriptions", s.createSubscription, partners)
	s.handle("GET", "/v1/subscriptions", s.listSubscriptions, partners)
	s.handle("GET", "/v1/subscriptions/{id}", s.getSubscription, partners)
	s.handle("PATCH", "/v1/subscriptions/{id}", s.updateSubscription, partners)
	s.handle("DELETE", "/v1/subscriptions/{id}", s.deleteSubscription, partners)
	s.handle("POST", "/v1/subscriptions/{id}/pause", s.pauseSubscription, partners)
	s.handle("POST", "/v1/subscriptions/{id}/resume", s.resumeSubscription, partners)
	s.handle("POST", "/v1/subscriptions/{id}/rotate-secret", s.rotateSecret, partners)
	s.handle("POST", "/v1/subscriptions/{id}/redrive", s.redrive, partners)
	s.handle("POST", "/v1/subscriptions/{id}/pull", s.pull, partners)
	s.handle("POST", "/v1/subscriptions/{id}/ack", s.ack, partners)
	s.handle("POST", "/v1/subscriptions/{id}/nack", s.nack, partners)
	s.handle("GET", "/v1/subscriptions/{id}/stream", s.stream, partners)

	s.handle("POST", "/v1/filters/test", s.testFilter, partners)
	s.handle("POST", "/v1/transforms/test", s.testTransform, partners)

	s.handle("POST", "/v1/partners", s.createPartner, admin)
	s.handle("GET", "/v1/partners", s.listPartners, admin)
	s.handle("GET", "/v1/partners/{id}", s.getPartner, admin)
	s.handle("PATCH", "/v1/partners/{id}", s.updatePartner, admin)
	s.handle("DELETE", "/v1/partners/{id}", s.deletePartner, admin)
	s.handle("GET", "/v1/partners/{id}/usage", s.partnerUsage, partners)

	s.handle("POST", "/v1/keys", s.createKey, admin)
	s.handle("GET", "/v1/keys", s.listKeys, admin)
	s.handle("DELETE", "/v1/keys/{id}", s.revokeKey, admin)

	s.handle("GET", "/v1/event-types", s.listEventTypes, partners)
	s.handle("GET", "/v1/event-types/{name}", s.getEventType, partners)
	s.handle("PUT", "/v1/event-types/{name}", s.putEventType, admin)
	s.handle("PATCH", "/v1/event-types/{name}", s.patchEventType, admin)
	s.handle("DELETE", "/v1/event-types/{name}", s.deleteEventType, admin)

	s.handle("GET", "/v1/deliveries", s.listDeliveries, partners)
	s.handle("GET", "/v1/deliveries/{id}", s.getDelivery, partners)
	s.handle("POST", "/v1/deliveries/{id}/retry", s.retryDelivery, partners)

	s.handle("POST", "/v1/sources", s.createSource, admin)
	s.handle("GET", "/v1/sources", s.listSources, admin)
	s.handle("GET", "/v1/sources/{id}", s.getSource, admin)
	s.handle("PATCH", "/v1/sources/{id}", s.patchSource, admin)
	s.handle("DELETE", "/v1/sources/{id}", s.deleteSource, admin)
	s.handle("POST", "/v1/replays", s.createReplay, partners)
	s.handle("GET", "/v1/replays", s.listReplays, partners)
	s.handle("GET", "/v1/replays/{id}", s.getReplay, partners)
	s.handle("DELETE", "/v1/replays/{id}", s.cancelReplay, partners)

	s.handle("GET", "/v1/audit", s.listAudit, admin)

	// Providers' webhooks: the signature is the authentication.
	s.handle("POST", "/ingest/{id}", s.receive, public)
	return s
}

// Routes lists what is registered, for the OpenAPI contract test.
func (s *Server) Routes() []Route { return s.routes }

func (s *Server) handle(method, path string, h http.HandlerFunc, who access) {
	s.routes = append(s.routes, Route{method, path})
	if who != public {
		h = s.authenticated(who, h)
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
	r, release := s.bodies.hold(r)
	defer release()
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

func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// ready says whether this node can take events, for load balancers: not
// while its last commit failed for lack of disk space, nor while the store
// does not answer or lacks this build's schema.
func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	err := s.g.Ready(r.Context())
	switch {
	case errors.Is(err, gateway.ErrDiskFull):
		writeProblem(w, newProblem(http.StatusServiceUnavailable, "disk-full", diskFullDetail+" It is ready again once a write succeeds."))
	case err != nil:
		writeProblem(w, newProblem(http.StatusServiceUnavailable, "store-unavailable", "The gateway cannot use its store: it did not answer within 2 s, or it lacks this release's migrations (run `eventgate migrate`); the node's log says which. It is ready again once the store answers."))
	default:
		writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	}
}

// metrics serves Prometheus metrics to admin keys, unless they are served
// on their own listener (serve --metrics-addr).
func (s *Server) metrics(w http.ResponseWriter, r *http.Request) {
	h := s.g.Settings().Metrics
	if h == nil {
		writeProblem(w, newProblem(http.StatusNotFound, "not-found", "Metrics are not served on this listener: this node serves them on the address set by serve --metrics-addr."))
		return
	}
	h.ServeHTTP(w, r)
}
