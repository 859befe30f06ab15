package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Readiness checks ask the store at most once per readyTTL, so that load
// balancers probing often cannot load it, and wait at most readyTimeout.
const (
	readyTTL     = time.Second
	readyTimeout = 2 * time.Second
)

// ErrDiskFull is Ready's answer while this node's last commit failed for
// lack of disk space.
var ErrDiskFull = errors.New("the last commit failed: the disk is full")

// readiness caches the store's answer.
type readiness struct {
	mu      sync.Mutex // one check at a time; callers meanwhile wait for it
	err     error
	checked time.Time
}

// Ready says whether this node can serve: its last commit did not fail for
// lack of disk space, and the store answers and holds the schema this
// build migrates to.
func (g *Gateway) Ready(ctx context.Context) error {
	if g.DiskFull() {
		return ErrDiskFull
	}
	r := &g.readiness
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.checked.IsZero() && time.Since(r.checked) < readyTTL {
		return r.err
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), readyTimeout) // one caller leaving must not fail the check for the others
	defer cancel()
	err := g.store.Ready(ctx)
	if err != nil {
		err = fmt.Errorf("the store: %w", err)
	}
	// Logged when it changes, not on every probe.
	switch {
	case err != nil && (r.err == nil || r.checked.IsZero()):
		slog.Warn("not ready", "err", err)
	case err == nil && r.err != nil:
		slog.Info("ready again: the store answers")
	}
	r.err, r.checked = err, time.Now()
	return err
}

// KnownEventType reports whether the catalog holds a type, for metrics
// that give catalog types series of their own.
func (g *Gateway) KnownEventType(name string) bool { return g.catalog.Known(name) }
