// Package route decides which subscriptions receive an event. Event types
// are indexed in an immutable table, rebuilt on every change and swapped in
// atomically; content patterns live in one shared pattern.Matcher that
// matches an event against all of them at once.
package route

import (
	"bytes"
	"errors"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/eventgate/eventgate/internal/event"
	"github.com/eventgate/eventgate/internal/route/pattern"
)

// Router matches events to subscriptions.
type Router struct {
	mu     sync.Mutex // serialises changes
	subs   map[string]*event.Subscription
	shapes map[string]*Shape // compiled when a subscription is set
	// grants are the event type globs each partner may receive; a
	// partner's subscription receives only those, whatever its filter says.
	grants map[string][]string
	table  atomic.Pointer[table]
	builds uint64 // tables built so far, under mu: each table's generation
	// stale says subs changed since table was built. Changes only mark it,
	// and the next read rebuilds once, so creating 10,000 subscriptions in
	// a row costs one rebuild, not 10,000.
	stale atomic.Bool

	patternsMu sync.RWMutex // Matcher allows concurrent matches, not changes beside them
	patterns   *pattern.Matcher
}

// table is an immutable snapshot of the subscriptions.
type table struct {
	generation uint64 // changes with every rebuild, for Refs
	byID       map[string]*event.Subscription
	// byType indexes receiving subscriptions without a content pattern by
	// exact event type; wildcards holds those whose filter has a glob or no
	// type at all. Subscriptions with a pattern are found through the
	// pattern matcher instead, so they cost nothing when they do not match.
	byType    map[string][]*event.Subscription
	wildcards []*event.Subscription
	shapes    map[string]*Shape
	// granted holds, for each partner subscription, the types its partner
	// may receive: checked for those found through wildcards or patterns;
	// byType lists a partner's subscription only under granted types.
	granted map[string][]string
}

// New returns an empty router.
func New() *Router {
	r := &Router{subs: map[string]*event.Subscription{}, shapes: map[string]*Shape{}, grants: map[string][]string{}, patterns: pattern.NewMatcher()}
	r.rebuild()
	return r
}

// Load replaces every subscription. A subscription whose stored pattern no
// longer compiles is loaded without its pattern and reported in the error;
// the others load regardless.
func (r *Router) Load(subs []*event.Subscription) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	// Build everything aside and swap it in whole, so events routed
	// meanwhile see either the old subscriptions or the new, never half.
	matcher := pattern.NewMatcher()
	r.subs = make(map[string]*event.Subscription, len(subs))
	r.shapes = make(map[string]*Shape, len(subs))
	var errs []error
	for _, s := range subs {
		r.subs[s.ID] = s
		if p, err := compilePattern(s.Filter); err != nil {
			errs = append(errs, err)
		} else if p != nil {
			matcher.Add(s.ID, p)
		}
		if err := r.setShape(s); err != nil {
			errs = append(errs, err)
		}
	}
	r.patternsMu.Lock()
	r.patterns = matcher
	r.rebuild()
	r.patternsMu.Unlock()
	return errors.Join(errs...)
}

// Set adds or replaces a subscription. The router keeps s: callers must
// not change it afterwards. s's pattern must compile (CompilePattern).
func (r *Router) Set(s *event.Subscription) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.subs[s.ID] = s
	err := errors.Join(r.setPattern(s), r.setShape(s))
	r.stale.Store(true)
	return err
}

// setShape compiles a subscription's transform and format; one that does
// not compile (stored by an older release) sends the envelope until fixed.
func (r *Router) setShape(s *event.Subscription) error {
	shape, err := CompileShape(s)
	if err != nil {
		shape = envelopeShape
	}
	r.shapes[s.ID] = shape
	return err
}

// setPattern indexes a subscription's content pattern (or forgets its old one).
func (r *Router) setPattern(s *event.Subscription) error {
	p, err := compilePattern(s.Filter)
	r.patternsMu.Lock()
	defer r.patternsMu.Unlock()
	r.patterns.Remove(s.ID)
	if p != nil {
		r.patterns.Add(s.ID, p)
	}
	return err
}

// compilePattern compiles a filter's pattern; nil when it has none.
func compilePattern(f event.Filter) (*pattern.Pattern, error) {
	if !HasPattern(f) {
		return nil, nil
	}
	return pattern.Compile(f.Pattern)
}

// HasPattern reports whether a filter has a content pattern that matters.
func HasPattern(f event.Filter) bool {
	trimmed := bytes.TrimSpace(f.Pattern)
	return len(trimmed) > 0 && !bytes.Equal(trimmed, []byte("null")) && !bytes.Equal(trimmed, []byte("{}"))
}

// CompilePattern checks a filter's pattern, for validation before a change.
func CompilePattern(f event.Filter) error {
	_, err := compilePattern(f)
	return err
}

// SetGrants replaces what every partner may receive: event type globs by
// partner id. A partner missing from grants receives nothing.
func (r *Router) SetGrants(grants map[string][]string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.grants = maps.Clone(grants)
	r.stale.Store(true)
}

// Grant replaces what one partner may receive.
func (r *Router) Grant(partnerID string, globs []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.grants[partnerID] = globs
	r.stale.Store(true)
}

// Remove forgets a subscription.
func (r *Router) Remove(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.subs, id)
	delete(r.shapes, id)
	r.patternsMu.Lock()
	r.patterns.Remove(id)
	r.patternsMu.Unlock()
	r.stale.Store(true)
}

// current returns the table, rebuilt first if subscriptions changed.
func (r *Router) current() *table {
	if r.stale.Load() {
		r.mu.Lock()
		if r.stale.Load() {
			r.rebuild()
		}
		r.mu.Unlock()
	}
	return r.table.Load()
}

// rebuild builds and swaps in a new table; r.mu is held.
func (r *Router) rebuild() {
	t := build(r.subs, r.shapes, r.grants)
	r.builds++
	t.generation = r.builds
	r.table.Store(t)
	r.stale.Store(false)
}

// Get returns the current version of a subscription, or nil.
func (r *Router) Get(id string) *event.Subscription {
	return r.current().byID[id]
}

// Ref follows one subscription through its changes. It looks the
// subscription up again only when the router changed since the last
// time, so that a queue sending many deliveries for it does not pay a
// lookup in a table of thousands for each (bench filters: five per
// delivery, each a cache miss). Safe for concurrent use.
type Ref struct {
	r    *Router
	id   string
	seen atomic.Pointer[refEntry]
}

// refEntry is what a Ref found in the table of one generation. It keeps
// the generation, not the table, so that an idle Ref does not keep an
// old table alive.
type refEntry struct {
	generation uint64
	sub        *event.Subscription
	shape      *Shape
}

// Ref returns a Ref to subscription id, which need not exist yet.
func (r *Router) Ref(id string) *Ref { return &Ref{r: r, id: id} }

func (ref *Ref) entry() *refEntry {
	t := ref.r.current()
	if e := ref.seen.Load(); e != nil && e.generation == t.generation {
		return e
	}
	e := &refEntry{generation: t.generation, sub: t.byID[ref.id], shape: t.shapes[ref.id]}
	if e.shape == nil {
		e.shape = envelopeShape
	}
	ref.seen.Store(e)
	return e
}

// Get returns the subscription's current version, or nil.
func (ref *Ref) Get() *event.Subscription { return ref.entry().sub }

// GetWithShape returns the subscription's current version and how its
// deliveries are rendered, both of one version.
func (ref *Ref) GetWithShape() (*event.Subscription, *Shape) {
	e := ref.entry()
	return e.sub, e.shape
}

// Receivers returns the ids of subscriptions whose event type filter lets
// typ through, sorted; a content pattern may still narrow what they get.
func (r *Router) Receivers(typ string) []string {
	var ids []string
	t := r.current()
	for id, s := range t.byID {
		if s.Status != event.Disabled && t.receives(s, typ) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

// Match returns the subscriptions that receive e: those that are active or
// paused (paused ones accumulate) and whose filter passes. envelope is e's
// JSON, needed only when some subscription has a content pattern.
func (r *Router) Match(e *event.Event, envelope []byte) ([]*event.Subscription, error) {
	t := r.current()
	exact := t.byType[e.Type]
	out := make([]*event.Subscription, 0, len(exact)+4)
	out = append(out, exact...)
	for _, s := range t.wildcards {
		if t.receives(s, e.Type) {
			out = append(out, s)
		}
	}
	ids, err := r.matchPatterns(envelope)
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		if s := t.byID[id]; s != nil && s.Status != event.Disabled && HasPattern(s.Filter) && t.receives(s, e.Type) {
			out = append(out, s)
		}
	}
	return out, nil
}

// matchPatterns returns the ids of subscriptions whose pattern matches.
func (r *Router) matchPatterns(envelope []byte) ([]string, error) {
	r.patternsMu.RLock()
	defer r.patternsMu.RUnlock()
	if r.patterns.Len() == 0 {
		return nil, nil
	}
	doc, err := r.patterns.Decode(envelope)
	if err != nil {
		return nil, err
	}
	return r.patterns.Match(doc, nil), nil
}

// receives reports whether s's filter and, for a partner's subscription,
// its partner's grant let an event type through.
func (t *table) receives(s *event.Subscription, typ string) bool {
	if !s.Filter.MatchesType(typ) {
		return false
	}
	if s.PartnerID == "" {
		return true // the operator's own subscriptions have no grant to check
	}
	return event.GlobsMatch(t.granted[s.ID], typ)
}

func build(subs map[string]*event.Subscription, shapes map[string]*Shape, grants map[string][]string) *table {
	t := &table{byID: make(map[string]*event.Subscription, len(subs)), byType: map[string][]*event.Subscription{}, shapes: maps.Clone(shapes),
		granted: map[string][]string{}}
	for id, s := range subs {
		t.byID[id] = s
		if s.PartnerID != "" {
			t.granted[id] = grants[s.PartnerID]
		}
		if s.Status == event.Disabled || HasPattern(s.Filter) {
			continue
		}
		if len(s.Filter.EventTypes) == 0 || hasGlob(s.Filter.EventTypes) {
			t.wildcards = append(t.wildcards, s)
			continue
		}
		for _, typ := range dedupe(s.Filter.EventTypes) {
			if t.receives(s, typ) {
				t.byType[typ] = append(t.byType[typ], s)
			}
		}
	}
	return t
}

func hasGlob(types []string) bool {
	for _, typ := range types {
		if strings.Contains(typ, "*") {
			return true
		}
	}
	return false
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
