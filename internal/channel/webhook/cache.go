package webhook

import (
	"crypto/sha256"
	"fmt"
	"sync"
)

// perSubscription keeps one value per subscription, built from settings
// identified by a fingerprint: when the settings change (a new secret, a
// new certificate), the next get builds a new value and retires the old.
type perSubscription[T any] struct {
	mu      sync.Mutex
	entries map[string]fingerprinted[T]
	retire  func(T) // releases a replaced value; may be nil
}

type fingerprinted[T any] struct {
	fingerprint string
	value       T
}

func (c *perSubscription[T]) get(subscriptionID, fingerprint string, build func() (T, error)) (T, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	old, ok := c.entries[subscriptionID]
	if ok && old.fingerprint == fingerprint {
		return old.value, nil
	}
	v, err := build()
	if err != nil {
		return v, err
	}
	if ok && c.retire != nil {
		c.retire(old.value)
	}
	if c.entries == nil {
		c.entries = map[string]fingerprinted[T]{}
	}
	c.entries[subscriptionID] = fingerprinted[T]{fingerprint, v}
	return v, nil
}

// fingerprint hashes settings, so that secrets are compared without being
// kept twice. Length prefixes keep ("ab", "c") apart from ("a", "bc").
func fingerprint(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		fmt.Fprintf(h, "%d:%s", len(p), p)
	}
	return string(h.Sum(nil))
}
