// Package gateway wires the stages together (store, router, ingest,
// dispatch) and offers the operations that the API and the CLI share.
package gateway

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"sync"
	"time"

	"github.com/eventgate/eventgate/internal/auth"
	"github.com/eventgate/eventgate/internal/catalog"
	"github.com/eventgate/eventgate/internal/channel/webhook"
	"github.com/eventgate/eventgate/internal/dispatch"
	"github.com/eventgate/eventgate/internal/event"
	"github.com/eventgate/eventgate/internal/ingest"
	"github.com/eventgate/eventgate/internal/netguard"
	"github.com/eventgate/eventgate/internal/observe"
	"github.com/eventgate/eventgate/internal/route"
	"github.com/eventgate/eventgate/internal/sign"
	"github.com/eventgate/eventgate/internal/store"
)

// Config is what the gateway needs besides its store.
type Config struct {
	AllowPrivateTargets bool
	// AdminKey, when set, is accepted as an admin key (stored as a hash).
	AdminKey string
	// SingleNode says no other node shares the store, so leases left by a
	// crash can be dropped at start.
	SingleNode   bool
	PollInterval time.Duration
	// RotationOverlap is how long a rotated-out secret keeps signing.
	RotationOverlap time.Duration
	// StrictEventTypes refuses events whose type is not in the catalog.
	StrictEventTypes bool
	// Lease is how long a node's claim on deliveries and the leader lease
	// last without renewal: how long work of a dead node waits (default 30s).
	Lease time.Duration
	// Retention, when set, deletes events older than that whose deliveries
	// are all final, with those deliveries and their attempts.
	Retention time.Duration
	// PublishRateLimit bounds the events per second one API key may
	// publish (burst: two seconds' worth); 0 means no limit.
	PublishRateLimit float64
	// EgressProxy, when set, carries every webhook and OAuth2 token
	// request. Destinations are then checked only by URL when saved: the
	// proxy must refuse private addresses itself.
	EgressProxy *url.URL
	// MaxConnsPerHost bounds the webhook deliveries in flight to one host
	// (default webhook.DefaultMaxConnsPerHost).
	MaxConnsPerHost int
	// Observer hears what ingest, dispatch and sources do, for metrics
	// and traces (default: nothing listens).
	Observer observe.Observer
}

// Settings returns the configuration the gateway runs with.
func (g *Gateway) Settings() Config { return g.cfg }

// Gateway is one running eventgate node.
type Gateway struct {
	Store    store.Store
	Router   *route.Router
	Catalog  *catalog.Catalog
	Ingest   *ingest.Ingester
	Dispatch *dispatch.Dispatcher
	Guard    netguard.Guard
	cfg      Config
	cluster  *cluster
	stopped  sync.Once
	// background is work started off a request's path; Shutdown waits for
	// it, so that nothing writes to the store once the gateway has stopped.
	background sync.WaitGroup

	sourceCounts *sourceCounts
	// GeneratedAdminKey is set when this start created the first admin key;
	// it is shown once and never stored.
	GeneratedAdminKey string
}

// Start loads the subscriptions and starts delivering.
func Start(ctx context.Context, s store.Store, cfg Config) (*Gateway, error) {
	if cfg.RotationOverlap == 0 {
		cfg.RotationOverlap = 24 * time.Hour
	}
	if cfg.Lease == 0 {
		cfg.Lease = 30 * time.Second
	}
	if cfg.PollInterval == 0 {
		cfg.PollInterval = time.Second
	}
	cfg.Observer = observe.OrNop(cfg.Observer)
	g := &Gateway{Store: s, Router: route.New(), Catalog: catalog.New(cfg.StrictEventTypes), Guard: netguard.Guard{AllowPrivate: cfg.AllowPrivateTargets}, cfg: cfg}
	if err := g.bootstrapAdminKey(ctx); err != nil {
		return nil, err
	}
	// Read before what they count, so that a change made meanwhile is loaded again later.
	seen, err := s.Versions(ctx)
	if err != nil {
		return nil, fmt.Errorf("read versions: %w", err)
	}
	subs, err := s.AllSubscriptions(ctx)
	if err != nil {
		return nil, fmt.Errorf("load subscriptions: %w", err)
	}
	if err := g.Router.Load(subs); err != nil {
		// A pattern that compiled when stored but not now (a stricter
		// release): the subscription receives by event type only until fixed.
		slog.Warn("a stored filter pattern does not compile", "err", err)
	}
	types, err := s.AllEventTypes(ctx)
	if err != nil {
		return nil, fmt.Errorf("load event types: %w", err)
	}
	if err := g.Catalog.Load(types); err != nil {
		slog.Warn("a stored event type schema does not compile; its events are not validated", "err", err)
	}
	if cfg.SingleNode {
		if err := s.ReleaseAllLeases(ctx, time.Now()); err != nil {
			return nil, fmt.Errorf("release leases: %w", err)
		}
	}
	g.Dispatch = dispatch.New(dispatch.Config{
		Owner:        nodeName(),
		Lease:        cfg.Lease,
		PollInterval: cfg.PollInterval,
		OnGone:       g.endpointGone,
		Observer:     cfg.Observer,
	}, s, g.Router, webhook.New(webhook.Options{Guard: g.Guard, Proxy: cfg.EgressProxy, MaxConnsPerHost: cfg.MaxConnsPerHost}))
	g.Ingest = ingest.New(s, g.Router, g.Dispatch.Lease, g.Dispatch.Enqueue, cfg.Observer)
	g.Dispatch.Start()
	g.cluster = startCluster(g, seen, subs)
	g.sourceCounts = startSourceCounts(s)
	return g, nil
}

// Shutdown stops accepting events, lets deliveries in flight finish while
// ctx allows, and records every outcome. The store stays open.
// Calling it again does nothing.
func (g *Gateway) Shutdown(ctx context.Context) {
	g.stopped.Do(func() {
		g.cluster.close()
		g.Ingest.Close()
		g.Dispatch.Shutdown(ctx)
		g.sourceCounts.close()
		g.background.Wait()
	})
}

// Go runs fn in the background until it returns; Shutdown waits for it.
func (g *Gateway) Go(fn func()) { g.background.Go(fn) }

func nodeName() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return "node-" + hex.EncodeToString(b)
}

func (g *Gateway) bootstrapAdminKey(ctx context.Context) error {
	if g.cfg.AdminKey != "" {
		if len(g.cfg.AdminKey) < 16 {
			return errors.New("EVENTGATE_ADMIN_KEY must be at least 16 characters; generate one with: openssl rand -base64 32")
		}
		if _, err := g.Store.KeyByHash(ctx, auth.Hash(g.cfg.AdminKey)); err == nil {
			return nil
		}
		err := g.Store.CreateKey(ctx, auth.FromSecret(g.cfg.AdminKey, auth.ScopeAdmin, "EVENTGATE_ADMIN_KEY"))
		if err != nil {
			if _, again := g.Store.KeyByHash(ctx, auth.Hash(g.cfg.AdminKey)); again == nil {
				return nil // a node starting beside this one stored it first
			}
		}
		return err
	}
	n, err := g.Store.CountKeys(ctx, auth.ScopeAdmin)
	if err != nil || n > 0 {
		return err
	}
	secret, key := auth.NewKey(auth.ScopeAdmin, "bootstrap admin key")
	if err := g.Store.CreateKey(ctx, key); err != nil {
		return err
	}
	g.GeneratedAdminKey = secret
	return nil
}

// CreateSubscription validates, completes and stores a new subscription;
// its secret is in s.Secrets[0] afterwards.
func (g *Gateway) CreateSubscription(ctx context.Context, s *event.Subscription) error {
	now := time.Now().UTC()
	s.ID, s.Status, s.CreatedAt, s.UpdatedAt = event.NewID(event.PrefixSubscription), event.Active, now, now
	s.Secrets = []event.Secret{{Value: sign.NewSecret()}}
	if err := g.validate(s); err != nil {
		return err
	}
	if err := g.checkPartner(ctx, s); err != nil {
		return err
	}
	if err := g.checkQuota(ctx, s.PartnerID); err != nil {
		return err
	}
	if err := g.Store.CreateSubscription(ctx, s); err != nil {
		return err
	}
	return g.Router.Set(s)
}

// UpdateSubscription stores a changed subscription (a copy of the stored one).
func (g *Gateway) UpdateSubscription(ctx context.Context, s *event.Subscription) error {
	s.UpdatedAt = time.Now().UTC()
	if err := g.validate(s); err != nil {
		return err
	}
	if err := g.checkPartner(ctx, s); err != nil {
		return err
	}
	// The router takes the change before the store does: once a reader
	// can see it (a pause, a disable), no event published after that is
	// routed by the old version. After a failed write the router is given
	// what the store holds.
	if err := g.Router.Set(s); err != nil {
		return err
	}
	if err := g.Store.UpdateSubscription(ctx, s); err != nil {
		g.reload(s.ID)
		return err
	}
	if s.Status == event.Active {
		g.Dispatch.Poke() // unparked deliveries are due now
	}
	return nil
}

// reload routes a subscription as the store holds it, or not at all if
// the store has none. It does not take the request's context: a write
// that failed because the client left must still leave the router right.
func (g *Gateway) reload(id string) {
	stored, err := g.Store.GetSubscription(context.Background(), id)
	if errors.Is(err, store.ErrNotFound) {
		g.Router.Remove(id)
		return
	}
	if err == nil {
		err = g.Router.Set(stored)
	}
	if err != nil {
		slog.Error("routing a subscription as stored failed; it is routed as changed until its next change", "subscription", id, "err", err)
	}
}

func (g *Gateway) validate(s *event.Subscription) error {
	s.ApplyDefaults()
	var p event.Problems
	p.Merge("", s.Validate())
	if err := g.Guard.CheckURL(s.Channel.URL); err != nil && s.Channel.URL != "" {
		p.Add("channel.url", err.Error())
	}
	if tokenURL := s.Channel.Auth.TokenURL; tokenURL != "" {
		if err := g.checkTokenURL(tokenURL); err != nil {
			p.Add("channel.auth.token_url", err.Error())
		}
	}
	if err := route.CompilePattern(s.Filter); err != nil {
		p.Add("filter.pattern", err.Error())
	}
	if _, err := route.CompileShape(s); err != nil {
		p.Merge("", err)
	}
	return p.Err()
}

// checkTokenURL holds an OAuth2 token endpoint, which receives the client
// secret, to https, unless private targets (test and lab setups) are allowed.
func (g *Gateway) checkTokenURL(raw string) error {
	if u, err := url.Parse(raw); err == nil && u.Scheme == "http" && !g.Guard.AllowPrivate {
		return errors.New("must be https: the client secret travels to it (http only with --allow-private-targets)")
	}
	return g.Guard.CheckURL(raw)
}

// DeleteSubscription removes a subscription and everything it was owed.
func (g *Gateway) DeleteSubscription(ctx context.Context, id string) error {
	g.Router.Remove(id) // first, as UpdateSubscription says why
	if err := g.Store.DeleteSubscription(ctx, id); err != nil {
		g.reload(id)
		return err
	}
	return nil
}

// SetStatus pauses, resumes or disables a subscription.
func (g *Gateway) SetStatus(ctx context.Context, id string, status event.SubscriptionStatus, reason string) (*event.Subscription, error) {
	s, err := g.Store.GetSubscription(ctx, id)
	if err != nil {
		return nil, err
	}
	s.Status, s.StatusReason = status, reason
	return s, g.UpdateSubscription(ctx, s)
}

// RotateSecret makes a new signing secret; the old one keeps signing
// beside it for the rotation overlap, so receivers can switch without a gap.
func (g *Gateway) RotateSecret(ctx context.Context, id string) (*event.Subscription, error) {
	s, err := g.Store.GetSubscription(ctx, id)
	if err != nil {
		return nil, err
	}
	now := time.Now().UTC()
	until := now.Add(g.cfg.RotationOverlap)
	kept := []event.Secret{{Value: sign.NewSecret()}}
	for _, old := range s.Secrets {
		if old.ExpiresAt == nil {
			old.ExpiresAt = &until
		}
		if old.ExpiresAt.After(now) {
			kept = append(kept, old)
		}
	}
	s.Secrets = kept
	return s, g.UpdateSubscription(ctx, s)
}

// Retry sends one delivery again, with a fresh retry budget.
func (g *Gateway) Retry(ctx context.Context, id string) (*event.Delivery, error) {
	d, err := g.Store.RetryDelivery(ctx, id, time.Now().UTC())
	if err == nil {
		g.Dispatch.Poke()
	}
	return d, err
}

// Redrive sends every dead delivery of a subscription again.
func (g *Gateway) Redrive(ctx context.Context, subscriptionID string) (int, error) {
	if _, err := g.Store.GetSubscription(ctx, subscriptionID); err != nil {
		return 0, err
	}
	n, err := g.Store.Redrive(ctx, subscriptionID, time.Now().UTC())
	if err == nil && n > 0 {
		g.Dispatch.Poke()
	}
	return n, err
}

// endpointGone disables a subscription whose endpoint answered 410 Gone.
func (g *Gateway) endpointGone(id string) {
	_, err := g.SetStatus(context.Background(), id, event.Disabled, "the endpoint answered 410 Gone; resume the subscription to enable it again")
	if err != nil {
		slog.Error("disabling subscription after 410 Gone failed", "subscription", id, "err", err)
		return
	}
	slog.Warn("subscription disabled: endpoint answered 410 Gone", "subscription", id)
}
