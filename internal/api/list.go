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

// serveList answers one page of a list: it reads ?limit= and ?after=,
// fetches, shows each item as view says, and writes the page or the problem.
func serveList[T, V any](w http.ResponseWriter, r *http.Request, fetch func(store.Page) ([]T, string, error), view func(T) V) {
	page, err := pageParams(r)
	if err != nil {
		fail(w, r, err)
		return
	}
	items, next, err := fetch(page)
	if err != nil {
		fail(w, r, err)
		return
	}
	views := make([]V, len(items))
	for i, item := range items {
		views[i] = view(item)
	}
	writeList(w, views, next)
}

// asIs shows an item as it is.
func asIs[T any](item T) T { return item }
