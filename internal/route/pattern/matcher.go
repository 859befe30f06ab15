package pattern

import (
	"slices"
	"sync"
)

// Matcher holds many patterns, each under an id (a subscription id), and
// finds all the patterns an event matches without trying each one.
//
// Every pattern is expanded into clauses (one per combination of "$or"
// alternatives). For each clause, Add picks one "anchor": the leaf condition
// expected to be rarest, e.g. an exact customer id rather than a common type
// or a wide numeric range, and indexes its values under the field path:
// exact values in hash maps, prefixes and suffixes by length, numeric ranges
// in a block list, CIDR blocks by prefix length. Match walks the event once
// along the indexed paths, collects the patterns whose anchor some leaf value
// satisfies, and confirms each candidate with Pattern.MatchValue, so the
// answer is exactly that of matching every pattern one by one. Clauses with
// nothing to anchor on (made only of {"exists": false}, or an empty pattern)
// are candidates for every event.
//
// Concurrency: Match may be called from many goroutines at once, but Add and
// Remove must not run concurrently with each other or with Match. Guard the
// Matcher with a sync.RWMutex (Match under RLock), or build a new Matcher and
// swap it in.
type Matcher struct {
	byID    map[string]int32
	subs    []subscription // indexed by slot
	free    []int32        // slots of removed subscriptions, for reuse
	root    pathNode
	paths   pathSet // every path some pattern reads, for Decode
	always  []int32 // slots checked for every event
	scratch sync.Pool
}

type subscription struct {
	id      string
	pattern *Pattern
	anchors []anchor // what Add indexed, so that Remove can undo it
	always  bool
}

type anchor struct {
	path []string
	key  indexKey
}

// NewMatcher returns an empty Matcher. The zero Matcher is ready to use too.
func NewMatcher() *Matcher { return &Matcher{} }

// Len reports how many patterns the Matcher holds.
func (m *Matcher) Len() int { return len(m.byID) }

// Add stores p under id, replacing any pattern already stored under id. A nil
// pattern matches every event.
func (m *Matcher) Add(id string, p *Pattern) {
	m.Remove(id)
	if m.byID == nil {
		m.byID = make(map[string]int32)
	}
	slot := m.allocSlot()
	sub := subscription{id: id, pattern: p}
	if anchors, ok := m.chooseAnchors(p); ok {
		for _, a := range anchors {
			m.root.ensure(a.path).values.add(a.key, slot)
		}
		sub.anchors = anchors
	} else {
		sub.always = true
		m.always = append(m.always, slot)
	}
	m.subs[slot] = sub
	m.byID[id] = slot
	m.paths.addPattern(p, 1)
}

// Remove deletes the pattern stored under id, if any.
func (m *Matcher) Remove(id string) {
	slot, ok := m.byID[id]
	if !ok {
		return
	}
	sub := &m.subs[slot]
	if sub.always {
		m.always = deleteOne(m.always, slot)
	}
	for _, a := range sub.anchors {
		m.root.unregister(a.path, a.key, slot)
	}
	m.paths.addPattern(sub.pattern, -1)
	*sub = subscription{}
	m.free = append(m.free, slot)
	delete(m.byID, id)
}

// Match appends to dst the ids of all patterns that match the event and
// returns the extended slice. Order is unspecified; no id appears twice.
func (m *Matcher) Match(event map[string]any, dst []string) []string {
	if len(m.byID) == 0 {
		return dst
	}
	sc := m.collect(event)
	for _, slot := range sc.candidates {
		if sub := &m.subs[slot]; sub.pattern.MatchValue(event) {
			dst = append(dst, sub.id)
		}
	}
	m.scratch.Put(sc)
	return dst
}

// collect gathers the candidate slots for an event. The caller returns the
// scratch to the pool.
func (m *Matcher) collect(event map[string]any) *scratch {
	sc, _ := m.scratch.Get().(*scratch)
	if sc == nil {
		sc = &scratch{}
	}
	sc.reset(len(m.subs))
	sc.mark(m.always)
	m.root.walkObject(event, sc)
	return sc
}

func (m *Matcher) allocSlot() int32 {
	if n := len(m.free); n > 0 {
		slot := m.free[n-1]
		m.free = m.free[:n-1]
		return slot
	}
	m.subs = append(m.subs, subscription{})
	return int32(len(m.subs) - 1)
}

// chooseAnchors picks, for every clause of p, the leaf condition that looks
// most selective given what is already indexed. It reports false when some
// clause has no condition that needs a value to be present.
func (m *Matcher) chooseAnchors(p *Pattern) ([]anchor, bool) {
	if p == nil || len(p.clauses) == 0 { // nil or uncompiled: matches everything
		return nil, false
	}
	var anchors []anchor
	for _, cl := range p.clauses {
		best, bestCost := -1, 0
		for i, lc := range cl {
			if lc.cond.matchAbsent {
				continue // holds when the field is missing: nothing to look up
			}
			if cost := m.cost(lc); best < 0 || cost < bestCost {
				best, bestCost = i, cost
			}
		}
		if best < 0 {
			return nil, false
		}
		lc := cl[best]
		for _, pred := range lc.cond.preds {
			a := anchor{path: lc.path, key: keyFor(pred)}
			if !slices.ContainsFunc(anchors, a.equal) {
				anchors = append(anchors, a)
			}
		}
	}
	return anchors, true
}

// cost of anchoring on a condition: it holds if any of its predicates does,
// so its candidates add up.
func (m *Matcher) cost(lc leafCondition) int {
	ix := &emptyIndex
	if n := m.root.lookup(lc.path); n != nil {
		ix = &n.values
	}
	total := 0
	for _, pred := range lc.cond.preds {
		total += ix.cost(keyFor(pred))
	}
	return total
}

// emptyIndex stands in, read-only, for paths nothing is indexed under yet.
var emptyIndex valueIndex

func (a anchor) equal(b anchor) bool { return a.key == b.key && slices.Equal(a.path, b.path) }

// scratch is the per-Match state: the candidate slots found so far, and a
// generation-stamped "seen" array to de-duplicate them without clearing.
type scratch struct {
	gen        uint32
	seen       []uint32 // seen[slot] == gen once slot is a candidate
	candidates []int32
	fold       []byte // reused buffer for case-folding event strings
}

func (sc *scratch) reset(slots int) {
	if len(sc.seen) < slots {
		sc.seen = make([]uint32, slots+slots/4)
		sc.gen = 0
	}
	sc.gen++
	if sc.gen == 0 { // wrapped around: old stamps could collide
		clear(sc.seen)
		sc.gen = 1
	}
	sc.candidates = sc.candidates[:0]
}

func (sc *scratch) mark(slots []int32) {
	for _, s := range slots {
		sc.markOne(s)
	}
}

func (sc *scratch) markOne(slot int32) {
	if sc.seen[slot] != sc.gen {
		sc.seen[slot] = sc.gen
		sc.candidates = append(sc.candidates, slot)
	}
}
