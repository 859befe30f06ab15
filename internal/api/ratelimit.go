package api

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// publishLimiter gives each API key its own token bucket.
type publishLimiter struct {
	perSecond float64
	mu        sync.Mutex
	buckets   map[string]*rate.Limiter
}

// admit takes n events from the key's bucket, or returns a 429 problem
// that says when to come back (and sets Retry-After).
func (l *publishLimiter) admit(w http.ResponseWriter, keyID string, n int) error {
	if l.perSecond <= 0 {
		return nil
	}
	l.mu.Lock()
	b := l.buckets[keyID]
	if b == nil {
		b = rate.NewLimiter(rate.Limit(l.perSecond), max(1, int(2*l.perSecond)))
		l.buckets[keyID] = b
	}
	l.mu.Unlock()
	now := time.Now()
	r := b.ReserveN(now, n)
	if !r.OK() {
		return newProblem(http.StatusTooManyRequests, "rate-limited", fmt.Sprintf("A batch of %d events is more than this key may ever send at once (burst %d); send smaller batches.", n, b.Burst()))
	}
	if wait := r.DelayFrom(now); wait > 0 {
		r.CancelAt(now)
		secs := int(math.Ceil(wait.Seconds()))
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		return newProblem(http.StatusTooManyRequests, "rate-limited", fmt.Sprintf("This key may publish %g events per second; retry after %d s (the Retry-After header says so too).", l.perSecond, secs))
	}
	return nil
}
