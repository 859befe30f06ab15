package gateway

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/eventgate/eventgate/internal/auth"
	"github.com/eventgate/eventgate/internal/event"
	"github.com/eventgate/eventgate/internal/store"
)

// ErrQuota is a request refused because a partner's quota is used up.
var ErrQuota = errors.New("quota exceeded")

// CreatePartner validates and stores a new partner.
func (g *Gateway) CreatePartner(ctx context.Context, who auth.Principal, p *event.Partner) error {
	if err := adminOnly(who); err != nil {
		return err
	}
	now := time.Now().UTC()
	p.ID, p.CreatedAt, p.UpdatedAt = event.NewID(event.PrefixPartner), now, now
	p.ApplyDefaults()
	if err := p.Validate(); err != nil {
		return err
	}
	if err := g.storeGrant(p, func() error { return g.store.CreatePartner(ctx, p) }); err != nil {
		return err
	}
	g.audit(ctx, who, AuditPartnerCreate, p.ID, nil, snapshot(p))
	return nil
}

// storeGrant writes a partner and routes by its grant under the routing
// lock, so that a follower's sync cannot put back a grant read before.
func (g *Gateway) storeGrant(p *event.Partner, write func() error) error {
	g.routing.Lock()
	defer g.routing.Unlock()
	if err := write(); err != nil {
		return err
	}
	g.router.Grant(p.ID, p.SubscribeTypes)
	return nil
}

// ListPartners answers a page of partners.
func (g *Gateway) ListPartners(ctx context.Context, who auth.Principal, page store.Page) ([]*event.Partner, string, error) {
	if err := adminOnly(who); err != nil {
		return nil, "", err
	}
	return g.store.ListPartners(ctx, page)
}

// GetPartner returns a partner.
func (g *Gateway) GetPartner(ctx context.Context, who auth.Principal, id string) (*event.Partner, error) {
	if err := adminOnly(who); err != nil {
		return nil, err
	}
	return g.store.GetPartner(ctx, id)
}

// UpdatePartner changes a partner: edit changes a copy of the stored one,
// which is then validated and stored. A changed grant routes at once.
func (g *Gateway) UpdatePartner(ctx context.Context, who auth.Principal, id string, edit func(*event.Partner)) (*event.Partner, error) {
	if err := adminOnly(who); err != nil {
		return nil, err
	}
	p, err := g.store.GetPartner(ctx, id)
	if err != nil {
		return nil, err
	}
	old := snapshot(p)
	edit(p)
	p.ID, p.UpdatedAt = id, time.Now().UTC()
	p.ApplyDefaults()
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if err := g.storeGrant(p, func() error { return g.store.UpdatePartner(ctx, p) }); err != nil {
		return nil, err
	}
	g.audit(ctx, who, AuditPartnerUpdate, id, old, snapshot(p))
	// A changed quota takes effect now, not at the leader's next check.
	g.quota.forget(p.ID)
	return p, g.enforceQuota(ctx, p, time.Now())
}

// DeletePartner stops a partner: its subscriptions are disabled and its
// keys revoked, on this node at once.
func (g *Gateway) DeletePartner(ctx context.Context, who auth.Principal, id string) error {
	if err := adminOnly(who); err != nil {
		return err
	}
	p, err := g.store.GetPartner(ctx, id)
	if err != nil {
		return err
	}
	if err := g.store.DeletePartner(ctx, id, time.Now().UTC()); err != nil {
		return err
	}
	g.audit(ctx, who, AuditPartnerDelete, id, snapshot(p), nil)
	g.keys.cache.Forget()
	return g.reloadSubscriptions(ctx)
}

// Usage is what a partner used per day, and this month against its quota.
type Usage struct {
	PartnerID      string
	From, To       time.Time
	Days           []store.UsageDay
	MonthDelivered int64
	MonthlyQuota   int64
}

// PartnerUsage answers a partner's usage per day from from to to.
func (g *Gateway) PartnerUsage(ctx context.Context, who auth.Principal, id string, from, to time.Time) (*Usage, error) {
	if err := ownPartner(who, id); err != nil {
		return nil, err
	}
	p, err := g.store.GetPartner(ctx, id)
	if err != nil {
		return nil, err
	}
	days, err := g.store.PartnerUsage(ctx, id, from, to)
	if err != nil {
		return nil, err
	}
	month, err := g.MonthlyDelivered(ctx, id, time.Now().UTC())
	if err != nil {
		return nil, err
	}
	return &Usage{PartnerID: id, From: from, To: to, Days: days, MonthDelivered: month, MonthlyQuota: p.Quotas.MonthlyDeliveries}, nil
}

// reloadSubscriptions refreshes the router from the store after a change
// that touched many subscriptions at once.
func (g *Gateway) reloadSubscriptions(ctx context.Context) error {
	g.routing.Lock()
	defer g.routing.Unlock()
	subs, err := g.store.AllSubscriptions(ctx)
	if err != nil {
		return err
	}
	return g.router.Load(subs)
}

// loadGrants gives the router what every partner may receive.
func (g *Gateway) loadGrants(ctx context.Context) error {
	grants := map[string][]string{}
	for page := (store.Page{Limit: store.MaxLimit}); ; {
		partners, next, err := g.store.ListPartners(ctx, page)
		if err != nil {
			return err
		}
		for _, p := range partners {
			grants[p.ID] = p.SubscribeTypes
		}
		if next == "" {
			break
		}
		page.After = next
	}
	g.router.SetGrants(grants)
	return nil
}

// checkPartner makes sure a partner's subscription names an existing
// partner and one of its environments, and asks only for event types the
// partner is granted, beside those it already had (before).
func (g *Gateway) checkPartner(ctx context.Context, s *event.Subscription, before []string) error {
	var v event.Problems
	if s.PartnerID == "" {
		if s.Environment != "" {
			v.Add("environment", "belongs to a partner: set partner_id too, or leave environment out")
		}
		return v.Err()
	}
	p, err := g.store.GetPartner(ctx, s.PartnerID)
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
	if err := v.Err(); err != nil {
		return err
	}
	return checkGrant(p, s.Filter.EventTypes, before)
}

// checkGrant refuses event types a partner is not granted. A glob is
// granted when a granted glob covers it whole ("order.*" covers
// "order.created" and "order.item.*", not "*"); no event types at all
// asks for whatever the grant holds, which routing enforces anyway.
func checkGrant(p *event.Partner, eventTypes, before []string) error {
	var ungranted []string
	for _, t := range eventTypes {
		if !slices.Contains(before, t) && !event.GlobsMatch(p.SubscribeTypes, t) {
			ungranted = append(ungranted, t)
		}
	}
	if len(ungranted) == 0 {
		return nil
	}
	granted := "no event types"
	if len(p.SubscribeTypes) > 0 {
		granted = strings.Join(p.SubscribeTypes, ", ")
	}
	return &Forbidden{fmt.Sprintf("Partner %s may receive %s, not %s; an administrator grants event types with subscribe_types on the partner (PATCH /v1/partners/%s).",
		p.ID, granted, strings.Join(ungranted, ", "), p.ID)}
}

// checkQuota refuses a new subscription beyond the partner's max_subscriptions.
func (g *Gateway) checkQuota(ctx context.Context, partnerID string) error {
	if partnerID == "" {
		return nil
	}
	p, err := g.store.GetPartner(ctx, partnerID)
	if err != nil || p.Quotas.MaxSubscriptions == 0 {
		return err
	}
	n, err := g.store.CountSubscriptions(ctx, partnerID)
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
func (g *Gateway) CreateKey(ctx context.Context, who auth.Principal, req KeyRequest) (string, *store.Key, error) {
	if err := adminOnly(who); err != nil {
		return "", nil, err
	}
	var v event.Problems
	switch req.Scope {
	case auth.ScopeAdmin, auth.ScopePublisher:
		if req.PartnerID != "" {
			v.Add("partner_id", "belongs only to partner keys")
		}
	case auth.ScopePartner:
		if req.PartnerID == "" {
			v.Add("partner_id", "is required for a partner key")
		} else if _, err := g.store.GetPartner(ctx, req.PartnerID); errors.Is(err, store.ErrNotFound) {
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
	if err := g.store.CreateKey(ctx, key); err != nil {
		return "", nil, err
	}
	g.audit(ctx, who, AuditKeyCreate, key.ID, nil, snapshot(key))
	return secret, key, nil
}

// ListKeys answers a page of keys, never their secrets.
func (g *Gateway) ListKeys(ctx context.Context, who auth.Principal, q store.KeyQuery) ([]*store.Key, string, error) {
	if err := adminOnly(who); err != nil {
		return nil, "", err
	}
	return g.store.ListKeys(ctx, q)
}

// RevokeKey stops a key, on this node at once. The last admin key is
// kept: without one, nobody could manage the gateway.
func (g *Gateway) RevokeKey(ctx context.Context, who auth.Principal, id string) error {
	if err := adminOnly(who); err != nil {
		return err
	}
	admins, _, err := g.store.ListKeys(ctx, store.KeyQuery{Scope: auth.ScopeAdmin, Page: store.Page{Limit: 2}})
	if err != nil {
		return err
	}
	if len(admins) == 1 && admins[0].ID == id {
		return fmt.Errorf("%w: %s is the last admin key; create another admin key (POST /v1/keys) before revoking this one", store.ErrConflict, id)
	}
	if err := g.store.RevokeKey(ctx, id, "", time.Now().UTC()); err != nil {
		return err
	}
	g.audit(ctx, who, AuditKeyRevoke, id, nil, nil)
	g.keys.cache.Forget()
	return nil
}
