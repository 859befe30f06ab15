package gateway

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/eventgate/eventgate/internal/event"
	"github.com/eventgate/eventgate/internal/store"
)

// What a node does beside the others that share its store: it keeps its
// router and catalog in step with changes made through other nodes, and the
// node holding the leader lease runs the periodic jobs, so that they run on
// one node at a time and move to another when that node dies.

// leaderLease names the lease of the node that runs the periodic jobs.
const leaderLease = "housekeeping"

// pruneBatch bounds the rows one retention statement deletes, so that no
// transaction grows large and the jobs can stop between batches.
const pruneBatch = 1000

type cluster struct {
	g      *Gateway
	owner  string
	cancel context.CancelFunc // stops the loops
	loops  sync.WaitGroup

	leader atomic.Bool

	quotasChecked time.Time // when the leader last checked partner quotas

	// The follower's state: the versions it loaded, and the subscriptions
	// loaded then with their UpdatedAt. The gateway's routing lock guards
	// them: ingest catches up (CatchUp) beside the follower's polls.
	seen  store.Versions
	known map[string]time.Time
	// routedAt is seen.Subscriptions, for ingest to read without waiting.
	routedAt atomic.Int64
}

// startCluster starts the leader loop, and with a shared store the follower.
// seen must have been read before subs, so that a change made between the
// two is loaded again rather than missed.
func startCluster(g *Gateway, seen store.Versions, subs []*event.Subscription) *cluster {
	ctx, cancel := context.WithCancel(context.Background())
	c := &cluster{g: g, owner: g.dispatch.Lease().Owner, cancel: cancel, seen: seen, known: map[string]time.Time{}}
	c.routedAt.Store(seen.Subscriptions)
	for _, s := range subs {
		c.known[s.ID] = s.UpdatedAt
	}
	c.loops.Add(1)
	go c.lead(ctx)
	if !g.cfg.SingleNode {
		c.loops.Add(1)
		go c.follow(ctx)
	}
	return c
}

// close stops the loops and gives the leader lease up, so that another
// node takes the jobs over at its next try instead of after the lease.
func (c *cluster) close(ctx context.Context) {
	c.cancel()
	c.loops.Wait()
	if !c.leader.Load() {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	now := time.Now()
	if _, err := c.g.store.AcquireLeader(ctx, leaderLease, c.owner, now, now); err != nil {
		slog.Warn("giving up the leader lease failed; another node takes the periodic jobs over when it expires", "err", err)
	}
}

// follow polls the store's versions and reloads what changed. One small
// query per poll interval is all a quiet cluster costs.
func (c *cluster) follow(ctx context.Context) {
	defer c.loops.Done()
	tick := time.NewTicker(c.g.cfg.PollInterval)
	defer tick.Stop()
	failing := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		err := c.sync(ctx)
		switch {
		case err != nil && !failing && ctx.Err() == nil:
			slog.Error("reading subscription changes from the store failed; this node routes with what it has until it can", "err", err)
		case err == nil && failing:
			slog.Info("reading subscription changes from the store works again")
		}
		failing = err != nil
	}
}

// Version is the subscriptions version the router has loaded (ingest.Routing).
// A node alone on its store routes every change as it makes it: nothing to check.
func (c *cluster) Version() (int64, bool) {
	return c.routedAt.Load(), !c.g.cfg.SingleNode
}

// CatchUp loads what changed through other nodes now, for an ingest commit
// that found its routing stale (ingest.Routing).
func (c *cluster) CatchUp(ctx context.Context) error { return c.sync(ctx) }

func (c *cluster) sync(ctx context.Context) error {
	c.g.routing.Lock()
	defer c.g.routing.Unlock()
	v, err := c.g.store.Versions(ctx)
	if err != nil {
		return err
	}
	if v.Subscriptions != c.seen.Subscriptions {
		if err := c.g.loadGrants(ctx); err != nil { // a changed grant counts as a subscription change
			return err
		}
		subs, err := c.g.store.AllSubscriptions(ctx)
		if err != nil {
			return err
		}
		if c.apply(subs) > 0 {
			c.g.dispatch.Poke() // a resumed subscription's deliveries are due now
		}
		c.seen.Subscriptions = v.Subscriptions
		c.routedAt.Store(v.Subscriptions)
	}
	if v.EventTypes != c.seen.EventTypes {
		types, err := c.g.store.AllEventTypes(ctx)
		if err != nil {
			return err
		}
		if err := c.g.catalog.Load(types); err != nil {
			slog.Warn("a stored event type schema does not compile; its events are not validated", "err", err)
		}
		c.seen.EventTypes = v.EventTypes
	}
	return nil
}

// apply changes in the router only the subscriptions that changed since the
// last load, so that routing goes on undisturbed beside it. Comparing with
// the last load rather than with the router keeps a change made through this
// node meanwhile from being undone by the older copy just read.
func (c *cluster) apply(subs []*event.Subscription) (changed int) {
	next := make(map[string]time.Time, len(subs))
	for _, s := range subs {
		next[s.ID] = s.UpdatedAt
		if at, ok := c.known[s.ID]; ok && at.Equal(s.UpdatedAt) {
			continue
		}
		if err := c.g.router.Set(s); err != nil {
			slog.Warn("a stored filter pattern does not compile", "subscription", s.ID, "err", err)
		}
		changed++
	}
	for id := range c.known {
		if _, ok := next[id]; !ok {
			c.g.router.Remove(id)
			changed++
		}
	}
	c.known = next
	return changed
}

// lead tries for the leader lease every third of its length, and while it
// holds it runs the periodic jobs, each round ending before the next try.
func (c *cluster) lead(ctx context.Context) {
	defer c.loops.Done()
	lease := c.g.cfg.Lease
	tick := time.NewTicker(lease / 3)
	defer tick.Stop()
	for {
		now := time.Now()
		leader, err := c.g.store.AcquireLeader(ctx, leaderLease, c.owner, now.Add(lease), now)
		if err != nil && ctx.Err() == nil {
			slog.Error("trying for the leader lease failed", "err", err)
		}
		if c.leader.Swap(leader) != leader {
			slog.Info("periodic jobs", "leader", leader, "node", c.owner)
		}
		if leader {
			c.housekeep(ctx, now.Add(lease/3))
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// housekeep forgets idempotency keys past their window and, with a
// retention, events past it whose deliveries are all final, and audit log
// entries past theirs; it runs the replays of nodes that died.
func (c *cluster) housekeep(ctx context.Context, deadline time.Time) {
	now := time.Now()
	prune(ctx, deadline, "idempotency keys", func() (int, error) {
		return c.g.store.PruneIdempotencyKeys(ctx, now.Add(-store.IdempotencyWindow), pruneBatch)
	})
	if c.g.cfg.Retention > 0 {
		prune(ctx, deadline, "events", func() (int, error) {
			return c.g.store.DeleteOldEvents(ctx, now.Add(-c.g.cfg.Retention), pruneBatch)
		})
	}
	if c.g.cfg.AuditRetention > 0 {
		prune(ctx, deadline, "audit log entries", func() (int, error) {
			return c.g.store.PruneAudit(ctx, now.Add(-c.g.cfg.AuditRetention), pruneBatch)
		})
	}
	if err := c.g.resumeReplays(ctx); err != nil && ctx.Err() == nil {
		slog.Error("looking for replays that no node runs failed; tried again next round", "err", err)
	}
	if now.Sub(c.quotasChecked) >= quotaInterval {
		c.quotasChecked = now
		if err := c.g.EnforceQuotas(ctx, now); err != nil && ctx.Err() == nil {
			slog.Error("checking partner quotas failed; tried again next round", "err", err)
		}
	}
}

// quotaInterval is how often the leader checks partners' monthly quotas.
const quotaInterval = time.Minute

// prune deletes batch after batch until one is not full or the deadline
// passes; what is left waits for the next round.
func prune(ctx context.Context, deadline time.Time, what string, batch func() (int, error)) {
	total := 0
	for time.Now().Before(deadline) && ctx.Err() == nil {
		n, err := batch()
		total += n
		if err != nil {
			if ctx.Err() == nil {
				slog.Error("retention: deleting failed; it is tried again next round", "what", what, "err", err)
			}
			break
		}
		if n < pruneBatch {
			break
		}
	}
	if total > 0 {
		slog.Info("retention: deleted", "what", what, "count", total)
	}
}
