package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/eventgate/eventgate/internal/catalog"
	"github.com/eventgate/eventgate/internal/event"
	"github.com/eventgate/eventgate/internal/ingest"
	"github.com/eventgate/eventgate/internal/jsonscan"
	"github.com/eventgate/eventgate/internal/store"
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

// entry validates the request, against the caller's grants and the
// catalog, and makes the event to publish.
func (p *publishRequest) entry(key *store.Key, idempotencyKey string, cat *catalog.Catalog) (ingest.Entry, error) {
	e := &event.Event{ID: p.ID, Type: p.Type, Source: p.Source, Subject: p.Subject, Severity: p.Severity, Attributes: p.Attributes, Data: p.Data}
	if err := e.Validate(); err != nil {
		return ingest.Entry{}, err
	}
	if err := mayPublish(key, e); err != nil {
		return ingest.Entry{}, err
	}
	if err := cat.Check(e); err != nil {
		return ingest.Entry{}, err
	}
	clientID := e.ID != ""
	if !clientID {
		e.ID = event.NewID(event.PrefixEvent)
	}
	e.Time = time.Now().UTC()
	if p.Time != nil {
		e.Time = p.Time.UTC()
	}
	return ingest.Entry{Event: e, IdempotencyKey: idempotencyKey, ClientID: clientID}, nil
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
	return callerKey(r).ID + ":" + v, nil
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
	entry, err := req.entry(callerKey(r), key, s.g.Catalog)
	if err != nil {
		fail(w, r, err)
		return
	}
	if err := s.limiter.admit(w, callerKey(r).ID, 1); err != nil {
		fail(w, r, err)
		return
	}
	ids, err := s.g.Ingest.Publish(r.Context(), []ingest.Entry{entry})
	if err != nil {
		fail(w, r, err)
		return
	}
	if ids[0] != entry.Event.ID || entry.ClientID {
		// A repeat answers as the original did; the header tells a client that cares.
		w.Header().Set("Idempotent-Replayed", fmt.Sprint(ids[0] != entry.Event.ID))
	}
	writeJSON(w, http.StatusAccepted, map[string]string{"id": ids[0]})
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
	var entries []ingest.Entry
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
		entry, err := req.entry(callerKey(r), entryKey, s.g.Catalog)
		if err != nil {
			results[i].Error = problemFor(r, err)
			continue
		}
		entries = append(entries, entry)
		positions = append(positions, i)
	}
	if len(entries) > 0 {
		if err := s.limiter.admit(w, callerKey(r).ID, len(entries)); err != nil {
			fail(w, r, err)
			return
		}
		ids, err := s.g.Ingest.Publish(r.Context(), entries)
		if err != nil {
			fail(w, r, err)
			return
		}
		for j, id := range ids {
			results[positions[j]].ID = id
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
		return s.g.Store.ListEvents(r.Context(), store.EventQuery{Page: page, Type: r.URL.Query().Get("type")})
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
	e, err := s.g.Store.GetEvent(r.Context(), r.PathValue("id"))
	if err != nil {
		fail(w, r, err)
		return
	}
	ds, _, err := s.g.Store.ListDeliveries(r.Context(), store.DeliveryQuery{EventID: e.ID, Page: store.Page{Limit: store.MaxLimit}})
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
