package api

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/eventgate/eventgate/internal/store"
)

// listPage is the shape of every list answer.
type listPage[T any] struct {
	Data []T     `json:"data"`
	Next *string `json:"next"`
}

func writeList[T any](w http.ResponseWriter, items []T, next string) {
	page := listPage[T]{Data: items}
	if page.Data == nil {
		page.Data = []T{}
	}
	if next != "" {
		page.Next = &next
	}
	writeJSON(w, http.StatusOK, page)
}

// pageParams reads ?limit= and ?after=.
func pageParams(r *http.Request) (store.Page, error) {
	p := store.Page{After: r.URL.Query().Get("after")}
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > store.MaxLimit {
			return p, newProblem(http.StatusBadRequest, "bad-parameter", fmt.Sprintf("limit must be a whole number from 1 to %d, not %q.", store.MaxLimit, v))
		}
		p.Limit = n
	}
	return p, nil
}
