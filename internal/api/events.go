package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/eventgate/eventgate/internal/event"
	"github.com/eventgate/eventgate/internal/gateway"
	"github.com/eventgate/eventgate/internal/jsonscan"
	"github.com/eventgate/eventgate/internal/store"
	"github.com/eventgate/eventgate/internal/tracing"
)

// MaxBatch is the most events one batch may carry.
const MaxBatch = 500

// publishRequest is an event as a publisher sends it.
type publishRequest struct {
	ID         string          `json:"id"`
	Type       string          `json:"type"`
	Source     string          `json:"source"`
	Subject    string          `json:"subject"`
	Time       *time.Time      `json:"time"`
	Severity   string          `json:"severity"`
	Attributes map[string]any  `json:"attributes"`
	Data       json.RawMessage `json:"data"`
}

// event is the event the request stands for; the gateway checks it.
func (p *publishRequest) event() *event.Event {
	e := &event.Event{ID: p.ID, Type: p.Type, Source: p.Source, Subject: p.Subject, Severity: p.Severity, Attributes: p.Attributes, Data: p.Data}
	if p.Time != nil {
		e.Time = *p.Time
	}
	return e
}

// idempotencyKey scopes the client's Idempotency-Key to the calling API
// key, so two publishers cannot collide.
func idempotencyKey(r *http.Request) (string, error) {
	v := r.Header.Get("Idempotency-Key")
	if v == "" {
		return "", nil
	}
	if len(v) > 255 {
		return "", newProblem(http.StatusBadRequest, "bad-header", "Idempotency-Key must be at most 255 characters.")
	}
	return caller(r).KeyID + ":" + v, nil
}

func (s *Server) publish(w http.ResponseWriter, r *http.Request) {
	var req publishRequest
	if err := decode(w, r, MaxEventBody, &req); err != nil {
		fail(w, r, err)
		return
	}
	key, err := idempotencyKey(r)
	if err != nil {
		fail(w, r, err)
		return
	}
	prepared, err := s.g.Prepare(caller(r), req.event(), key)
	if err != nil {
		fail(w, r, err)
		return
	}
	if err := s.limiter.admit(w, caller(r).KeyID, 1); err != nil {
		fail(w, r, err)
		return
	}
	stored, err := s.g.Publish(tracing.Extract(r.Context(), r.Header), []gateway.Prepared{prepared})
	if err == nil {
		err = stored[0].Err
	}
	if err != nil {
		fail(w, r, err)
		return
	}
	if stored[0].Replayed || prepared.ClientID() {
		// A repeat answers as the original did; the header tells a client that cares.
		w.Header().Set("Idempotent-Replayed", fmt.Sprint(stored[0].Replayed))
	}
	writeJSON(w, http.StatusAccepted, map[string]string{"id": stored[0].ID})
}

// batchResult is one entry's answer: an id, or why it was refused.
type batchResult struct {
	ID    string   `json:"id,omitempty"`
	Error *Problem `json:"error,omitempty"`
}

func (s *Server) publishBatch(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(w, r, MaxBatchBody)
	if err != nil {
		fail(w, r, jsonProblem(err, MaxBatchBody))
		return
	}
	requests, decodeErrs, err := decodeBatch(body)
	if err != nil {
		fail(w, r, err)
		return
	}
	key, err := idempotencyKey(r)
	if err != nil {
		fail(w, r, err)
		return
	}
	results := make([]batchResult, len(requests))
	var entries []gateway.Prepared
	var positions []int
	for i, req := range requests {
		if decodeErrs[i] != nil {
			results[i].Error = problemFor(r, decodeErrs[i])
			continue
		}
		entryKey := key
		if key != "" {
			entryKey = fmt.Sprintf("%s#%d", key, i)
		}
		entry, err := s.g.Prepare(caller(r), req.event(), entryKey)
		if err != nil {
			results[i].Error = problemFor(r, err)
			continue
		}
		entries = append(entries, entry)
		positions = append(positions, i)
	}
	if len(entries) > 0 {
		if err := s.limiter.admit(w, caller(r).KeyID, len(entries)); err != nil {
			fail(w, r, err)
			return
		}
		stored, err := s.g.Publish(tracing.Extract(r.Context(), r.Header), entries)
		if err != nil {
			fail(w, r, err)
			return
		}
		for j, st := range stored {
			if st.Err != nil {
				results[positions[j]].Error = problemFor(r, st.Err)
			}
			results[positions[j]].ID = st.ID
		}
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"results": results})
}

// decodeBatch reads {"events": [...]}: the requests, and for each entry
// that could not be decoded, why. A well-formed batch of strict JSON is
// decoded in one pass (decodeEvents); any other is decoded again into raw
// entries and each of those on its own, so that each bad entry gets its
// own error and the good ones are still published.
func decodeBatch(body []byte) ([]publishRequest, []error, error) {
	strictErrs, strictErr := jsonscan.CheckEntries(body, "events")
	if strictErr == nil && strictErrs == nil {
		if requests, ok := decodeEvents(body); ok && entriesFit(requests) {
			return requests, make([]error, len(requests)), checkBatchSize(requests)
		}
	}
	var raw struct {
		Events []json.RawMessage `json:"events"`
	}
	if err := decodeLoose(body, MaxBatchBody, &raw); err != nil {
		return nil, nil, err
	}
	if strictErr != nil { // after decodeLoose, which explains plain syntax errors better
		return nil, nil, strictErr
	}
	if err := checkBatchSize(raw.Events); err != nil {
		return nil, nil, err
	}
	requests := make([]publishRequest, len(raw.Events))
	errs := make([]error, len(raw.Events))
	for i, entry := range raw.Events {
		if len(entry) > MaxEventBody {
			errs[i] = newProblem(http.StatusRequestEntityTooLarge, "too-large", fmt.Sprintf("This event is larger than %d KiB.", MaxEventBody>>10))
			continue
		}
		if errs[i] = strictErrs[i]; errs[i] == nil {
			errs[i] = decodeLoose(entry, MaxEventBody, &requests[i]) // strict: checked with the body
		}
	}
	return requests, errs, nil
}

// decodeEvents decodes a body that is exactly {"events": [...]} with
// well-formed entries one entry at a time, so that the decoder holds one
// event, not a copy of the whole body grown step by step (2.5 KB allocated
// per event of a batch of 100, BenchmarkDecodeBatch). Anything else it leaves to decodeBatch's
// general path, which explains what is wrong.
func decodeEvents(body []byte) ([]publishRequest, bool) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	if !nextToken(dec, json.Delim('{')) || !nextToken(dec, "events") || !nextToken(dec, json.Delim('[')) {
		return nil, false
	}
	requests := []publishRequest{}
	for dec.More() {
		requests = append(requests, publishRequest{})
		if dec.Decode(&requests[len(requests)-1]) != nil {
			return nil, false
		}
	}
	if !nextToken(dec, json.Delim(']')) || !nextToken(dec, json.Delim('}')) {
		return nil, false
	}
	_, err := dec.Token()
	return requests, err == io.EOF
}

// nextToken reports whether the decoder's next token is want.
func nextToken(dec *json.Decoder, want json.Token) bool {
	tok, err := dec.Token()
	return err == nil && tok == want
}

// entriesFit reports whether every entry is surely within MaxEventBody;
// when one may not be, the entry-by-entry decoding measures it exactly.
func entriesFit(requests []publishRequest) bool {
	for _, r := range requests {
		if len(r.Data) > MaxEventBody/2 {
			return false
		}
	}
	return true
}

func checkBatchSize[T any](events []T) error {
	switch {
	case events == nil:
		return validation("events", "is required: an array of events")
	case len(events) == 0 || len(events) > MaxBatch:
		return validation("events", fmt.Sprintf("must hold 1 to %d events, not %d; split larger batches", MaxBatch, len(events)))
	}
	return nil
}

func validation(field, message string) error {
	var p event.Problems
	p.Add(field, message)
	return p.Err()
}

func (s *Server) listEvents(w http.ResponseWriter, r *http.Request) {
	serveList(w, r, func(page store.Page) ([]*event.Event, string, error) {
		return s.g.ListEvents(r.Context(), caller(r), store.EventQuery{Page: page, Type: r.URL.Query().Get("type")})
	}, asIs)
}

// deliverySummary is a delivery as shown with its event.
type deliverySummary struct {
	ID             string               `json:"id"`
	SubscriptionID string               `json:"subscription_id"`
	Status         event.DeliveryStatus `json:"status"`
	Attempts       int                  `json:"attempt_count"`
}

func (s *Server) getEvent(w http.ResponseWriter, r *http.Request) {
	e, ds, err := s.g.GetEvent(r.Context(), caller(r), r.PathValue("id"))
	if err != nil {
		fail(w, r, err)
		return
	}
	summary := make([]deliverySummary, len(ds))
	for i, d := range ds {
		summary[i] = deliverySummary{d.ID, d.SubscriptionID, d.Status, d.Attempts}
	}
	writeJSON(w, http.StatusOK, struct {
		*event.Event
		Deliveries []deliverySummary `json:"deliveries"`
	}{e, summary})
}
