package dispatch

import "sync"

// destinations bounds the sends in flight to each destination the sender
// names (channel.Destinations: a webhook's host), which many
// subscriptions can share.
//
// The bound is kept here rather than in the sender, so that waiting costs
// nothing: a queue whose destination is full waits in the destination's
// line, without a goroutine, and a runner that finishes a send hands its
// slot, and itself, to the queue first in line. With 10,000 subscriptions
// on one host, that spares each delivery a goroutine woken to wait for a
// slot and another woken to send (bench filters: 66 -> 62 µs of gateway
// CPU per delivery; see docs/performance.md). A rate-limited
// subscription's runner waits for its rate holding its slot.
type destinations struct {
	mu    sync.Mutex
	byKey map[string]*destination
}

type destination struct {
	key   string
	limit int
	busy  int      // slots taken: sends in flight, or runners between two
	line  []*queue // queues with ready jobs waiting for a slot, first come first
}

// take gives q a slot of the destination named key, or puts q in its line
// and reports false: the runner that frees a slot will start q's next job.
// An empty key has no bound (nil, true). q.mu is held.
func (ds *destinations) take(q *queue, key string, limit int) (*destination, bool) {
	if key == "" {
		return nil, true
	}
	ds.mu.Lock()
	defer ds.mu.Unlock()
	dst := ds.byKey[key]
	if dst == nil {
		if ds.byKey == nil {
			ds.byKey = map[string]*destination{}
		}
		dst = &destination{key: key, limit: limit}
		ds.byKey[key] = dst
	}
	if dst.busy < dst.limit {
		dst.busy++
		return dst, true
	}
	ds.joinLineLocked(dst, q)
	return nil, false
}

func (ds *destinations) joinLineLocked(dst *destination, q *queue) {
	if q.inLine != dst {
		q.inLine = dst
		dst.line = append(dst.line, q)
	}
}

// yieldTo reports whether a runner of q, which has more ready jobs, should
// pass its slot of dst on because other queues wait for one, so that busy
// subscriptions sharing a destination take turns; then q joins the back
// of the line. q.mu is held.
func (ds *destinations) yieldTo(dst *destination, q *queue) bool {
	if dst == nil {
		return false
	}
	ds.mu.Lock()
	defer ds.mu.Unlock()
	if len(dst.line) == 0 {
		return false
	}
	ds.joinLineLocked(dst, q)
	return true
}

// handOver passes a finishing runner's slot of dst to the queue first in
// line, or frees it when nobody waits or the dispatcher is stopping (then
// nil). The slot stays taken by the runner, now the returned queue's.
func (ds *destinations) handOver(dst *destination, stopping bool) *queue {
	if dst == nil {
		return nil
	}
	ds.mu.Lock()
	defer ds.mu.Unlock()
	if len(dst.line) > 0 && !stopping {
		q := dst.line[0]
		dst.line[0] = nil
		dst.line = dst.line[1:]
		q.inLine = nil
		return q
	}
	ds.freeLocked(dst)
	return nil
}

// free gives a slot back without handing it over.
func (ds *destinations) free(dst *destination) {
	if dst == nil {
		return
	}
	ds.mu.Lock()
	defer ds.mu.Unlock()
	ds.freeLocked(dst)
}

// freeLocked gives a slot back, and forgets a destination nobody uses or
// waits for, so that only those with work in flight are kept.
func (ds *destinations) freeLocked(dst *destination) {
	dst.busy--
	if dst.busy == 0 && len(dst.line) == 0 {
		delete(ds.byKey, dst.key)
	}
}
