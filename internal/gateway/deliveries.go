package gateway

import (
	"context"

	"github.com/eventgate/eventgate/internal/auth"
	"github.com/eventgate/eventgate/internal/event"
	"github.com/eventgate/eventgate/internal/store"
)

// ListDeliveries answers a page of the deliveries who may see: a
// partner's query is narrowed to its own subscriptions.
func (g *Gateway) ListDeliveries(ctx context.Context, who auth.Principal, q store.DeliveryQuery) ([]*event.Delivery, string, error) {
	if err := adminsAndPartners(who); err != nil {
		return nil, "", err
	}
	if who.IsPartner() {
		q.PartnerID = who.PartnerID
	}
	return g.store.ListDeliveries(ctx, q)
}

// GetDelivery returns a delivery who may see, with its attempts.
func (g *Gateway) GetDelivery(ctx context.Context, who auth.Principal, id string) (*event.Delivery, []*event.Attempt, error) {
	d, err := g.ownDelivery(ctx, who, id)
	if err != nil {
		return nil, nil, err
	}
	attempts, err := g.store.ListAttempts(ctx, d.ID)
	return d, attempts, err
}
