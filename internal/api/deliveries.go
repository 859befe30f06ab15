package api

import (
	"errors"
	"net/http"

	"github.com/eventgate/eventgate/internal/event"
	"github.com/eventgate/eventgate/internal/store"
)

func (s *Server) listDeliveries(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	status := q.Get("status")
	if status != "" && !event.ValidDeliveryStatus(status) {
		fail(w, r, newProblem(http.StatusBadRequest, "bad-parameter", "status must be one of pending, succeeded, failed, dead, not "+status+"."))
		return
	}
	serveList(w, r, func(page store.Page) ([]*event.Delivery, string, error) {
		return s.g.ListDeliveries(r.Context(), caller(r), store.DeliveryQuery{
			Page: page, SubscriptionID: q.Get("subscription_id"), EventID: q.Get("event_id"), Status: event.DeliveryStatus(status),
		})
	}, asIs)
}

func (s *Server) getDelivery(w http.ResponseWriter, r *http.Request) {
	d, attempts, err := s.g.GetDelivery(r.Context(), caller(r), r.PathValue("id"))
	if err != nil {
		fail(w, r, err)
		return
	}
	if attempts == nil {
		attempts = []*event.Attempt{}
	}
	writeJSON(w, http.StatusOK, struct {
		*event.Delivery
		Attempts []*event.Attempt `json:"attempts"`
	}{d, attempts})
}

func (s *Server) retryDelivery(w http.ResponseWriter, r *http.Request) {
	d, err := s.g.Retry(r.Context(), caller(r), r.PathValue("id"))
	if errors.Is(err, store.ErrConflict) {
		fail(w, r, newProblem(http.StatusConflict, "conflict", "The delivery is already waiting to be sent; it needs no retry."))
		return
	}
	if err != nil {
		fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, d)
}
