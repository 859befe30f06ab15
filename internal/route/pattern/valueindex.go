package pattern

import (
	"net/netip"
	"slices"
)

// indexKey says where one anchor predicate lives in a valueIndex. It only
// needs to be necessary for the predicate to hold, never sufficient: every
// candidate is checked against its whole pattern afterwards.
type indexKey struct {
	kind    keyKind
	text    string
	num     float64
	literal int // keyLiteral: 0 true, 1 false, 2 null
	cidr    netip.Prefix
	rng     *numericPred
	pred    predicate // keyScan
}

type keyKind uint8

const (
	keyString keyKind = iota
	keyNumber
	keyLiteral
	keyFolded
	keyPrefix
	keySuffix
	keyFoldedPrefix
	keyFoldedSuffix
	keyCIDR
	keyRange
	keyScan // no index applies: the predicate is tried on every leaf at the path
)

func keyFor(p predicate) indexKey {
	switch p := p.(type) {
	case *exactPred:
		switch p.want.kind {
		case stringValue:
			return indexKey{kind: keyString, text: p.want.str}
		case numberValue:
			return indexKey{kind: keyNumber, num: p.want.num}
		case boolValue:
			if p.want.b {
				return indexKey{kind: keyLiteral, literal: 0}
			}
			return indexKey{kind: keyLiteral, literal: 1}
		default:
			return indexKey{kind: keyLiteral, literal: 2}
		}
	case *numericPred:
		if p.isPoint() {
			return indexKey{kind: keyNumber, num: p.lo}
		}
		return indexKey{kind: keyRange, rng: p}
	case *foldEqualPred:
		return indexKey{kind: keyFolded, text: p.folded}
	case *affixPred:
		kind := keyPrefix
		switch {
		case p.suffix && p.ignoreCase:
			kind = keyFoldedSuffix
		case p.suffix:
			kind = keySuffix
		case p.ignoreCase:
			kind = keyFoldedPrefix
		}
		return indexKey{kind: kind, text: p.text}
	case *wildcardPred:
		// A wildcard's literal head or tail is a necessary prefix or suffix.
		segs := p.segments
		switch {
		case len(segs) == 1:
			return indexKey{kind: keyString, text: segs[0]}
		case segs[0] != "":
			return indexKey{kind: keyPrefix, text: segs[0]}
		case segs[len(segs)-1] != "":
			return indexKey{kind: keySuffix, text: segs[len(segs)-1]}
		}
	case *cidrPred:
		return indexKey{kind: keyCIDR, cidr: p.prefix}
	}
	return indexKey{kind: keyScan, pred: p}
}

// valueIndex holds the anchors of one field path, by kind of test. The
// int32 values are Matcher slots.
type valueIndex struct {
	size     int // anchors held, to skip probing and prune empty nodes
	strings  map[string][]int32
	numbers  map[float64][]int32
	literals [3][]int32 // true, false, null
	folded   map[string][]int32

	prefixes, suffixes             affixIndex
	foldedPrefixes, foldedSuffixes affixIndex

	cidrs  cidrIndex
	ranges intervalIndex
	scan   []scanEntry
}

type scanEntry struct {
	pred predicate
	slot int32
}

func (ix *valueIndex) add(k indexKey, slot int32) {
	ix.size++
	switch k.kind {
	case keyString:
		addSlot(&ix.strings, k.text, slot)
	case keyNumber:
		addSlot(&ix.numbers, k.num, slot)
	case keyLiteral:
		ix.literals[k.literal] = append(ix.literals[k.literal], slot)
	case keyFolded:
		addSlot(&ix.folded, k.text, slot)
	case keyPrefix, keySuffix, keyFoldedPrefix, keyFoldedSuffix:
		ix.affix(k.kind).add(k.text, slot)
	case keyCIDR:
		ix.cidrs.add(k.cidr, slot)
	case keyRange:
		ix.ranges.add(k.rng, slot)
	default:
		ix.scan = append(ix.scan, scanEntry{pred: k.pred, slot: slot})
	}
}

func (ix *valueIndex) remove(k indexKey, slot int32) {
	ix.size--
	switch k.kind {
	case keyString:
		removeSlot(ix.strings, k.text, slot)
	case keyNumber:
		removeSlot(ix.numbers, k.num, slot)
	case keyLiteral:
		ix.literals[k.literal] = deleteOne(ix.literals[k.literal], slot)
	case keyFolded:
		removeSlot(ix.folded, k.text, slot)
	case keyPrefix, keySuffix, keyFoldedPrefix, keyFoldedSuffix:
		ix.affix(k.kind).remove(k.text, slot)
	case keyCIDR:
		ix.cidrs.remove(k.cidr, slot)
	case keyRange:
		ix.ranges.remove(k.rng, slot)
	default:
		if i := slices.Index(ix.scan, scanEntry{pred: k.pred, slot: slot}); i >= 0 {
			ix.scan = slices.Delete(ix.scan, i, i+1)
		}
	}
}

func (ix *valueIndex) affix(kind keyKind) *affixIndex {
	switch kind {
	case keyPrefix:
		return &ix.prefixes
	case keySuffix:
		return &ix.suffixes
	case keyFoldedPrefix:
		return &ix.foldedPrefixes
	default:
		return &ix.foldedSuffixes
	}
}

// cost estimates how many candidates an anchor on k would produce per
// matching event: the patterns already sharing its bucket, plus a bias
// toward the more selective kinds. Add picks the cheapest condition of each
// clause as its anchor.
func (ix *valueIndex) cost(k indexKey) int {
	switch k.kind {
	case keyString:
		return 1 + len(ix.strings[k.text])
	case keyNumber:
		return 1 + len(ix.numbers[k.num])
	case keyLiteral:
		return 1 + len(ix.literals[k.literal])
	case keyFolded:
		return 2 + len(ix.folded[k.text])
	case keyPrefix, keySuffix, keyFoldedPrefix, keyFoldedSuffix:
		return 2 + len(ix.affix(k.kind).keys[k.text])
	case keyCIDR:
		return 3 + len(ix.cidrs.keys[k.cidr])
	case keyRange:
		if k.rng.lo < -numericLimit || k.rng.hi > numericLimit {
			return 16 // one-sided ranges tend to hold for many values
		}
		return 4 // bounded ranges are stabbed precisely; only overlapping ones are candidates
	}
	return 64 + len(ix.scan)
}

// probe marks the slots of every anchor that a leaf value satisfies.
func (ix *valueIndex) probe(v scalar, sc *scratch) {
	switch v.kind {
	case stringValue:
		sc.mark(ix.strings[v.str])
		ix.prefixes.probePrefixes(v.str, sc)
		ix.suffixes.probeSuffixes(v.str, sc)
		if len(ix.folded) > 0 || len(ix.foldedPrefixes.keys) > 0 || len(ix.foldedSuffixes.keys) > 0 {
			sc.fold = appendFold(sc.fold[:0], v.str)
			sc.mark(ix.folded[string(sc.fold)])
			ix.foldedPrefixes.probeFoldedPrefixes(sc.fold, sc)
			ix.foldedSuffixes.probeFoldedSuffixes(sc.fold, sc)
		}
		if len(ix.cidrs.keys) > 0 {
			ix.cidrs.probe(v.str, sc)
		}
	case numberValue:
		sc.mark(ix.numbers[v.num])
		ix.ranges.stab(v.num, sc)
	case boolValue:
		if v.b {
			sc.mark(ix.literals[0])
		} else {
			sc.mark(ix.literals[1])
		}
	case nullValue:
		sc.mark(ix.literals[2])
	}
	for _, e := range ix.scan {
		if e.pred.match(v) {
			sc.markOne(e.slot)
		}
	}
}
