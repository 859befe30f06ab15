package api

import (
	"net/http"

	"github.com/eventgate/eventgate/internal/store"
)

func (s *Server) listAudit(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	serveList(w, r, func(page store.Page) ([]*store.AuditEntry, string, error) {
		return s.g.ListAudit(r.Context(), caller(r), store.AuditQuery{
			Page: page, ActorKeyID: q.Get("actor"), TargetID: q.Get("target"), Action: q.Get("action"),
		})
	}, asIs)
}
