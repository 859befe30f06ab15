package api

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// slowBody is a request body that gives each chunk as it is sent, and
// blocks until then.
type slowBody struct{ chunks chan string }

func (b slowBody) Read(p []byte) (int, error) {
	chunk, ok := <-b.chunks
	if !ok {
		return 0, io.EOF
	}
	return copy(p, chunk), nil // chunks here are smaller than p
}

func (b slowBody) Close() error { return nil }

// budgetedRequest is a request whose body charges budget, as
// Server.ServeHTTP arranges; the function returned ends it.
func budgetedRequest(budget *bodyBudget, body io.Reader, announced int64) (*http.Request, func()) {
	r := httptest.NewRequest("POST", "/v1/events/batch", body)
	r.ContentLength = announced
	return budget.hold(r)
}

// TestReadBodyHoldsWhatArrived: a client that announces 8 MiB and sends
// 10 KiB holds a buffer for about 10 KiB, not 8 MiB.
func TestReadBodyHoldsWhatArrived(t *testing.T) {
	budget := newBodyBudget(DefaultBodyMemory)
	body := slowBody{make(chan string)}
	r, release := budgetedRequest(budget, body, MaxBatchBody)
	defer release()
	read := make(chan error, 1)
	go func() {
		_, err := readBody(httptest.NewRecorder(), r, MaxBatchBody)
		read <- err
	}()
	for range 10 {
		body.chunks <- strings.Repeat(" ", 1<<10)
	}
	body.chunks <- "" // taken once the reader made room for the ten before
	if held := r.Body.(*heldBody).held; held > firstRead {
		t.Fatalf("the reader holds %d bytes for 10 KiB received (announced %d)", held, MaxBatchBody)
	}
	close(body.chunks)
	if err := <-read; err != nil {
		t.Fatal(err)
	}
}

// TestBodyBudgetRefusesWhenExhausted: while bodies hold the whole budget,
// another request waits, and is answered 503 with Retry-After unless
// memory is released meanwhile.
func TestBodyBudgetRefusesWhenExhausted(t *testing.T) {
	budget := newBodyBudget(4 * firstRead)
	// Doubling from firstRead: 1, 2, then 4 times firstRead, all of it.
	first, releaseFirst := budgetedRequest(budget, strings.NewReader(strings.Repeat(" ", 3*firstRead)), -1)
	if _, err := readBody(httptest.NewRecorder(), first, MaxBatchBody); err != nil {
		t.Fatal(err)
	}

	refused, releaseRefused := budgetedRequest(budget, strings.NewReader(`{"events": []}`), -1)
	defer releaseRefused()
	w := httptest.NewRecorder()
	_, err := readBody(w, refused, MaxBatchBody)
	fail(w, refused, jsonProblem(err, MaxBatchBody))
	var p Problem
	if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") != "1" || json.Unmarshal(w.Body.Bytes(), &p) != nil || !strings.Contains(p.Detail, "--max-body-memory") {
		t.Fatalf("with the budget exhausted: %d, Retry-After %q, %s; want 503 naming --max-body-memory, Retry-After 1", w.Code, w.Header().Get("Retry-After"), w.Body)
	}

	// What a request held is released when it ends.
	releaseFirst()
	later, releaseLater := budgetedRequest(budget, strings.NewReader(strings.Repeat(" ", 3*firstRead)), -1)
	defer releaseLater()
	if _, err := readBody(httptest.NewRecorder(), later, MaxBatchBody); err != nil {
		t.Fatalf("after the first request ended: %v", err)
	}
}
