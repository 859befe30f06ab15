package dispatch

import (
	"errors"
	"testing"
	"time"

	"github.com/eventgate/eventgate/internal/channel"
	"github.com/eventgate/eventgate/internal/event"
)

var policy = event.RetryPolicy{MaxAttempts: 5, MaxAge: event.Duration(time.Hour), MinBackoff: event.Duration(time.Second), MaxBackoff: event.Duration(10 * time.Second)}

func TestBackoffGrowsWithinBounds(t *testing.T) {
	for tries := 1; tries <= 8; tries++ {
		ceiling := min(time.Second<<(tries-1), 10*time.Second)
		var maxSeen time.Duration
		for range 500 {
			d := Backoff(policy, tries)
			if d < time.Second || d > ceiling {
				t.Fatalf("try %d: backoff %v outside [1s, %v]", tries, d, ceiling)
			}
			maxSeen = max(maxSeen, d)
		}
		if tries > 1 && maxSeen < ceiling/2 {
			t.Fatalf("try %d: backoff never grew past %v (ceiling %v): no exponential growth", tries, maxSeen, ceiling)
		}
	}
}

func TestDecide(t *testing.T) {
	now := time.Now()
	fresh := cycle{attempts: 0, start: now}
	failed := channel.Result{StatusCode: 500, Err: errors.New("HTTP 500")}

	if s, _ := decide(policy, fresh, channel.Result{OK: true, StatusCode: 204}, now); s != event.Succeeded {
		t.Errorf("2xx: %s", s)
	}
	if s, next := decide(policy, fresh, failed, now); s != event.Failed || next.Before(now.Add(time.Second)) {
		t.Errorf("first failure: %s at %v", s, next)
	}
	if s, _ := decide(policy, cycle{attempts: 4, start: now}, failed, now); s != event.Dead {
		t.Errorf("fifth failure with max_attempts 5: %s, want dead", s)
	}
	if s, _ := decide(policy, cycle{attempts: 1, start: now.Add(-time.Hour + time.Second)}, failed, now); s != event.Dead {
		t.Errorf("retry past max_age: %s, want dead", s)
	}
	if s, _ := decide(policy, fresh, channel.Result{StatusCode: 410, Gone: true}, now); s != event.Dead {
		t.Errorf("410: %s, want dead", s)
	}
	limited := channel.Result{StatusCode: 429, RetryAfter: 7 * time.Second}
	if s, next := decide(policy, fresh, limited, now); s != event.Failed || !next.Equal(now.Add(7*time.Second)) {
		t.Errorf("Retry-After 7s: %s at +%v", s, next.Sub(now))
	}
	huge := channel.Result{StatusCode: 503, RetryAfter: time.Hour}
	if _, next := decide(policy, fresh, huge, now); !next.Equal(now.Add(10 * time.Second)) {
		t.Errorf("Retry-After beyond max_backoff: +%v, want the 10s cap", next.Sub(now))
	}
	unlimited := policy
	unlimited.MaxAttempts = 0
	if s, _ := decide(unlimited, cycle{attempts: 100, start: now}, failed, now); s != event.Failed {
		t.Errorf("max_attempts 0 bounds by age only: %s", s)
	}
}
