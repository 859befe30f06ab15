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
}

func newSettler(s store.Dispatch, owner string, linger time.Duration, obs observe.Observer) *settler {
	st := &settler{store: s, owner: owner, linger: linger, obs: obs, outcomes: make(chan *store.Outcome, 4*settleBatch), done: make(chan struct{})}
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
// because the database had a bad moment.
func (s *settler) write(batch []*store.Outcome) {
	for wait := 100 * time.Millisecond; ; wait = min(2*wait, 5*time.Second) {
		began := time.Now()
		err := s.store.Settle(context.Background(), s.owner, batch)
		s.obs.Settled(observe.Settle{Outcomes: len(batch), Latency: time.Since(began), Err: err})
		if err == nil {
			return
		}
		slog.Error("recording delivery outcomes failed; retrying", "outcomes", len(batch), "err", err, "retry_in", wait)
		time.Sleep(wait)
	}
}

// close writes what is waiting and stops.
func (s *settler) close() {
	close(s.outcomes)
	<-s.done
}
