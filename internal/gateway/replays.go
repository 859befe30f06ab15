package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/eventgate/eventgate/internal/auth"
	"github.com/eventgate/eventgate/internal/event"
	"github.com/eventgate/eventgate/internal/route"
	"github.com/eventgate/eventgate/internal/route/pattern"
	"github.com/eventgate/eventgate/internal/store"
)

// A replay runs in the background on the node that created it, on every
// node that starts while it runs, and on the leader, which takes over the
// replays of nodes that died: each page's deliveries and the replay's
// cursor commit together, and only at the cursor they were read at, so
// nodes that run one replay at once never create a delivery twice.

const (
	// replayPage bounds the archived events one step reads.
	replayPage = 500
	// replayAhead, times the subscription's max_concurrency (at least
	// replayMinAhead), bounds a replay's deliveries waiting to be sent. A
	// live delivery of the subscription queues behind at most that many,
	// a few rounds of sends, however large the replay; a larger bound let
	// live deliveries wait seconds behind a replay (docs/operations.md).
	replayAhead    = 4
	replayMinAhead = 16
	// replayRecheck is how often a replay that is ahead looks again.
	replayRecheck = 50 * time.Millisecond
)

// AuditReplayCreate and AuditReplayCancel are the replays' audit actions.
const (
	AuditReplayCreate = "replay.create"
	AuditReplayCancel = "replay.cancel"
)

// CreateReplay starts re-delivering the archived events of r's window that
// the subscription's filter and r's own filter let through. A partner may
// replay into its own subscriptions. r.To is cut to now.
func (g *Gateway) CreateReplay(ctx context.Context, who auth.Principal, r *event.Replay) error {
	if err := adminsAndPartners(who); err != nil {
		return err
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	r.ID, r.Status, r.CreatedAt, r.UpdatedAt = event.NewID(event.PrefixReplay), event.ReplayRunning, now, now
	if r.To.After(now) {
		r.To = now // the archive ends now; what comes later is delivered live
	}
	r.From, r.To = r.From.UTC(), r.To.UTC()
	var p event.Problems
	p.Merge("", r.Validate())
	if err := route.CompilePattern(r.Filter()); err != nil {
		p.Add("pattern", err.Error())
	}
	if err := p.Err(); err != nil {
		return err
	}
	sub, err := g.ownSubscription(ctx, who, r.SubscriptionID)
	if err != nil {
		return err
	}
	if sub.Status == event.Disabled {
		return fmt.Errorf("%w: subscription %s is disabled; resume it (POST /v1/subscriptions/%s/resume), then replay", store.ErrConflict, sub.ID, sub.ID)
	}
	if err := g.store.CreateReplay(ctx, r); err != nil {
		return err
	}
	g.audit(ctx, who, AuditReplayCreate, r.ID, nil, snapshot(r))
	g.runReplay(r.ID)
	return nil
}

// GetReplay returns a replay with its progress.
func (g *Gateway) GetReplay(ctx context.Context, who auth.Principal, id string) (*event.Replay, error) {
	return g.ownReplay(ctx, who, id)
}

// ListReplays answers a page of the replays who may see, newest first.
func (g *Gateway) ListReplays(ctx context.Context, who auth.Principal, page store.Page) ([]*event.Replay, string, error) {
	if err := adminsAndPartners(who); err != nil {
		return nil, "", err
	}
	return g.store.ListReplays(ctx, store.ReplayQuery{Page: page, PartnerID: who.PartnerID})
}

// CancelReplay stops a running replay; the deliveries it made stay.
func (g *Gateway) CancelReplay(ctx context.Context, who auth.Principal, id string) (*event.Replay, error) {
	old, err := g.ownReplay(ctx, who, id)
	if err != nil {
		return nil, err
	}
	if err := g.store.CancelReplay(ctx, id, time.Now().UTC()); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return nil, fmt.Errorf("%w: replay %s is %s, not running", store.ErrConflict, id, old.Status)
		}
		return nil, err
	}
	r, err := g.store.GetReplay(ctx, id)
	if err != nil {
		return nil, err
	}
	g.audit(ctx, who, AuditReplayCancel, id, snapshot(old), snapshot(r))
	return r, nil
}

// ownReplay loads a replay into a subscription who may touch.
func (g *Gateway) ownReplay(ctx context.Context, who auth.Principal, id string) (*event.Replay, error) {
	if err := adminsAndPartners(who); err != nil {
		return nil, err
	}
	r, err := g.store.GetReplay(ctx, id)
	if err != nil {
		return nil, err
	}
	if _, err := g.ownSubscription(ctx, who, r.SubscriptionID); err != nil {
		return nil, err
	}
	return r, nil
}

// resumeReplays runs the running replays that this node does not run yet:
// those a stop interrupted, or another node's.
func (g *Gateway) resumeReplays(ctx context.Context) error {
	running, err := g.store.RunningReplays(ctx)
	if err != nil {
		return err
	}
	for _, r := range running {
		g.runReplay(r.ID)
	}
	return nil
}

// runReplay works through a replay in the background until it is done,
// cancelled, or the gateway shuts down, unless this node runs it already.
func (g *Gateway) runReplay(id string) {
	if _, running := g.replaying.LoadOrStore(id, true); running {
		return
	}
	g.background.Go(func() {
		defer g.replaying.Delete(id)
		ctx := g.replays
		for ctx.Err() == nil {
			done, err := g.replayStep(ctx, id)
			switch {
			case done:
				return
			case err == nil, errors.Is(err, store.ErrConflict): // a conflict: another node took the page; read again
				continue
			case !errors.Is(err, errReplayAhead) && ctx.Err() == nil:
				slog.Error("replay: a page failed; it is tried again", "replay", id, "err", err)
			}
			wait := g.cfg.PollInterval // the store is failing
			if errors.Is(err, errReplayAhead) {
				wait = replayRecheck
			}
			select {
			case <-ctx.Done():
			case <-time.After(wait):
			}
		}
	})
}

// errReplayAhead says a replay waits for its deliveries to drain.
var errReplayAhead = errors.New("replay waits for its deliveries to drain")

// replayStep turns one page of a replay's window into deliveries, and
// reports whether the replay is over.
func (g *Gateway) replayStep(ctx context.Context, id string) (bool, error) {
	r, err := g.store.GetReplay(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return true, nil // its subscription was deleted
	}
	if err != nil {
		return false, err
	}
	if r.Status != event.ReplayRunning {
		return true, nil
	}
	sub, err := g.store.GetSubscription(ctx, r.SubscriptionID)
	if err != nil {
		return false, err
	}
	room := max(replayAhead*sub.MaxConcurrency, replayMinAhead) - int(r.Pending)
	if room <= 0 {
		return false, errReplayAhead
	}
	match, err := g.replayFilter(ctx, sub, r)
	if err != nil {
		return false, err
	}
	page, err := g.store.ReplayPage(ctx, r, replayPage)
	if err != nil {
		return false, err
	}
	cursor, matched, full := r.Cursor, 0, false
	pulled := sub.Channel.Type == "pull" // its deliveries wait to be pulled, never sent
	var deliveries []*event.Delivery
	for _, a := range page {
		ok, err := match(a)
		if err != nil {
			slog.Warn("replay: an archived event could not be matched; it is skipped", "replay", id, "event", a.ID, "err", err)
		}
		if full = ok && matched == room; full {
			break // the cursor stays before it, for the next step
		}
		cursor = a.Seq
		if ok {
			matched++
			deliveries = append(deliveries, &event.Delivery{ID: event.NewID(event.PrefixDelivery), EventID: a.ID, SubscriptionID: r.SubscriptionID, Pull: pulled})
		}
	}
	done := !full && len(page) < replayPage
	if err := g.store.AdvanceReplay(ctx, r, cursor, matched, deliveries, done, time.Now().UTC()); err != nil {
		return false, err
	}
	switch {
	case len(deliveries) == 0:
	case pulled:
		g.pullWaiters.wake(r.SubscriptionID)
	default:
		g.dispatch.Poke()
	}
	return done, nil
}

// replayFilter matches an archived event against the subscription as it
// is now (its filter, and its partner's grant) and the replay's filter.
func (g *Gateway) replayFilter(ctx context.Context, sub *event.Subscription, r *event.Replay) (func(store.Archived) (bool, error), error) {
	granted := []string{"*"}
	if sub.PartnerID != "" {
		p, err := g.store.GetPartner(ctx, sub.PartnerID)
		if err != nil {
			return nil, err
		}
		granted = p.SubscribeTypes
	}
	filters := []event.Filter{sub.Filter, r.Filter()}
	patterns := make([]*pattern.Pattern, 0, 2)
	for _, f := range filters {
		if route.HasPattern(f) {
			p, err := pattern.Compile(f.Pattern)
			if err != nil {
				return nil, err
			}
			patterns = append(patterns, p)
		}
	}
	return func(a store.Archived) (bool, error) {
		if !event.GlobsMatch(granted, a.Type) {
			return false, nil
		}
		for _, f := range filters {
			if !f.MatchesType(a.Type) {
				return false, nil
			}
		}
		for _, p := range patterns {
			if ok, err := p.Match(a.Envelope); !ok || err != nil {
				return false, err
			}
		}
		return true, nil
	}, nil
}
