package dispatch

import (
	"math/rand/v2"
	"time"

	"github.com/eventgate/eventgate/internal/channel"
	"github.com/eventgate/eventgate/internal/event"
)

// Backoff returns how long to wait before try number tries+1, given that
// tries have failed in this cycle: exponential from MinBackoff, capped at
// MaxBackoff, with full jitter (uniform between MinBackoff and the cap of
// this step) so that receivers recovering from an outage are not hit by
// every sender at the same instant.
func Backoff(p event.RetryPolicy, tries int) time.Duration {
	ceiling := p.MinBackoff.D()
	for i := 1; i < tries && ceiling < p.MaxBackoff.D(); i++ {
		ceiling *= 2
	}
	ceiling = min(ceiling, p.MaxBackoff.D())
	floor := p.MinBackoff.D()
	if ceiling <= floor {
		return floor
	}
	return floor + rand.N(ceiling-floor)
}

// decide turns one try's result into the delivery's next state.
func decide(p event.RetryPolicy, job cycle, r channel.Result, now time.Time) (event.DeliveryStatus, time.Time) {
	if r.OK {
		return event.Succeeded, time.Time{}
	}
	if r.Gone {
		return event.Dead, time.Time{}
	}
	tries := job.attempts + 1
	wait := Backoff(p, tries)
	if r.RetryAfter > 0 {
		wait = min(r.RetryAfter, p.MaxBackoff.D())
	}
	next := now.Add(wait)
	if (p.MaxAttempts > 0 && tries >= p.MaxAttempts) || next.After(job.start.Add(p.MaxAge.D())) {
		return event.Dead, time.Time{}
	}
	return event.Failed, next
}

// cycle is where a delivery stands in its current retry cycle.
type cycle struct {
	attempts int
	start    time.Time
}
