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
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/eventgate/eventgate/internal/auth"
	"github.com/eventgate/eventgate/internal/catalog"
	"github.com/eventgate/eventgate/internal/channel"
	"github.com/eventgate/eventgate/internal/channel/kinds"
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
	// AuditRetention, when set, deletes audit log entries older than that.
	AuditRetention time.Duration
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
	// MaxBodyMemory bounds the bytes that the API's request bodies hold
	// at once, over all requests (default api.DefaultBodyMemory).
	MaxBodyMemory int64
	// Observer hears what ingest, dispatch and sources do, for metrics
	// and traces (default: nothing listens).
	Observer observe.Observer
	// Metrics, when set, is served at /metrics on the API to admin keys.
	Metrics http.Handler
}

// Settings returns the configuration the gateway runs with.
func (g *Gateway) Settings() Config { return g.cfg }

// Gateway is one running eventgate node.
type Gateway struct {
	store    store.Store
	router   *route.Router
	catalog  *catalog.Catalog
	ingest   *ingest.Ingester
	dispatch *dispatch.Dispatcher
	guard    netguard.Guard
	channels channel.Env // what channel kinds check settings against and send with
	keys     keys
	cfg      Config
	cluster  *cluster
	stopped  sync.Once
	// routing is held by whatever brings the router and the store into
	// step: a subscription change made here (router and store) and a
	// follower's sync (a read of the store, then the router), so that a
	// sync cannot put back a subscription from a read taken before a
	// change it did not see.
	routing sync.Mutex
	// background is work started off a request's path; Shutdown waits for
	// it, so that nothing writes to the store once the gateway has stopped.
	background sync.WaitGroup
	// replays is the context of running replays; Shutdown cancels it.
	replays     context.Context
	stopReplays context.CancelFunc
	replaying   sync.Map // ids of the replays this node runs

	sourceCounts *sourceCounts
	quota        *quotaGate
	readiness    readiness
	pullWaiters  pullWaiters
	stopListen   context.CancelFunc // stops listening for other nodes' pull messages
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
	g := &Gateway{store: s, router: route.New(), catalog: catalog.New(cfg.StrictEventTypes), guard: netguard.Guard{AllowPrivate: cfg.AllowPrivateTargets}, cfg: cfg}
	g.channels = channel.Env{Guard: g.guard, Proxy: cfg.EgressProxy, MaxConnsPerHost: cfg.MaxConnsPerHost}
	g.keys.cache.TTL, g.keys.touched = keyCacheTTL, map[string]time.Time{}
	g.quota = newQuotaGate(g)
	g.replays, g.stopReplays = context.WithCancel(context.Background())
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
	if err := g.router.Load(subs); err != nil {
		// A pattern that compiled when stored but not now (a stricter
		// release): the subscription receives by event type only until fixed.
		slog.Warn("a stored filter pattern does not compile", "err", err)
	}
	if err := g.loadGrants(ctx); err != nil {
		return nil, fmt.Errorf("load partners' grants: %w", err)
	}
	types, err := s.AllEventTypes(ctx)
	if err != nil {
		return nil, fmt.Errorf("load event types: %w", err)
	}
	if err := g.catalog.Load(types); err != nil {
		slog.Warn("a stored event type schema does not compile; its events are not validated", "err", err)
	}
	if cfg.SingleNode {
		if err := s.ReleaseAllLeases(ctx, time.Now()); err != nil {
			return nil, fmt.Errorf("release leases: %w", err)
		}
	}
	g.dispatch = dispatch.New(dispatch.Config{
		Owner:        nodeName(),
		Lease:        cfg.Lease,
		PollInterval: cfg.PollInterval,
		OnGone:       g.endpointGone,
		Quota:        g.quota,
		Observer:     cfg.Observer,
	}, s, g.router, kinds.Senders(g.channels))
	g.cluster = startCluster(g, seen, subs)
	g.ingest = ingest.New(s, g.router, g.cluster, g.dispatch.Lease, g.handoff, cfg.Observer)
	g.dispatch.Start()
	g.listenForPulls()
	g.sourceCounts = startSourceCounts(s)
	if err := g.resumeReplays(ctx); err != nil {
		g.Shutdown(ctx)
		return nil, fmt.Errorf("resume replays: %w", err)
	}
	return g, nil
}

// Shutdown stops accepting events, lets deliveries in flight finish while
// ctx allows, and records their outcomes. It returns by ctx's deadline
// even when the store does not answer: what it could not write is sent
// again after its lease. The store stays open. Calling it again does nothing.
func (g *Gateway) Shutdown(ctx context.Context) {
	g.stopped.Do(func() {
		g.stopReplays()
		g.cluster.close(ctx)
		g.ingest.Close(ctx)
		g.dispatch.Shutdown(ctx)
		g.sourceCounts.close(ctx)
		g.stopListen()
		g.background.Wait()
	})
}

// DiskFull reports whether this node's last commit failed for lack of disk
// space, so that it should not take events until a write succeeds.
func (g *Gateway) DiskFull() bool { return g.ingest.DiskFull() }

func nodeName() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return "node-" + hex.EncodeToString(b)
}

// envAdminKeyName names the admin key that EVENTGATE_ADMIN_KEY manages.
const envAdminKeyName = "EVENTGATE_ADMIN_KEY"

func (g *Gateway) bootstrapAdminKey(ctx context.Context) error {
	if g.cfg.AdminKey != "" {
		return g.useEnvAdminKey(ctx)
	}
	n, err := g.store.CountKeys(ctx, auth.ScopeAdmin)
	if err != nil || n > 0 {
		return err
	}
	secret, key := auth.NewKey(auth.ScopeAdmin, "bootstrap admin key")
	if err := g.store.CreateKey(ctx, key); err != nil {
		return err
	}
	g.GeneratedAdminKey = secret
	return nil
}

// useEnvAdminKey stores EVENTGATE_ADMIN_KEY's key if it is new and revokes
// the environment-managed keys made before it: changing the variable
// replaces the old key instead of adding one.
func (g *Gateway) useEnvAdminKey(ctx context.Context) error {
	if len(g.cfg.AdminKey) < 16 {
		return errors.New("EVENTGATE_ADMIN_KEY must be at least 16 characters; generate one with: openssl rand -base64 32")
	}
	current, err := g.store.KeyByHash(ctx, auth.Hash(g.cfg.AdminKey))
	if errors.Is(err, store.ErrNotFound) {
		current = auth.FromSecret(g.cfg.AdminKey, auth.ScopeAdmin, envAdminKeyName)
		if err = g.store.CreateKey(ctx, current); err != nil {
			createErr := err
			// A node starting beside this one may have stored it first;
			// otherwise the key exists revoked, which the lookup hides.
			if current, err = g.store.KeyByHash(ctx, auth.Hash(g.cfg.AdminKey)); errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("storing EVENTGATE_ADMIN_KEY failed (%v): most likely it is a key that was revoked (replaced by a newer EVENTGATE_ADMIN_KEY, or through DELETE /v1/keys); choose a new one: openssl rand -base64 32", createErr)
			}
		}
	}
	if err != nil {
		return err
	}
	for page := (store.KeyQuery{Page: store.Page{Limit: store.MaxLimit}}); ; {
		keys, next, err := g.store.ListKeys(ctx, page)
		if err != nil {
			return err
		}
		for _, k := range keys {
			// Only older ones: of two nodes started with different keys at once, the newer key wins.
			if k.Name == envAdminKeyName && k.Scope == auth.ScopeAdmin && k.ID < current.ID {
				if err := g.store.RevokeKey(ctx, k.ID, "", time.Now().UTC()); err != nil && !errors.Is(err, store.ErrNotFound) {
					return err
				}
				slog.Info("revoked the admin key of an earlier EVENTGATE_ADMIN_KEY", "key", k.ID, "prefix", k.Prefix)
			}
		}
		if next == "" {
			return nil
		}
		page.After = next
	}
}

// CreateSubscription validates, completes and stores a new subscription;
// its secret is in s.Secrets[0] afterwards. A partner's subscription is
// its own, and asks only for event types it is granted.
func (g *Gateway) CreateSubscription(ctx context.Context, who auth.Principal, s *event.Subscription) error {
	if err := adminsAndPartners(who); err != nil {
		return err
	}
	if who.IsPartner() {
		if s.PartnerID != "" && s.PartnerID != who.PartnerID {
			var v event.Problems
			v.Add("partner_id", "must be your own partner id, or left out")
			return v.Err()
		}
		s.PartnerID = who.PartnerID
	}
	now := time.Now().UTC()
	s.ID, s.Status, s.CreatedAt, s.UpdatedAt = event.NewID(event.PrefixSubscription), event.Active, now, now
	s.Secrets = []event.Secret{{Value: sign.NewSecret()}}
	if err := g.validate(s); err != nil {
		return err
	}
	if err := g.checkPartner(ctx, s, nil); err != nil {
		return err
	}
	if err := g.checkQuota(ctx, s.PartnerID); err != nil {
		return err
	}
	g.routing.Lock()
	defer g.routing.Unlock()
	if err := g.store.CreateSubscription(ctx, s); err != nil {
		return err
	}
	g.audit(ctx, who, AuditSubscriptionCreate, s.ID, nil, snapshot(s))
	return g.router.Set(s)
}

// ListSubscriptions answers a page of the subscriptions who may see.
func (g *Gateway) ListSubscriptions(ctx context.Context, who auth.Principal, page store.Page) ([]*event.Subscription, string, error) {
	if err := adminsAndPartners(who); err != nil {
		return nil, "", err
	}
	return g.store.ListSubscriptions(ctx, store.SubscriptionQuery{Page: page, PartnerID: who.PartnerID})
}

// GetSubscription returns a subscription who may see.
func (g *Gateway) GetSubscription(ctx context.Context, who auth.Principal, id string) (*event.Subscription, error) {
	return g.ownSubscription(ctx, who, id)
}

// UpdateSubscription changes a subscription who may touch: edit changes
// a copy of the stored one, which is then validated and stored.
func (g *Gateway) UpdateSubscription(ctx context.Context, who auth.Principal, id string, edit func(*event.Subscription)) (*event.Subscription, error) {
	s, err := g.ownSubscription(ctx, who, id)
	if err != nil {
		return nil, err
	}
	before, partnerID, old := s.Filter.EventTypes, s.PartnerID, snapshot(s)
	wasPull := s.Channel.Type == "pull"
	edit(s)
	s.ID, s.PartnerID = id, partnerID // neither is the caller's to change
	// Its waiting deliveries are either pulled or sent: the kind stays.
	if (s.Channel.Type == "pull") != wasPull {
		var p event.Problems
		p.Add("channel.type", "cannot change between pull and another channel; create a new subscription instead")
		return nil, p.Err()
	}
	if err := g.updateSubscription(ctx, s, before); err != nil {
		return nil, err
	}
	g.audit(ctx, who, AuditSubscriptionUpdate, id, old, snapshot(s))
	return s, nil
}

// updateSubscription stores a changed subscription (a copy of the stored
// one). Event types asked for beside before are checked against the
// partner's grant: a narrowed grant does not block other changes.
func (g *Gateway) updateSubscription(ctx context.Context, s *event.Subscription, before []string) error {
	s.UpdatedAt = time.Now().UTC()
	if err := g.validate(s); err != nil {
		return err
	}
	if err := g.checkPartner(ctx, s, before); err != nil {
		return err
	}
	// The router takes the change before the store does: once a reader
	// can see it (a pause, a disable), no event published after that is
	// routed by the old version. After a failed write the router is given
	// what the store holds.
	g.routing.Lock()
	defer g.routing.Unlock()
	if err := g.router.Set(s); err != nil {
		return err
	}
	if err := g.store.UpdateSubscription(ctx, s); err != nil {
		g.reload(s.ID)
		return err
	}
	if s.Status == event.Active {
		g.dispatch.Poke() // unparked deliveries are due now
	}
	return nil
}

// reload routes a subscription as the store holds it, or not at all if
// the store has none; the routing lock is held. It does not take the request's context: a write
// that failed because the client left must still leave the router right.
func (g *Gateway) reload(id string) {
	stored, err := g.store.GetSubscription(context.Background(), id)
	if errors.Is(err, store.ErrNotFound) {
		g.router.Remove(id)
		return
	}
	if err == nil {
		err = g.router.Set(stored)
	}
	if err != nil {
		slog.Error("routing a subscription as stored failed; it is routed as changed until its next change", "subscription", id, "err", err)
	}
}

func (g *Gateway) validate(s *event.Subscription) error {
	s.ApplyDefaults()
	var p event.Problems
	p.Merge("", s.Validate())
	p.Merge("", kinds.Check(&s.Channel, g.channels))
	if err := route.CompilePattern(s.Filter); err != nil {
		p.Add("filter.pattern", err.Error())
	}
	if _, err := route.CompileShape(s); err != nil {
		p.Merge("", err)
	}
	return p.Err()
}

// DeleteSubscription removes a subscription and everything it was owed.
func (g *Gateway) DeleteSubscription(ctx context.Context, who auth.Principal, id string) error {
	s, err := g.ownSubscription(ctx, who, id)
	if err != nil {
		return err
	}
	g.routing.Lock()
	defer g.routing.Unlock()
	g.router.Remove(id) // first, as UpdateSubscription says why
	if err := g.store.DeleteSubscription(ctx, id); err != nil {
		g.reload(id)
		return err
	}
	g.audit(ctx, who, AuditSubscriptionDelete, id, snapshot(s), nil)
	return nil
}

// SetStatus pauses, resumes or disables a subscription who may touch.
func (g *Gateway) SetStatus(ctx context.Context, who auth.Principal, id string, status event.SubscriptionStatus, reason string) (*event.Subscription, error) {
	old, err := g.ownSubscription(ctx, who, id)
	if err != nil {
		return nil, err
	}
	s, err := g.setStatus(ctx, id, status, reason)
	if err != nil {
		return nil, err
	}
	g.audit(ctx, who, AuditSubscriptionStatus, id, snapshot(old), snapshot(s))
	return s, nil
}

// setStatus pauses, resumes or disables a subscription, for the gateway's own work.
func (g *Gateway) setStatus(ctx context.Context, id string, status event.SubscriptionStatus, reason string) (*event.Subscription, error) {
	s, err := g.store.GetSubscription(ctx, id)
	if err != nil {
		return nil, err
	}
	if status == event.Active && s.Status != event.Active {
		if err := g.checkResume(ctx, s); err != nil {
			return nil, err
		}
	}
	s.Status, s.StatusReason = status, reason
	return s, g.updateSubscription(ctx, s, s.Filter.EventTypes)
}

// RotateSecret makes a new signing secret; the old one keeps signing
// beside it for the rotation overlap, so receivers can switch without a gap.
func (g *Gateway) RotateSecret(ctx context.Context, who auth.Principal, id string) (*event.Subscription, error) {
	s, err := g.ownSubscription(ctx, who, id)
	if err != nil {
		return nil, err
	}
	old := snapshot(s)
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
	if err := g.updateSubscription(ctx, s, s.Filter.EventTypes); err != nil {
		return nil, err
	}
	g.audit(ctx, who, AuditSubscriptionRotate, id, old, snapshot(s))
	return s, nil
}

// Retry sends one delivery who may touch again, with a fresh retry budget.
func (g *Gateway) Retry(ctx context.Context, who auth.Principal, id string) (*event.Delivery, error) {
	old, err := g.ownDelivery(ctx, who, id)
	if err != nil {
		return nil, err
	}
	d, err := g.store.RetryDelivery(ctx, id, time.Now().UTC())
	if err != nil {
		return nil, err
	}
	g.dispatch.Poke()
	g.audit(ctx, who, AuditDeliveryRetry, id, snapshot(old), snapshot(d))
	return d, nil
}

// Redrive sends every dead delivery of a subscription again.
func (g *Gateway) Redrive(ctx context.Context, who auth.Principal, subscriptionID string) (int, error) {
	if _, err := g.ownSubscription(ctx, who, subscriptionID); err != nil {
		return 0, err
	}
	n, err := g.store.Redrive(ctx, subscriptionID, time.Now().UTC())
	if err != nil {
		return 0, err
	}
	if n > 0 {
		g.dispatch.Poke()
	}
	g.audit(ctx, who, AuditSubscriptionRedrive, subscriptionID, nil, snapshot(map[string]int{"redriven": n}))
	return n, nil
}

// endpointGone disables a subscription whose endpoint answered 410 Gone.
func (g *Gateway) endpointGone(id string) {
	_, err := g.setStatus(context.Background(), id, event.Disabled, "the endpoint answered 410 Gone; resume the subscription to enable it again")
	if err != nil {
		slog.Error("disabling subscription after 410 Gone failed", "subscription", id, "err", err)
		return
	}
	slog.Warn("subscription disabled: endpoint answered 410 Gone", "subscription", id)
}
