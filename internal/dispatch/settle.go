package dispatch

import (
	"context"
	"log/slog"
	"time"

	"github.com/eventgate/eventgate/internal/observe"
	"github.com/eventgate/eventgate/internal/store"
)

// settleBatch bounds the outcomes written in one transaction.
const settleBatch = 1000

// settleTimeout bounds one write of outcomes, so that a database that does
// not answer fails it instead of holding the settler, and a stop, forever.
const settleTimeout = 5 * time.Second

// settler writes outcomes in batches: one transaction for many attempts.
// An outcome lost in a crash costs a repeated send, never a lost delivery:
// the delivery stays leased and comes due again when its lease runs out.
type settler struct {
	store    store.Dispatch
	owner    string
	linger   time.Duration // how long a batch waits for more outcomes
	obs      observe.Observer
	outcomes chan *store.Outcome
	done     chan struct{}
	// stopping is closed when close is called: a failed write is not
	// retried after it. cancel cuts writes short when close runs out of time.
	stopping chan struct{}
	ctx      context.Context
	cancel   context.CancelFunc
}

func newSettler(s store.Dispatch, owner string, linger time.Duration, obs observe.Observer) *settler {
	ctx, cancel := context.WithCancel(context.Background())
	st := &settler{
		store: s, owner: owner, linger: linger, obs: obs, outcomes: make(chan *store.Outcome, 4*settleBatch), done: make(chan struct{}),
		stopping: make(chan struct{}), ctx: ctx, cancel: cancel,
	}
	go st.loop()
	return st
}

func (s *settler) add(o *store.Outcome) { s.outcomes <- o }

func (s *settler) loop() {
	defer close(s.done)
	linger := time.NewTimer(s.linger)
	for first := range s.outcomes {
		batch := []*store.Outcome{first}
		linger.Reset(s.linger)
	gather:
		for len(batch) < settleBatch {
			select {
			case o, ok := <-s.outcomes:
				if !ok {
					break gather
				}
				batch = append(batch, o)
			case <-linger.C:
				break gather
			}
		}
		linger.Stop()
		s.write(batch)
	}
}

// write retries until the store takes the batch: outcomes are not dropped
// because the database had a bad moment. Once stopping, it tries once: the
// deliveries of outcomes it could not record stay leased to this node and
// are sent again when the lease runs out, so the stop keeps to its budget.
func (s *settler) write(batch []*store.Outcome) {
	for wait := 100 * time.Millisecond; ; wait = min(2*wait, 5*time.Second) {
		ctx, cancel := context.WithTimeout(s.ctx, settleTimeout)
		began := time.Now()
		err := s.store.Settle(ctx, s.owner, batch)
		cancel()
		s.obs.Settled(observe.Settle{Outcomes: len(batch), Latency: time.Since(began), Err: err})
		if err == nil {
			return
		}
		select {
		case <-s.stopping:
			slog.Error("recording delivery outcomes failed while stopping; those deliveries are sent again when their lease runs out", "outcomes", len(batch), "err", err)
			return
		default:
		}
		slog.Error("recording delivery outcomes failed; retrying", "outcomes", len(batch), "err", err, "retry_in", wait)
		select {
		case <-time.After(wait):
		case <-s.stopping:
		}
	}
}

// close writes what is waiting, until ctx is done, and stops.
func (s *settler) close(ctx context.Context) {
	close(s.stopping)
	close(s.outcomes)
	select {
	case <-s.done:
	case <-ctx.Done():
		s.cancel()
		<-s.done
	}
	s.cancel()
}
