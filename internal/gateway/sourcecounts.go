package gateway

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/eventgate/eventgate/internal/source"
	"github.com/eventgate/eventgate/internal/store"
)

// sourceCountsInterval is how often buffered source counters are written.
const sourceCountsInterval = time.Second

// sourceCounts buffers the counters of source requests, so that a flood of
// requests, forged ones included, costs increments in memory and one write
// per source per second, not a write per request.
type sourceCounts struct {
	store   store.Sources
	mu      sync.Mutex
	pending map[string]source.Counts
	stop    chan struct{}
	done    chan struct{}
	// ctx is the writes'; close cancels it when it runs out of time.
	ctx    context.Context
	cancel context.CancelFunc
}

// sourceCountsTimeout bounds one flush, so that a database that does not
// answer cannot hold it (or a stop) forever.
const sourceCountsTimeout = 5 * time.Second

func startSourceCounts(s store.Sources) *sourceCounts {
	c := &sourceCounts{store: s, pending: map[string]source.Counts{}, stop: make(chan struct{}), done: make(chan struct{})}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	go c.loop()
	return c
}

func (c *sourceCounts) add(id string, d source.Counts) {
	c.mu.Lock()
	c.pending[id] = c.pending[id].Plus(d)
	c.mu.Unlock()
}

// unwritten returns what is counted for a source but not stored yet.
func (c *sourceCounts) unwritten(id string) source.Counts {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.pending[id]
}

func (c *sourceCounts) loop() {
	defer close(c.done)
	tick := time.NewTicker(sourceCountsInterval)
	defer tick.Stop()
	for {
		select {
		case <-c.stop:
			c.flush()
			return
		case <-tick.C:
			c.flush()
		}
	}
}

// flush writes what is pending; what fails to write stays pending.
func (c *sourceCounts) flush() {
	c.mu.Lock()
	batch := c.pending
	c.pending = map[string]source.Counts{}
	c.mu.Unlock()
	ctx, cancel := context.WithTimeout(c.ctx, sourceCountsTimeout)
	defer cancel()
	for id, n := range batch {
		if err := c.store.AddSourceCounts(ctx, id, n); err != nil {
			slog.Warn("writing source counters failed; kept for the next try", "source", id, "err", err)
			c.add(id, n)
		}
	}
}

// close writes what is pending, while ctx allows, and stops.
func (c *sourceCounts) close(ctx context.Context) {
	close(c.stop)
	select {
	case <-c.done:
	case <-ctx.Done():
		c.cancel()
		<-c.done
	}
	c.cancel()
}
