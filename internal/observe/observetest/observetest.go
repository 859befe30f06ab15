// Package observetest has an observer that records what it hears, for
// tests that wait on what the stages did instead of sleeping.
package observetest

import (
	"slices"
	"sync"

	"github.com/eventgate/eventgate/internal/observe"
)

// Seen is what a Recorder heard, in order.
type Seen struct {
	Publishes  []observe.Publish
	Commits    []observe.Commit
	Claims     []observe.Claim
	Attempts   []observe.Attempt
	Settles    []observe.Settle
	Rejections []observe.SourceRejection
}

// Settled counts the outcomes written by the settles without error.
func (s Seen) Settled() (n int) {
	for _, st := range s.Settles {
		if st.Err == nil {
			n += st.Outcomes
		}
	}
	return n
}

// Recorder is an observe.Observer that keeps what it hears.
type Recorder struct {
	mu   sync.Mutex
	seen Seen
}

var _ observe.Observer = (*Recorder)(nil)

func (r *Recorder) Published(p observe.Publish)              { keep(r, &r.seen.Publishes, p) }
func (r *Recorder) Committed(c observe.Commit)               { keep(r, &r.seen.Commits, c) }
func (r *Recorder) Claimed(c observe.Claim)                  { keep(r, &r.seen.Claims, c) }
func (r *Recorder) Attempted(a observe.Attempt)              { keep(r, &r.seen.Attempts, a) }
func (r *Recorder) Settled(s observe.Settle)                 { keep(r, &r.seen.Settles, s) }
func (r *Recorder) SourceRejected(s observe.SourceRejection) { keep(r, &r.seen.Rejections, s) }

func keep[T any](r *Recorder, list *[]T, v T) {
	r.mu.Lock()
	defer r.mu.Unlock()
	*list = append(*list, v)
}

// Seen returns a copy of what r heard so far.
func (r *Recorder) Seen() Seen {
	r.mu.Lock()
	defer r.mu.Unlock()
	return Seen{
		Publishes: slices.Clone(r.seen.Publishes), Commits: slices.Clone(r.seen.Commits), Claims: slices.Clone(r.seen.Claims),
		Attempts: slices.Clone(r.seen.Attempts), Settles: slices.Clone(r.seen.Settles), Rejections: slices.Clone(r.seen.Rejections),
	}
}
