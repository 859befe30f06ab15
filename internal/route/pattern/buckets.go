package pattern

import (
	"net/netip"
	"slices"
)

// affixIndex indexes prefixes (or suffixes) by their text, remembering which
// lengths occur so that a lookup slices the value only at those lengths.
type affixIndex struct {
	keys    map[string][]int32
	lengths lengthSet
}

func (a *affixIndex) add(text string, slot int32) {
	addSlot(&a.keys, text, slot)
	a.lengths.add(len(text))
}

func (a *affixIndex) remove(text string, slot int32) {
	if removeSlot(a.keys, text, slot) {
		a.lengths.remove(len(text))
	}
}

func (a *affixIndex) probePrefixes(s string, sc *scratch) {
	for _, n := range a.lengths.sorted {
		if n > len(s) {
			return
		}
		sc.mark(a.keys[s[:n]])
	}
}

func (a *affixIndex) probeSuffixes(s string, sc *scratch) {
	for _, n := range a.lengths.sorted {
		if n > len(s) {
			return
		}
		sc.mark(a.keys[s[len(s)-n:]])
	}
}

// The folded variants take bytes so that the fold buffer is reused; Go does
// not allocate for a string(bytes) conversion used as a map key.
func (a *affixIndex) probeFoldedPrefixes(f []byte, sc *scratch) {
	for _, n := range a.lengths.sorted {
		if n > len(f) {
			return
		}
		sc.mark(a.keys[string(f[:n])])
	}
}

func (a *affixIndex) probeFoldedSuffixes(f []byte, sc *scratch) {
	for _, n := range a.lengths.sorted {
		if n > len(f) {
			return
		}
		sc.mark(a.keys[string(f[len(f)-n:])])
	}
}

// cidrIndex indexes CIDR blocks; an address is looked up once per distinct
// prefix length in use for its family.
type cidrIndex struct {
	keys         map[netip.Prefix][]int32
	bits4, bits6 lengthSet
}

func (c *cidrIndex) bits(p netip.Prefix) *lengthSet {
	if p.Addr().Is4() {
		return &c.bits4
	}
	return &c.bits6
}

func (c *cidrIndex) add(p netip.Prefix, slot int32) {
	addSlot(&c.keys, p, slot)
	c.bits(p).add(p.Bits())
}

func (c *cidrIndex) remove(p netip.Prefix, slot int32) {
	if removeSlot(c.keys, p, slot) {
		c.bits(p).remove(p.Bits())
	}
}

func (c *cidrIndex) probe(s string, sc *scratch) {
	addr, err := netip.ParseAddr(s)
	if err != nil {
		return
	}
	lengths := &c.bits6
	if addr.Is4() {
		lengths = &c.bits4
	}
	for _, bits := range lengths.sorted {
		if p, err := addr.Prefix(bits); err == nil {
			sc.mark(c.keys[p])
		}
	}
}

// lengthSet is a multiset of small ints with its distinct values kept sorted.
type lengthSet struct {
	count  map[int]int
	sorted []int
}

func (s *lengthSet) add(n int) {
	if s.count == nil {
		s.count = make(map[int]int)
	}
	s.count[n]++
	if s.count[n] == 1 {
		i, _ := slices.BinarySearch(s.sorted, n)
		s.sorted = slices.Insert(s.sorted, i, n)
	}
}

func (s *lengthSet) remove(n int) {
	s.count[n]--
	if s.count[n] == 0 {
		delete(s.count, n)
		if i, found := slices.BinarySearch(s.sorted, n); found {
			s.sorted = slices.Delete(s.sorted, i, i+1)
		}
	}
}

func addSlot[K comparable](m *map[K][]int32, key K, slot int32) {
	if *m == nil {
		*m = make(map[K][]int32)
	}
	(*m)[key] = append((*m)[key], slot)
}

// removeSlot deletes one occurrence of slot under key, reporting whether it
// was there.
func removeSlot[K comparable](m map[K][]int32, key K, slot int32) bool {
	list, ok := m[key]
	if !ok || !slices.Contains(list, slot) {
		return false
	}
	if list = deleteOne(list, slot); len(list) == 0 {
		delete(m, key)
	} else {
		m[key] = list
	}
	return true
}

// deleteOne removes one occurrence of slot; order does not matter.
func deleteOne(list []int32, slot int32) []int32 {
	if i := slices.Index(list, slot); i >= 0 {
		last := len(list) - 1
		list[i] = list[last]
		return list[:last]
	}
	return list
}
