package dispatch

import (
	"fmt"
	"time"

	"github.com/eventgate/eventgate/internal/channel"
	"github.com/eventgate/eventgate/internal/event"
	"github.com/eventgate/eventgate/internal/route"
	"github.com/eventgate/eventgate/internal/store"
)

// attemptBatch makes one try of first and of the jobs of q that join it
// within the sender's bounds, in one batch, and settles each by its own
// result. The batch counts as one send in flight against max_concurrency
// and the destination.
func (d *Dispatcher) attemptBatch(q *queue, sender channel.BatchSender, sub *event.Subscription, shape *route.Shape, first *store.Job) {
	jobs := q.gather(first, sender.Batch())
	if !q.waitForRateN(len(jobs) - 1) { // first already waited for its own
		for _, j := range jobs {
			d.release(j)
		}
		return
	}
	start := time.Now()
	msgs := make([]*channel.Message, 0, len(jobs))
	sent := make([]*store.Job, 0, len(jobs))
	for _, j := range jobs {
		if d.cfg.Quota != nil && !d.cfg.Quota.Admit(sub) {
			d.settler.add(&store.Outcome{DeliveryID: j.DeliveryID, Now: time.Now().Add(quotaDelay)})
			continue
		}
		body, contentType, err := shape.Render(j.Envelope)
		if err != nil {
			d.settleTry(sub, j, start, channel.Result{Err: fmt.Errorf("rendering the payload: %w", err)})
			continue
		}
		msgs = append(msgs, &channel.Message{DeliveryID: j.DeliveryID, EventID: j.EventID, Subscription: sub, Body: body, ContentType: contentType, TraceParent: j.TraceParent})
		sent = append(sent, j)
	}
	if len(msgs) == 0 {
		return
	}
	results := sender.SendBatch(d.ctx, msgs)
	for i, j := range sent {
		r := channel.Result{Err: fmt.Errorf("the %s channel answered %d results for a batch of %d", sub.Channel.Type, len(results), len(msgs))}
		if len(results) == len(msgs) {
			r = results[i]
		}
		d.settleTry(sub, j, start, r)
	}
}

// gather takes ready jobs behind first while the batch has room, waiting
// up to the linger time for more while it is not full.
func (q *queue) gather(first *store.Job, bounds channel.Batch) []*store.Job {
	jobs := []*store.Job{first}
	size := len(first.Envelope)
	var deadline <-chan time.Time
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(jobs) < bounds.Count {
		if len(q.ready) > 0 {
			next := len(q.ready[0].Envelope)
			if bounds.Bytes > 0 && size+next > bounds.Bytes {
				break
			}
			jobs = append(jobs, q.popLocked())
			size += next
			continue
		}
		if bounds.Linger <= 0 || (bounds.Bytes > 0 && size >= bounds.Bytes) || q.d.stopping() {
			break
		}
		if deadline == nil {
			timer := time.NewTimer(bounds.Linger)
			defer timer.Stop()
			deadline = timer.C
		}
		if q.more == nil {
			q.more = make(chan struct{}, 1)
		}
		more := q.more
		q.lingering++
		q.mu.Unlock()
		var expired bool
		select {
		case <-more:
		case <-deadline:
			expired = true
		case <-q.d.stop:
			expired = true
		}
		q.mu.Lock()
		q.lingering--
		if expired {
			break
		}
	}
	q.startRunnersLocked() // for what the batch left ready
	return jobs
}

// wakeLingering tells a runner filling a batch that a job is ready; q.mu is held.
func (q *queue) wakeLingering() {
	if q.lingering == 0 {
		return
	}
	select {
	case q.more <- struct{}{}:
	default:
	}
}
