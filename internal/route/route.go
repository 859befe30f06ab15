// Package route decides which subscriptions receive an event. It keeps an
// in-memory table of subscriptions, rebuilt on every change and swapped in
// atomically, so matching never takes a lock.
package route

import (
	"strings"
	"sync"
	"sync/atomic"

	"github.com/eventgate/eventgate/internal/event"
)

// Router matches events to subscriptions.
type Router struct {
	mu    sync.Mutex // serialises changes
	subs  map[string]*event.Subscription
	table atomic.Pointer[table]
}

// table is an immutable snapshot of the subscriptions.
type table struct {
	byID map[string]*event.Subscription
	// byType indexes receiving subscriptions by exact event type;
	// wildcards holds those whose filter has a glob or no type at all.
	byType    map[string][]*event.Subscription
	wildcards []*event.Subscription
}

// New returns an empty router.
func New() *Router {
	r := &Router{subs: map[string]*event.Subscription{}}
	r.table.Store(build(r.subs))
	return r
}

// Load replaces every subscription.
func (r *Router) Load(subs []*event.Subscription) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.subs = make(map[string]*event.Subscription, len(subs))
	for _, s := range subs {
		r.subs[s.ID] = s
	}
	r.table.Store(build(r.subs))
}

// Set adds or replaces a subscription. The router keeps s: callers must
// not change it afterwards.
func (r *Router) Set(s *event.Subscription) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.subs[s.ID] = s
	r.table.Store(build(r.subs))
}

// Remove forgets a subscription.
func (r *Router) Remove(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.subs, id)
	r.table.Store(build(r.subs))
}

// Get returns the current version of a subscription, or nil.
func (r *Router) Get(id string) *event.Subscription {
	return r.table.Load().byID[id]
}

// Match returns the subscriptions that receive e: those that are active or
// paused (paused ones accumulate) and whose filter passes.
func (r *Router) Match(e *event.Event) []*event.Subscription {
	t := r.table.Load()
	exact := t.byType[e.Type]
	out := make([]*event.Subscription, 0, len(exact)+4)
	out = append(out, exact...)
	for _, s := range t.wildcards {
		if s.Filter.MatchesType(e.Type) {
			out = append(out, s)
		}
	}
	return out
}

func build(subs map[string]*event.Subscription) *table {
	t := &table{byID: make(map[string]*event.Subscription, len(subs)), byType: map[string][]*event.Subscription{}}
	for id, s := range subs {
		t.byID[id] = s
		if s.Status == event.Disabled {
			continue
		}
		if len(s.Filter.EventTypes) == 0 {
			t.wildcards = append(t.wildcards, s)
			continue
		}
		hasGlob := false
		for _, typ := range s.Filter.EventTypes {
			if strings.Contains(typ, "*") {
				hasGlob = true
			}
		}
		if hasGlob {
			t.wildcards = append(t.wildcards, s)
			continue
		}
		for _, typ := range dedupe(s.Filter.EventTypes) {
			t.byType[typ] = append(t.byType[typ], s)
		}
	}
	return t
}

func dedupe(in []string) []string {
	seen := make(map[string]bool, len(in))
	out := in[:0:0]
	for _, v := range in {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}
