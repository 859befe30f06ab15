// Package dispatch sends deliveries: fresh ones handed over in memory by
// ingest, due retries and orphaned work claimed from the store. Each
// subscription has its own queue and concurrency limit, so one slow or
// failing endpoint never delays another.
package dispatch

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/eventgate/eventgate/internal/channel"
	"github.com/eventgate/eventgate/internal/event"
	"github.com/eventgate/eventgate/internal/observe"
	"github.com/eventgate/eventgate/internal/route"
	"github.com/eventgate/eventgate/internal/store"
	"github.com/eventgate/eventgate/internal/tracing"
)

// Config tunes the dispatcher; zero values take the defaults.
type Config struct {
	Owner        string        // this node's lease owner name
	Lease        time.Duration // how long a claim lasts without renewal (default 30s)
	PollInterval time.Duration // how often the store is asked for due work (default 1s)
	QueueSize    int           // jobs ready per subscription, with their payloads (default 1024)
	ClaimBatch   int           // deliveries claimed per store round trip (default 500)
	// HoldMax bounds the deliveries held leased in memory while their
	// subscription's queue is full (default 100,000, about 15 MB without
	// their payloads). Beyond it they are released to the store and
	// claimed again later, which costs two writes each.
	HoldMax int
	// HoldBytes bounds the payloads kept with held deliveries (default
	// 16 MiB); beyond it they are dropped and read back from the store
	// when their turn comes, at about 3.5 µs of CPU each. The heap grows
	// by about three times the bytes kept (GOGC 200): bench batch, 16 MiB:
	// 50-58 µs of gateway CPU per delivery instead of 58-62, peak RSS
	// 180 MB instead of 120; 64 MiB: 47 µs, 350 MB.
	HoldBytes int64
	// SettleLinger is how long outcomes wait for more before they are
	// written together (default 5ms). Outcomes are written for the record
	// and the lease, not for the sender, so a few milliseconds cost
	// nothing; a transaction per few outcomes cost the single SQLite
	// writer a commit, and the pages it rewrote, each time, in the way of
	// ingest's commits (batch: 67 -> 62 µs of CPU per delivery).
	SettleLinger time.Duration
	// OnGone is called when an endpoint answers 410 Gone.
	OnGone func(subscriptionID string)
	// Quota, when set, admits each send (a partner's monthly deliveries).
	Quota Quota
	// Observer hears of claims, attempts and settles (default: none).
	Observer observe.Observer
}

// Quota admits sends. A send it refuses is released untried, due again
// after quotaDelay: it uses none of the delivery's retry budget.
type Quota interface {
	// Admit reserves one send for sub, or refuses it.
	Admit(sub *event.Subscription) bool
	// Done ends an admitted send, saying whether it delivered.
	Done(sub *event.Subscription, delivered bool)
}

// quotaDelay is how long a delivery over its quota waits before it is
// claimed again; by then its subscription is normally paused, which parks it.
const quotaDelay = time.Second

func (c *Config) applyDefaults() {
	if c.Lease == 0 {
		c.Lease = 30 * time.Second
	}
	if c.PollInterval == 0 {
		c.PollInterval = time.Second
	}
	if c.QueueSize == 0 {
		c.QueueSize = 1024
	}
	if c.ClaimBatch == 0 {
		c.ClaimBatch = 500
	}
	if c.HoldMax == 0 {
		c.HoldMax = 100_000
	}
	if c.HoldBytes == 0 {
		c.HoldBytes = 16 << 20
	}
	if c.SettleLinger == 0 {
		c.SettleLinger = 5 * time.Millisecond
	}
	c.Observer = observe.OrNop(c.Observer)
}

// overflowDelay pushes a delivery that found its queue full back a little,
// so the next claims reach other subscriptions' work first.
const overflowDelay = time.Second

// Dispatcher sends deliveries and settles their outcomes.
type Dispatcher struct {
	cfg    Config
	store  store.Dispatch
	router *route.Router
	// senders has a sender per channel kind that pushes; the deliveries of
	// a kind without one wait in the store for whoever takes them (pull).
	senders channel.Senders
	dests   destinations
	settler *settler
	workers *workers
	// envelopes read back for held jobs, shared between the queues of a fan-out
	envelopes envelopeCache

	ctx    context.Context // cancelled when in-flight sends must stop
	cancel context.CancelFunc
	poke   chan struct{}

	mu        sync.Mutex
	queues    map[string]*queue
	held      atomic.Int64 // jobs held by all queues
	heldBytes atomic.Int64 // payload bytes they keep
	sends     tasks        // the queues' runners: each is one send in flight
	loops     tasks        // poller, upkeep and refills
	stop      chan struct{}
}

// New returns a dispatcher; Start begins its background work.
func New(cfg Config, s store.Dispatch, r *route.Router, senders channel.Senders) *Dispatcher {
	cfg.applyDefaults()
	ctx, cancel := context.WithCancel(context.Background())
	stop := make(chan struct{})
	return &Dispatcher{
		cfg: cfg, store: s, router: r, senders: senders,
		settler: newSettler(s, cfg.Owner, cfg.SettleLinger, cfg.Observer),
		workers: newWorkers(stop),
		ctx:     ctx, cancel: cancel,
		poke:   make(chan struct{}, 1),
		queues: map[string]*queue{},
		stop:   stop,
	}
}

// Lease returns the lease under which new work is owned by this node.
func (d *Dispatcher) Lease() store.Lease {
	return store.Lease{Owner: d.cfg.Owner, Until: time.Now().Add(d.cfg.Lease)}
}

// Start runs the poller and the upkeep.
func (d *Dispatcher) Start() {
	d.loops.start(d.pollLoop)
	d.loops.start(d.upkeep)
}

// Poke asks the poller to look for due work now (after a retry or resume).
func (d *Dispatcher) Poke() {
	select {
	case d.poke <- struct{}{}:
	default:
	}
}

// Enqueue takes leased jobs. Those that find their queue full are held
// until it has room; beyond HoldMax they are released back to the store,
// which stays the source of truth.
func (d *Dispatcher) Enqueue(jobs []*store.Job) {
	d.enqueue(jobs)
}

// enqueue reports how many jobs found their queue full.
func (d *Dispatcher) enqueue(jobs []*store.Job) (overflowed int) {
	now := time.Now()
	var q *queue
	for _, j := range jobs {
		if q == nil || q.subID != j.SubscriptionID { // a batch's jobs often share one
			q = d.queueFor(j.SubscriptionID)
		}
		sub := q.sub.Get()
		switch {
		case sub == nil:
			// Deleted, or made on another node and not loaded yet: let the store decide.
			d.settler.add(&store.Outcome{DeliveryID: j.DeliveryID, Now: now.Add(overflowDelay)})
		case sub.Status != event.Active:
			d.settler.add(&store.Outcome{DeliveryID: j.DeliveryID, Now: now}) // parks it
		case d.senders[sub.Channel.Type] == nil:
			d.release(j) // a kind that does not push: it waits in the store to be taken
		default:
			outcome := q.offer(j)
			for outcome == retired { // forgotten since queueFor, when its subscription was gone
				q = d.queueFor(j.SubscriptionID)
				outcome = q.offer(j)
			}
			switch outcome {
			case queued:
			case held:
				overflowed++
			case refused:
				d.settler.add(&store.Outcome{DeliveryID: j.DeliveryID, Now: now.Add(overflowDelay)})
				overflowed++
			}
		}
	}
	return overflowed
}

func (d *Dispatcher) queueFor(subID string) *queue {
	d.mu.Lock()
	defer d.mu.Unlock()
	q := d.queues[subID]
	if q == nil {
		q = &queue{d: d, subID: subID, sub: d.router.Ref(subID)}
		d.queues[subID] = q
	}
	return q
}

// queue holds one subscription's waiting jobs and sends them with at most
// the subscription's max_concurrency in flight. Up to QueueSize jobs wait
// ready, with their payloads; those that find it full are held in order,
// still leased, with their payloads while HoldBytes allows (the store has
// them too), and refilled as it drains: a burst larger than the queue
// costs no writes to release and claim it again. Both lists grow only
// while the subscription is busy, so 10,000 quiet subscriptions cost
// little memory.
//
// A queue has no goroutine of its own. Each send in flight is a runner
// that, when its send is done, takes the next ready job itself: a steady
// stream keeps its runners busy without a hand-over per job, and a job
// for an idle subscription costs one hand-over to a worker, not a wake of
// the queue and another of the worker (and, with 10,000 subscriptions,
// 10,000 parked goroutines for the collector to scan). When the
// subscription's destination, shared with others, has no free slot, the
// queue waits in its line (destinations.go) until a runner brings one.
type queue struct {
	d     *Dispatcher
	subID string
	sub   *route.Ref

	mu        sync.Mutex
	ready     []*store.Job  // oldest first, with payloads, at most QueueSize
	held      []*store.Job  // behind ready, in arrival order, Envelope kept within HoldBytes
	running   int           // runners: sends in flight
	inLine    *destination  // the destination whose line q waits in, under destinations.mu
	refilling bool          // a refill is running: new jobs go behind the held ones
	limiter   *rate.Limiter // the subscription's rate limit, if it has one
	// overflowed is set when a job found the queue full, so the poller is
	// poked once room is made again: it stops claiming into a full queue.
	overflowed bool
	retired    bool // forgotten (forgetGoneQueues): takes no more jobs
	// lingering counts the runners waiting for more jobs to fill a batch;
	// more wakes them when a job is ready.
	lingering int
	more      chan struct{}
}

type offered int

const (
	queued  offered = iota // ready to be sent
	held                   // held until the queue has room
	refused                // no room anywhere: release it
	retired                // the queue was forgotten: offer it to the subscription's new one
)

func (q *queue) offer(j *store.Job) offered {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.retired {
		return retired
	}
	if len(q.held) == 0 && !q.refilling && len(q.ready) < q.d.cfg.QueueSize { // nothing is ahead of it
		q.ready = append(q.ready, j)
		q.startRunnersLocked()
		q.wakeLingering()
		return queued
	}
	q.overflowed = true
	if q.d.held.Add(1) > int64(q.d.cfg.HoldMax) {
		q.d.held.Add(-1)
		return refused
	}
	q.d.holdPayload(j)
	q.held = append(q.held, j)
	return held
}

// holdPayload keeps a held job's payload while HoldBytes allows, and
// drops it otherwise: the store has it.
func (d *Dispatcher) holdPayload(j *store.Job) {
	n := int64(len(j.Envelope))
	if d.heldBytes.Add(n) > d.cfg.HoldBytes {
		d.heldBytes.Add(-n)
		j.Envelope = nil
	}
}

// unhold accounts for held jobs leaving the hold.
func (d *Dispatcher) unhold(jobs []*store.Job) {
	var n int64
	for _, j := range jobs {
		n += int64(len(j.Envelope))
	}
	d.held.Add(-int64(len(jobs)))
	d.heldBytes.Add(-n)
}

// startRunnersLocked starts a runner for each ready job that
// max_concurrency and the destination have room for; when the destination
// is full, the queue waits in its line instead. q.mu is held. While
// shutting down it starts none: Shutdown releases what is left.
func (q *queue) startRunnersLocked() {
	if q.lingering > 0 {
		return // the runner filling a batch takes them
	}
	sub := q.sub.Get()
	key, limit := q.d.destinationOf(sub)
	for len(q.ready) > 0 && q.running < maxConcurrency(sub) {
		dst, ok := q.d.dests.take(q, key, limit)
		if !ok {
			return // a runner that frees a slot starts our next job
		}
		if !q.d.sends.enter() {
			q.d.dests.free(dst)
			return
		}
		q.running++
		j := q.popLocked()
		q.d.workers.run(func() { q.d.runSends(q, dst, j) })
	}
}

// destinationOf names where sub's deliveries go, and how many may be in
// flight there; "" when the kind's sender bounds nothing.
func (d *Dispatcher) destinationOf(sub *event.Subscription) (string, int) {
	if sub == nil {
		return "", 0
	}
	shared, ok := d.senders[sub.Channel.Type].(channel.Destinations)
	if !ok {
		return "", 0
	}
	return shared.Destination(sub)
}

// runSends is one send in flight, holding a slot of dst (nil: no bound).
// It sends j, then its queue's next ready jobs while max_concurrency
// allows, then those of the queues it hands its slot to, until none is
// left: a queue waiting for a slot costs no goroutine, and a slot changes
// hands without waking one.
func (d *Dispatcher) runSends(q *queue, dst *destination, j *store.Job) {
	defer d.sends.done()
	for j != nil {
		if q.waitForRate() {
			d.attempt(q, j)
		} else {
			d.release(j) // shutting down while waiting
		}
		if j = q.next(dst); j == nil {
			q, j = d.handOver(dst)
		}
	}
}

// next gives a runner that finished its send the oldest ready job, or nil
// to leave the queue: nothing is ready, max_concurrency was lowered, the
// dispatcher is stopping, or other queues wait for the destination (then
// this one joins the back of the line). When max_concurrency was raised,
// it starts runners for the backlog too.
func (q *queue) next(dst *destination) *store.Job {
	q.mu.Lock()
	defer q.mu.Unlock()
	limit := q.limit()
	if len(q.ready) == 0 || q.running > limit || q.d.stopping() || q.d.dests.yieldTo(dst, q) {
		q.running--
		return nil
	}
	j := q.popLocked()
	if q.running < limit {
		q.startRunnersLocked()
	}
	return j
}

// handOver passes a runner's slot of dst to the first queue in line that
// has a job to send, and returns that queue and job; nil when the slot
// was freed instead.
func (d *Dispatcher) handOver(dst *destination) (*queue, *store.Job) {
	for {
		q := d.dests.handOver(dst, d.stopping())
		if q == nil {
			return nil, nil
		}
		if j := q.resume(); j != nil {
			return q, j
		}
	}
}

// resume takes the oldest ready job for a runner handed a slot, or nil
// when nothing is ready or max_concurrency is reached (the queue's own
// runners carry on).
func (q *queue) resume() *store.Job {
	q.mu.Lock()
	defer q.mu.Unlock()
	limit := q.limit()
	if len(q.ready) == 0 || q.running >= limit || q.d.stopping() {
		return nil
	}
	q.running++
	j := q.popLocked()
	if q.running < limit {
		q.startRunnersLocked()
	}
	return j
}

// popLocked takes the oldest ready job; q.mu is held. Once the queue has
// drained to half it refills from the held jobs, and wakes the poller if
// the queue turned work away, so that a backlog keeps flowing without
// waiting for a tick.
func (q *queue) popLocked() *store.Job {
	j := q.ready[0]
	q.ready[0] = nil
	q.ready = q.ready[1:]
	if len(q.ready) == 0 {
		q.ready = nil // give the drained buffer back
	}
	if len(q.ready) <= q.d.cfg.QueueSize/2 {
		q.refillLocked()
		if q.overflowed {
			q.overflowed = false
			q.d.Poke()
		}
	}
	return j
}

// refillLocked starts a refill when jobs are held; q.mu is held.
func (q *queue) refillLocked() {
	if len(q.held) == 0 || q.refilling || !q.d.loops.start(q.refill) {
		return
	}
	q.refilling = true
}

// refill makes held jobs ready, the payloads they did not keep read back
// from the store, as long as there is room and jobs are held.
func (q *queue) refill() {
	for {
		q.mu.Lock()
		n := min(len(q.held), q.d.cfg.QueueSize-len(q.ready))
		if n <= 0 || q.d.stopping() {
			q.refilling = false
			q.mu.Unlock()
			return
		}
		batch := slices.Clone(q.held[:n])
		clear(q.held[:n])
		q.held = q.held[n:]
		if len(q.held) == 0 {
			q.held = nil
		}
		q.mu.Unlock()
		q.d.unhold(batch)

		envelopes := q.d.envelopesOf(batch)
		var gone []*store.Job // a read error, or the event was deleted: the store decides
		q.mu.Lock()
		for _, j := range batch {
			if j.Envelope == nil {
				j.Envelope = envelopes[j.EventID]
			}
			if j.Envelope == nil {
				gone = append(gone, j)
				continue
			}
			q.ready = append(q.ready, j) // new jobs wait behind: the order holds
		}
		q.startRunnersLocked()
		q.wakeLingering()
		q.mu.Unlock()
		for _, j := range gone {
			q.d.release(j)
		}
	}
}

// envelopesOf finds the envelopes of the events of jobs that did not keep
// theirs: cached, or read from the store. One that cannot be found is
// missing from the map.
func (d *Dispatcher) envelopesOf(jobs []*store.Job) map[string][]byte {
	var ids []string
	for _, j := range jobs {
		if j.Envelope == nil {
			ids = append(ids, j.EventID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	found, missing := d.envelopes.get(ids)
	if len(missing) == 0 {
		return found
	}
	read, err := d.store.Envelopes(d.ctx, missing)
	if err != nil && d.ctx.Err() == nil {
		slog.Error("reading held deliveries' payloads failed; releasing them to the store", "deliveries", len(missing), "err", err)
	}
	d.envelopes.put(read)
	maps.Copy(found, read)
	return found
}

// waitForRate holds a send until the subscription's rate limit lets it
// go: over the limit deliveries wait, they do not fail. It reports false
// when the dispatcher stops meanwhile.
func (q *queue) waitForRate() bool { return q.waitForRateN(1) }

// waitForRateN holds n sends (a batch) until the rate limit lets them go.
func (q *queue) waitForRateN(n int) bool {
	sub := q.sub.Get()
	if sub == nil || sub.RateLimit == nil || n <= 0 {
		return true
	}
	q.mu.Lock()
	if q.limiter == nil || q.limiter.Limit() != rate.Limit(sub.RateLimit.PerSecond) {
		q.limiter = rate.NewLimiter(rate.Limit(sub.RateLimit.PerSecond), max(1, int(sub.RateLimit.PerSecond)))
	}
	limiter := q.limiter
	q.mu.Unlock()
	for n > 0 { // WaitN takes at most the burst at once
		step := min(n, limiter.Burst())
		if limiter.WaitN(q.d.ctx, step) != nil {
			return false
		}
		n -= step
	}
	return true
}

// limit is the subscription's current max_concurrency.
func (q *queue) limit() int { return maxConcurrency(q.sub.Get()) }

func maxConcurrency(sub *event.Subscription) int {
	if sub != nil && sub.MaxConcurrency > 0 {
		return sub.MaxConcurrency
	}
	return 1
}

// drainOnStop releases what is still ready or held; Shutdown calls it once
// no runner or refill is left.
func (q *queue) drainOnStop() {
	q.mu.Lock()
	jobs := append(q.ready, q.held...)
	q.d.unhold(q.held)
	q.ready, q.held = nil, nil
	q.mu.Unlock()
	for _, j := range jobs {
		q.d.release(j)
	}
}

func (d *Dispatcher) stopping() bool {
	select {
	case <-d.stop:
		return true
	default:
		return false
	}
}

func (d *Dispatcher) release(j *store.Job) {
	d.settler.add(&store.Outcome{DeliveryID: j.DeliveryID, Now: time.Now()})
}

// attempt makes one try of one of q's jobs and settles its outcome.
func (d *Dispatcher) attempt(q *queue, j *store.Job) {
	sub, shape := q.sub.GetWithShape()
	if sub == nil || sub.Status != event.Active {
		d.release(j)
		return
	}
	sender := d.senders[sub.Channel.Type]
	if sender == nil { // changed to a kind that does not push
		d.release(j)
		return
	}
	if batches, ok := sender.(channel.BatchSender); ok {
		d.attemptBatch(q, batches, sub, shape, j) // admits each of the batch's jobs
		return
	}
	if d.cfg.Quota != nil && !d.cfg.Quota.Admit(sub) {
		d.settler.add(&store.Outcome{DeliveryID: j.DeliveryID, Now: time.Now().Add(quotaDelay)})
		return
	}
	start := time.Now()
	r := d.send(sender, sub, shape, j)
	d.settleTry(sub, j, start, r)
}

// settleTry settles the outcome of one try of j, begun at start.
func (d *Dispatcher) settleTry(sub *event.Subscription, j *store.Job, start time.Time, r channel.Result) {
	if d.cfg.Quota != nil {
		d.cfg.Quota.Done(sub, r.OK)
	}
	if d.ctx.Err() != nil && !r.OK {
		// Shutting down cut the try short: it does not count against the policy.
		d.release(j)
		return
	}
	status, next := decide(sub.RetryPolicy, cycle{attempts: j.CycleAttempts, start: j.CycleStart}, r, time.Now())
	a := &event.Attempt{
		ID: event.NewID(event.PrefixAttempt), DeliveryID: j.DeliveryID, At: start.UTC(),
		StatusCode: r.StatusCode, Latency: r.Latency, ResponseBody: r.ResponseBody,
	}
	if r.Err != nil {
		a.Error = r.Err.Error()
	}
	d.settler.add(&store.Outcome{DeliveryID: j.DeliveryID, Attempt: a, Status: status, NextAttemptAt: next})
	d.cfg.Observer.Attempted(observe.Attempt{SubscriptionID: sub.ID, Channel: sub.Channel.Type, Outcome: status, StatusCode: r.StatusCode, Latency: r.Latency})
	if r.Gone && d.cfg.OnGone != nil {
		d.cfg.OnGone(sub.ID)
	}
}

// send renders the payload for the subscription and sends it. A payload
// that cannot be rendered fails like an unreachable endpoint, with the
// reason in the attempt log: fixing the transform lets a retry succeed.
func (d *Dispatcher) send(sender channel.Sender, sub *event.Subscription, shape *route.Shape, j *store.Job) channel.Result {
	body, contentType, err := shape.Render(j.Envelope)
	if err != nil {
		return channel.Result{Err: fmt.Errorf("rendering the payload: %w", err)}
	}
	span := tracing.StartAttempt(j.TraceParent, j.DeliveryID, sub.ID, sub.Channel.Type)
	r := sender.Send(d.ctx, &channel.Message{DeliveryID: j.DeliveryID, EventID: j.EventID, Subscription: sub, Body: body, ContentType: contentType, TraceParent: span.TraceParent()})
	span.EndAttempt(r.StatusCode, r.OK, r.Err)
	return r
}

// pollLoop claims due work from the store: retries that came due, work
// released or left by a dead node, and deliveries of resumed subscriptions.
func (d *Dispatcher) pollLoop() {
	tick := time.NewTicker(d.cfg.PollInterval)
	defer tick.Stop()
	for {
		select {
		case <-d.stop:
			return
		case <-tick.C:
		case <-d.poke:
		}
		for d.claimOnce() {
		}
	}
}

// claimOnce claims one batch; it reports whether to claim again at once:
// a full batch came, so more is waiting, and all of it found room. When a
// queue is full, claiming more would only release it again; the queue
// pokes the poller when it has room.
func (d *Dispatcher) claimOnce() bool {
	if d.stopping() {
		return false
	}
	began := time.Now()
	jobs, err := d.store.ClaimDue(d.ctx, d.Lease(), began, d.cfg.ClaimBatch)
	d.cfg.Observer.Claimed(observe.Claim{Deliveries: len(jobs), Latency: time.Since(began), Err: err})
	if err != nil {
		if d.ctx.Err() == nil {
			slog.Error("claiming due deliveries failed", "err", err)
		}
		return false
	}
	overflowed := d.enqueue(jobs)
	return len(jobs) == d.cfg.ClaimBatch && overflowed == 0
}

// upkeep renews this node's leases well before they expire, and forgets
// the queues of subscriptions that are gone.
func (d *Dispatcher) upkeep() {
	tick := time.NewTicker(d.cfg.Lease / 3)
	defer tick.Stop()
	for {
		select {
		case <-d.stop:
			return
		case <-tick.C:
			if err := d.store.ExtendLeases(d.ctx, d.Lease()); err != nil && d.ctx.Err() == nil {
				slog.Error("renewing leases failed; other nodes may take this node's work over", "err", err)
			}
			d.forgetGoneQueues()
		}
	}
}

// forgetGoneQueues drops the queues of subscriptions that no longer exist
// and have nothing left to do, so that deleted subscriptions do not leave
// theirs behind for as long as the process runs. A queue is retired under
// its lock: an enqueue that found it just before offers to a new queue
// instead, so that no subscription ever has two.
func (d *Dispatcher) forgetGoneQueues() {
	d.mu.Lock()
	defer d.mu.Unlock()
	for id, q := range d.queues {
		q.mu.Lock()
		if len(q.ready) == 0 && len(q.held) == 0 && q.running == 0 && !q.refilling && q.sub.Get() == nil {
			q.retired = true
			delete(d.queues, id)
		}
		q.mu.Unlock()
	}
}

// settleReserve is what a shutdown keeps of its time for recording
// outcomes: sends in flight are cut short that long before its deadline.
const settleReserve = time.Second

// Shutdown stops taking work, lets in-flight sends finish until shortly
// before ctx's deadline, then cuts the rest short and releases it; outcomes
// are settled, while ctx allows, before it returns.
func (d *Dispatcher) Shutdown(ctx context.Context) {
	close(d.stop)
	d.sends.close()
	d.loops.close()
	sending := ctx
	if deadline, ok := ctx.Deadline(); ok {
		var cancel context.CancelFunc
		sending, cancel = context.WithDeadline(ctx, deadline.Add(-settleReserve))
		defer cancel()
	}
	finished := make(chan struct{})
	// The loops too: a claim waiting for a database that does not answer
	// is cut short with the sends.
	go func() { d.sends.wait(); d.loops.wait(); close(finished) }()
	select {
	case <-finished:
	case <-sending.Done():
		d.cancel()
		<-finished
	}
	d.cancel()
	d.mu.Lock()
	for _, q := range d.queues {
		q.drainOnStop()
	}
	d.mu.Unlock()
	d.settler.close(ctx)
}
