package gateway

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/eventgate/eventgate/internal/event"
	"github.com/eventgate/eventgate/internal/ingest"
	"github.com/eventgate/eventgate/internal/observe"
	"github.com/eventgate/eventgate/internal/source"
)

// CreateSource validates, completes and stores a new source.
func (g *Gateway) CreateSource(ctx context.Context, s *source.Source) error {
	// Stores keep microseconds: answer now what a read will answer later.
	s.ID, s.CreatedAt, s.Counts = event.NewID(event.PrefixSource), time.Now().UTC().Truncate(time.Microsecond), source.Counts{}
	s.ApplyDefaults()
	if err := s.Validate(); err != nil {
		return err
	}
	return g.Store.CreateSource(ctx, s)
}

// Inbound is one request to a source's ingest URL.
type Inbound struct {
	SourceID string
	Header   http.Header
	Body     []byte
	From     string // the remote address, for the log
}

// Receipt says what became of an inbound request.
type Receipt struct {
	EventID string
	// Replayed says the request repeats an earlier one: EventID is the
	// original event's and nothing new was stored.
	Replayed bool
}

// Receive verifies an inbound request and publishes the event it stands
// for; it routes like any other. Errors: store.ErrNotFound for an unknown
// source, a *source.Rejection when the request is not the provider's,
// source.ErrNotJSON, or a *event.ValidationError when no valid event can be
// made of it (event type, dedupe id, catalog schema).
func (g *Gateway) Receive(ctx context.Context, in Inbound) (Receipt, error) {
	src, err := g.Store.GetSource(ctx, in.SourceID)
	if err != nil {
		return Receipt{}, err
	}
	now := time.Now()
	if err := src.Verify.Check(in.Header, in.Body, now); err != nil {
		var rejection *source.Rejection
		if errors.As(err, &rejection) {
			// Never the body or the secret: only what the operator needs to fix the provider.
			slog.Info("source request rejected", "source", src.ID, "from", in.From, "reason", rejection.Reason)
			g.cfg.Observer.SourceRejected(observe.SourceRejection{SourceID: src.ID, Reason: rejection.Reason})
			g.countSource(ctx, src.ID, source.Counts{Rejected: 1})
		}
		return Receipt{}, err
	}
	entry, err := g.sourceEntry(src, in, now)
	if err != nil {
		slog.Info("source request invalid", "source", src.ID, "from", in.From, "wrong", wrongParts(err))
		g.countSource(ctx, src.ID, source.Counts{Invalid: 1})
		return Receipt{}, err
	}
	ids, err := g.Ingest.Publish(ctx, []ingest.Entry{entry})
	if err != nil {
		return Receipt{}, err
	}
	r := Receipt{EventID: ids[0], Replayed: ids[0] != entry.Event.ID}
	if r.Replayed {
		g.countSource(ctx, src.ID, source.Counts{Duplicates: 1})
	} else {
		g.countSource(ctx, src.ID, source.Counts{Accepted: 1})
	}
	return r, nil
}

// sourceEntry makes the event of a verified request and checks it against the catalog.
func (g *Gateway) sourceEntry(src *source.Source, in Inbound, now time.Time) (ingest.Entry, error) {
	e, key, err := src.Event(in.Header, in.Body, now)
	if err != nil {
		return ingest.Entry{}, err
	}
	if err := g.Catalog.Check(e); err != nil {
		return ingest.Entry{}, err
	}
	return ingest.Entry{Event: e, IdempotencyKey: key}, nil
}

// countSource records an outcome; counters are written in the background.
func (g *Gateway) countSource(_ context.Context, id string, c source.Counts) {
	g.sourceCounts.add(id, c)
}

// GetSource returns a source with its counters up to this moment.
func (g *Gateway) GetSource(ctx context.Context, id string) (*source.Source, error) {
	src, err := g.Store.GetSource(ctx, id)
	if err != nil {
		return nil, err
	}
	src.Counts = src.Counts.Plus(g.sourceCounts.unwritten(id))
	return src, nil
}

// wrongParts names what made a request invalid without quoting the body,
// as validation messages may.
func wrongParts(err error) string {
	var ve *event.ValidationError
	if !errors.As(err, &ve) {
		return err.Error()
	}
	fields := make([]string, len(ve.Fields))
	for i, f := range ve.Fields {
		fields[i] = f.Field
	}
	return strings.Join(fields, ", ")
}
