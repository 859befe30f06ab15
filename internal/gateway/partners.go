package gateway

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/eventgate/eventgate/internal/auth"
	"github.com/eventgate/eventgate/internal/event"
	"github.com/eventgate/eventgate/internal/store"
)

// ErrQuota is a request refused because a partner's quota is used up.
var ErrQuota = errors.New("quota exceeded")

// CreatePartner validates and stores a new partner.
func (g *Gateway) CreatePartner(ctx context.Context, p *event.Partner) error {
	now := time.Now().UTC()
	p.ID, p.CreatedAt, p.UpdatedAt = event.NewID(event.PrefixPartner), now, now
	p.ApplyDefaults()
	if err := p.Validate(); err != nil {
		return err
	}
	return g.Store.CreatePartner(ctx, p)
}

// UpdatePartner stores a changed partner (a copy of the stored one).
func (g *Gateway) UpdatePartner(ctx context.Context, p *event.Partner) error {
	p.UpdatedAt = time.Now().UTC()
	p.ApplyDefaults()
	if err := p.Validate(); err != nil {
		return err
	}
	if err := g.Store.UpdatePartner(ctx, p); err != nil {
		return err
	}
	// A changed quota takes effect now, not at the leader's next check.
	g.quota.forget(p.ID)
	return g.enforceQuota(ctx, p, time.Now())
}

// DeletePartner stops a partner: its subscriptions are disabled and its
// keys revoked.
func (g *Gateway) DeletePartner(ctx context.Context, id string) error {
	if err := g.Store.DeletePartner(ctx, id, time.Now().UTC()); err != nil {
		return err
	}
	return g.reloadSubscriptions(ctx)
}

// reloadSubscriptions refreshes the router from the store after a change
// that touched many subscriptions at once.
func (g *Gateway) reloadSubscriptions(ctx context.Context) error {
	subs, err := g.Store.AllSubscriptions(ctx)
	if err != nil {
		return err
	}
	return g.Router.Load(subs)
}

// checkPartner makes sure a partner's subscription names an existing
// partner and one of its environments.
func (g *Gateway) checkPartner(ctx context.Context, s *event.Subscription) error {
	var v event.Problems
	if s.PartnerID == "" {
		if s.Environment != "" {
			v.Add("environment", "belongs to a partner: set partner_id too, or leave environment out")
		}
		return v.Err()
	}
	p, err := g.Store.GetPartner(ctx, s.PartnerID)
	if errors.Is(err, store.ErrNotFound) {
		v.Add("partner_id", "names no partner")
		return v.Err()
	}
	if err != nil {
		return err
	}
	if s.Environment == "" {
		s.Environment = p.Environments[0]
	}
	if !p.HasEnvironment(s.Environment) {
		v.Add("environment", fmt.Sprintf("must be one of the partner's environments %v", p.Environments))
	}
	return v.Err()
}

// checkQuota refuses a new subscription beyond the partner's max_subscriptions.
func (g *Gateway) checkQuota(ctx context.Context, partnerID string) error {
	if partnerID == "" {
		return nil
	}
	p, err := g.Store.GetPartner(ctx, partnerID)
	if err != nil || p.Quotas.MaxSubscriptions == 0 {
		return err
	}
	n, err := g.Store.CountSubscriptions(ctx, partnerID)
	if err != nil {
		return err
	}
	if n >= p.Quotas.MaxSubscriptions {
		return fmt.Errorf("%w: the partner has %d of its %d subscriptions; delete one or raise quotas.max_subscriptions", ErrQuota, n, p.Quotas.MaxSubscriptions)
	}
	return nil
}

// KeyRequest is what an administrator asks for when creating a key.
type KeyRequest struct {
	Scope        string     `json:"scope"`
	Name         string     `json:"name"`
	PartnerID    string     `json:"partner_id"`
	PublishTypes []string   `json:"publish_types"`
	ExpiresAt    *time.Time `json:"expires_at"`
}

// CreateKey makes a key and returns its secret, which is shown once.
func (g *Gateway) CreateKey(ctx context.Context, req KeyRequest) (string, *store.Key, error) {
	var v event.Problems
	switch req.Scope {
	case auth.ScopeAdmin, auth.ScopePublisher:
		if req.PartnerID != "" {
			v.Add("partner_id", "belongs only to partner keys")
		}
	case auth.ScopePartner:
		if req.PartnerID == "" {
			v.Add("partner_id", "is required for a partner key")
		} else if _, err := g.Store.GetPartner(ctx, req.PartnerID); errors.Is(err, store.ErrNotFound) {
			v.Add("partner_id", "names no partner")
		} else if err != nil {
			return "", nil, err
		}
	default:
		v.Add("scope", "must be admin, publisher or partner")
	}
	if req.Name == "" || len(req.Name) > 200 {
		v.Add("name", "is required, at most 200 characters")
	}
	if req.Scope == auth.ScopeAdmin && len(req.PublishTypes) > 0 {
		v.Add("publish_types", "does not apply to admin keys, which may publish every type")
	}
	for i, t := range req.PublishTypes {
		if !event.ValidTypeGlob(t) {
			v.Add(fmt.Sprintf("publish_types[%d]", i), "must be an event type or a glob with '*', e.g. \"order.*\"")
		}
	}
	if req.ExpiresAt != nil && !req.ExpiresAt.After(time.Now()) {
		v.Add("expires_at", "must be in the future")
	}
	if err := v.Err(); err != nil {
		return "", nil, err
	}
	secret, key := auth.NewKey(req.Scope, req.Name)
	key.PartnerID, key.PublishTypes, key.ExpiresAt = req.PartnerID, req.PublishTypes, req.ExpiresAt
	return secret, key, g.Store.CreateKey(ctx, key)
}

// RevokeKey revokes a key; partnerID, when set, must own it. The last
// admin key is kept: without one, nobody could manage the gateway.
func (g *Gateway) RevokeKey(ctx context.Context, id, partnerID string) error {
	admins, _, err := g.Store.ListKeys(ctx, store.KeyQuery{Scope: auth.ScopeAdmin, Page: store.Page{Limit: 2}})
	if err != nil {
		return err
	}
	if len(admins) == 1 && admins[0].ID == id {
		return fmt.Errorf("%w: %s is the last admin key; create another admin key (POST /v1/keys) before revoking this one", store.ErrConflict, id)
	}
	return g.Store.RevokeKey(ctx, id, partnerID, time.Now().UTC())
}
