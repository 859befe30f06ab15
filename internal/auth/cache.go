package auth

import (
	"context"
	"sync"
	"time"

	"github.com/eventgate/eventgate/internal/store"
)

// Cache remembers authenticated keys for a short time, so a busy publisher
// does not cost one database read per request. A key revoked through
// another node keeps working until its entry expires (at most TTL).
type Cache struct {
	TTL time.Duration

	mu      sync.Mutex
	entries map[string]cached // by the key's hash
}

type cached struct {
	key   *store.Key
	until time.Time
}

// maxCached bounds the cache; past it, it starts over.
const maxCached = 10000

// Authenticate is auth.Authenticate through the cache.
func (c *Cache) Authenticate(ctx context.Context, keys store.Keys, secret string, now time.Time) (*store.Key, error) {
	h := string(Hash(secret))
	c.mu.Lock()
	e, ok := c.entries[h]
	c.mu.Unlock()
	if ok && now.Before(e.until) && (e.key.ExpiresAt == nil || now.Before(*e.key.ExpiresAt)) {
		return e.key, nil
	}
	k, err := Authenticate(ctx, keys, secret, now)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.entries == nil || len(c.entries) >= maxCached {
		c.entries = map[string]cached{}
	}
	c.entries[h] = cached{k, now.Add(c.TTL)}
	c.mu.Unlock()
	return k, nil
}

// Forget drops every entry, after this node revoked keys.
func (c *Cache) Forget() {
	c.mu.Lock()
	c.entries = nil
	c.mu.Unlock()
}
