package dispatch

import "sync"

// envelopeCache keeps the envelopes refills read recently, so that the
// queues of a fan-out (one event, many subscriptions) share one copy and
// one read instead of each reading its own. It holds two generations of
// up to envelopeCacheBytes each; when the current one fills, the older is
// dropped.
type envelopeCache struct {
	mu        sync.Mutex
	cur, prev map[string][]byte
	curBytes  int
}

const envelopeCacheBytes = 2 << 20

// get returns the cached envelopes of ids, and the ids it does not have.
func (c *envelopeCache) get(ids []string) (found map[string][]byte, missing []string) {
	found = make(map[string][]byte, len(ids))
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, id := range ids {
		if env, ok := c.cur[id]; ok {
			found[id] = env
		} else if env, ok := c.prev[id]; ok {
			found[id] = env
		} else {
			missing = append(missing, id)
		}
	}
	return found, missing
}

func (c *envelopeCache) put(envelopes map[string][]byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for id, env := range envelopes {
		if c.cur == nil || c.curBytes >= envelopeCacheBytes {
			c.prev, c.cur, c.curBytes = c.cur, map[string][]byte{}, 0
		}
		c.cur[id] = env
		c.curBytes += len(id) + len(env)
	}
}
