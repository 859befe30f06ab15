package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/eventgate/eventgate/internal/auth"
	"github.com/eventgate/eventgate/internal/event"
	"github.com/eventgate/eventgate/internal/ingest"
	"github.com/eventgate/eventgate/internal/observe"
	"github.com/eventgate/eventgate/internal/source"
	"github.com/eventgate/eventgate/internal/store"
)

// CreateSource validates, completes and stores a new source.
func (g *Gateway) CreateSource(ctx context.Context, who auth.Principal, s *source.Source) error {
	if err := adminOnly(who); err != nil {
		return err
	}
	// Stores keep microseconds: answer now what a read will answer later.
	s.ID, s.CreatedAt, s.Counts = event.NewID(event.PrefixSource), time.Now().UTC().Truncate(time.Microsecond), source.Counts{}
	s.Verify.PreviousSecret, s.Verify.PreviousExpiresAt = "", time.Time{} // only a rotation makes them
	s.ApplyDefaults()
	if err := s.Validate(); err != nil {
		return err
	}
	if err := g.store.CreateSource(ctx, s); err != nil {
		return err
	}
	g.audit(ctx, who, AuditSourceCreate, s.ID, nil, snapshot(s))
	return nil
}

// SourceChange is a change to a source; nil fields stay as they are.
type SourceChange struct {
	Name      *string
	Verify    *VerifyChange
	EventType *source.Locator
	Dedupe    *source.Locator
	NoDedupe  bool // remove the dedupe rule (standard-webhooks sources get their default back)
	// SecretOverlap is how long the secret that Verify.Secret replaces keeps
	// verifying (default DefaultSecretOverlap; 0: it stops at once).
	SecretOverlap *time.Duration
}

// VerifyChange changes a source's verification; fields present replace.
// A change of type starts the settings afresh from the fields given.
type VerifyChange struct {
	Type      *string `json:"type"`
	Secret    *string `json:"secret"`
	Header    *string `json:"header"`
	Algorithm *string `json:"algorithm"`
	Encoding  *string `json:"encoding"`
	Prefix    *string `json:"prefix"`
}

// DefaultSecretOverlap is how long a source's replaced secret keeps
// verifying unless the change says otherwise, as a subscription's
// rotated-out signing secret keeps signing.
const DefaultSecretOverlap = 24 * time.Hour

// maxSecretOverlap bounds a rotation's overlap: an old secret is retired, not kept.
const maxSecretOverlap = 30 * 24 * time.Hour

// UpdateSource changes a source's settings and rotates its secret; its
// ingest URL stays the same.
func (g *Gateway) UpdateSource(ctx context.Context, who auth.Principal, id string, c SourceChange) (*source.Source, error) {
	if err := adminOnly(who); err != nil {
		return nil, err
	}
	src, err := g.store.GetSource(ctx, id)
	if err != nil {
		return nil, err
	}
	old := snapshot(src)
	now := time.Now()
	var p event.Problems
	if c.Name != nil {
		src.Name = *c.Name
	}
	if c.EventType != nil {
		src.EventType = *c.EventType
	}
	if c.NoDedupe {
		src.Dedupe = nil
	} else if c.Dedupe != nil {
		src.Dedupe = c.Dedupe
	}
	overlap := DefaultSecretOverlap
	if c.SecretOverlap != nil {
		overlap = *c.SecretOverlap
		switch {
		case c.Verify == nil || c.Verify.Secret == nil:
			p.Add("secret_overlap", "applies only with a new verify.secret")
		case overlap < 0 || overlap > maxSecretOverlap:
			p.Add("secret_overlap", fmt.Sprintf("must be between 0s (the old secret stops at once) and %v", maxSecretOverlap))
		}
	}
	if v := c.Verify; v != nil {
		if v.Type != nil && *v.Type != src.Verify.Type {
			kept := src.Verify
			src.Verify = source.Verify{Type: *v.Type, Secret: kept.Secret, PreviousSecret: kept.PreviousSecret, PreviousExpiresAt: kept.PreviousExpiresAt}
		}
		for _, f := range []struct{ stored, changed *string }{
			{&src.Verify.Header, v.Header}, {&src.Verify.Algorithm, v.Algorithm}, {&src.Verify.Encoding, v.Encoding}, {&src.Verify.Prefix, v.Prefix},
		} {
			if f.changed != nil {
				*f.stored = *f.changed
			}
		}
		if v.Secret != nil && *v.Secret != src.Verify.Secret {
			src.Verify.Rotate(*v.Secret, overlap, now)
		}
	}
	if !now.Before(src.Verify.PreviousExpiresAt) {
		src.Verify.PreviousSecret, src.Verify.PreviousExpiresAt = "", time.Time{} // its overlap is over
	}
	src.ApplyDefaults()
	p.Merge("", src.Validate())
	if err := p.Err(); err != nil {
		return nil, err
	}
	if err := g.store.UpdateSource(ctx, src); err != nil {
		return nil, err
	}
	g.audit(ctx, who, AuditSourceUpdate, id, old, snapshot(src))
	src.Counts = src.Counts.Plus(g.sourceCounts.unwritten(id))
	return src, nil
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

// SourceExists returns store.ErrNotFound for an unknown source, so that
// its ingest URL can be answered before a body is read.
func (g *Gateway) SourceExists(ctx context.Context, id string) error {
	_, err := g.store.GetSource(ctx, id)
	return err
}

// Receive verifies an inbound request and publishes the event it stands
// for; it routes like any other. Errors: store.ErrNotFound for an unknown
// source, a *source.Rejection when the request is not the provider's,
// source.ErrNotJSON, a *jsonscan.Error for JSON that is not I-JSON, or a
// *event.ValidationError when no valid event can be made of it (event
// type, dedupe id, catalog schema).
func (g *Gateway) Receive(ctx context.Context, in Inbound) (Receipt, error) {
	src, err := g.store.GetSource(ctx, in.SourceID)
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
	stored, err := g.ingest.Publish(ctx, []ingest.Entry{entry})
	if err != nil {
		return Receipt{}, err
	}
	r := Receipt{EventID: stored[0].ID, Replayed: stored[0].Replayed}
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
	if err := g.catalog.Check(e); err != nil {
		return ingest.Entry{}, err
	}
	return ingest.Entry{Event: e, IdempotencyKey: key}, nil
}

// countSource records an outcome; counters are written in the background.
func (g *Gateway) countSource(_ context.Context, id string, c source.Counts) {
	g.sourceCounts.add(id, c)
}

// ListSources answers a page of sources.
func (g *Gateway) ListSources(ctx context.Context, who auth.Principal, page store.Page) ([]*source.Source, string, error) {
	if err := adminOnly(who); err != nil {
		return nil, "", err
	}
	return g.store.ListSources(ctx, page)
}

// DeleteSource removes a source: its ingest URL stops answering.
func (g *Gateway) DeleteSource(ctx context.Context, who auth.Principal, id string) error {
	if err := adminOnly(who); err != nil {
		return err
	}
	src, err := g.store.GetSource(ctx, id)
	if err != nil {
		return err
	}
	if err := g.store.DeleteSource(ctx, id); err != nil {
		return err
	}
	g.audit(ctx, who, AuditSourceDelete, id, snapshot(src), nil)
	return nil
}

// GetSource returns a source with its counters up to this moment.
func (g *Gateway) GetSource(ctx context.Context, who auth.Principal, id string) (*source.Source, error) {
	if err := adminOnly(who); err != nil {
		return nil, err
	}
	src, err := g.store.GetSource(ctx, id)
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
