package gateway

import (
	"context"
	"time"

	"github.com/eventgate/eventgate/internal/auth"
	"github.com/eventgate/eventgate/internal/event"
	"github.com/eventgate/eventgate/internal/ingest"
	"github.com/eventgate/eventgate/internal/store"
	"github.com/eventgate/eventgate/internal/tracing"
)

// Prepared is an event checked against its publisher's grants and the
// catalog, ready to publish. Only Prepare makes one, so nothing reaches
// the log unchecked.
type Prepared struct{ entry ingest.Entry }

// ID is the event's id: the client's, or one the gateway chose.
func (p Prepared) ID() string { return p.entry.Event.ID }

// ClientID reports whether the client chose the event's id.
func (p Prepared) ClientID() bool { return p.entry.ClientID }

// Prepare validates an event as who publishes it: who's publish grant,
// the sources only the gateway stamps (a partner's events are stamped
// partner/<id>), and the catalog. It gives the event an id and a time when
// the client gave none. idempotencyKey is already scoped to the caller.
func (g *Gateway) Prepare(who auth.Principal, e *event.Event, idempotencyKey string) (Prepared, error) {
	if err := e.Validate(); err != nil {
		return Prepared{}, err
	}
	if err := checkPublish(who, e); err != nil {
		return Prepared{}, err
	}
	if err := g.catalog.Check(e); err != nil {
		return Prepared{}, err
	}
	clientID := e.ID != ""
	if !clientID {
		e.ID = event.NewID(event.PrefixEvent)
	}
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	e.Time = e.Time.UTC()
	return Prepared{ingest.Entry{Event: e, IdempotencyKey: idempotencyKey, ClientID: clientID, Publisher: who.KeyID}}, nil
}

// Publish stores prepared events and their deliveries in one commit and
// says what each came to: stored, a repeat of an earlier one, or refused.
// A trace context in ctx (tracing.Extract) is continued by the publish's
// span, which the events' deliveries continue in turn.
func (g *Gateway) Publish(ctx context.Context, events []Prepared) ([]ingest.Stored, error) {
	ctx, span := tracing.StartPublish(ctx, len(events))
	traceParent := tracing.TraceParent(ctx)
	entries := make([]ingest.Entry, len(events))
	for i, p := range events {
		entries[i] = p.entry
		entries[i].TraceParent = traceParent
	}
	stored, err := g.ingest.Publish(ctx, entries)
	span.End(err)
	return stored, err
}

// ListEvents answers a page of stored events.
func (g *Gateway) ListEvents(ctx context.Context, who auth.Principal, q store.EventQuery) ([]*event.Event, string, error) {
	if err := adminOnly(who); err != nil {
		return nil, "", err
	}
	return g.store.ListEvents(ctx, q)
}

// GetEvent returns a stored event with its deliveries.
func (g *Gateway) GetEvent(ctx context.Context, who auth.Principal, id string) (*event.Event, []*event.Delivery, error) {
	if err := adminOnly(who); err != nil {
		return nil, nil, err
	}
	e, err := g.store.GetEvent(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	ds, _, err := g.store.ListDeliveries(ctx, store.DeliveryQuery{EventID: e.ID, Page: store.Page{Limit: store.MaxLimit}})
	return e, ds, err
}
