package pattern

import (
	"slices"
	"sort"
)

// intervalIndex answers "which numeric ranges contain x". Ranges are kept
// sorted by lower bound in blocks of bounded size, each remembering the
// highest upper bound it holds, so a query skips every block that starts
// above x or ends below it. Adding and removing cost one block's worth of
// copying.
type intervalIndex struct {
	blocks []*intervalBlock
	size   int
}

type intervalBlock struct {
	items []intervalItem // sorted by lo
	maxHi float64
}

type intervalItem struct {
	lo   float64
	pred *numericPred
	slot int32
}

const intervalBlockSize = 64

func (ix *intervalIndex) add(p *numericPred, slot int32) {
	ix.size++
	it := intervalItem{lo: p.lo, pred: p, slot: slot}
	if len(ix.blocks) == 0 {
		ix.blocks = []*intervalBlock{{items: []intervalItem{it}, maxHi: p.hi}}
		return
	}
	// The last block starting at or below lo, or the first block.
	bi := max(sort.Search(len(ix.blocks), func(i int) bool { return ix.blocks[i].items[0].lo > p.lo })-1, 0)
	b := ix.blocks[bi]
	pos := sort.Search(len(b.items), func(i int) bool { return b.items[i].lo > p.lo })
	b.items = slices.Insert(b.items, pos, it)
	b.maxHi = max(b.maxHi, p.hi)
	if len(b.items) > 2*intervalBlockSize {
		half := len(b.items) / 2
		next := &intervalBlock{items: slices.Clone(b.items[half:])}
		b.items = slices.Clip(b.items[:half])
		b.recomputeMaxHi()
		next.recomputeMaxHi()
		ix.blocks = slices.Insert(ix.blocks, bi+1, next)
	}
}

func (ix *intervalIndex) remove(p *numericPred, slot int32) {
	for bi, b := range ix.blocks {
		if b.items[len(b.items)-1].lo < p.lo {
			continue
		}
		if b.items[0].lo > p.lo {
			return
		}
		for i := sort.Search(len(b.items), func(i int) bool { return b.items[i].lo >= p.lo }); i < len(b.items) && b.items[i].lo == p.lo; i++ {
			if b.items[i].pred == p && b.items[i].slot == slot {
				ix.size--
				b.items = slices.Delete(b.items, i, i+1)
				if len(b.items) == 0 {
					ix.blocks = slices.Delete(ix.blocks, bi, bi+1)
				} else {
					b.recomputeMaxHi()
				}
				return
			}
		}
	}
}

func (b *intervalBlock) recomputeMaxHi() {
	b.maxHi = b.items[0].pred.hi
	for _, it := range b.items[1:] {
		b.maxHi = max(b.maxHi, it.pred.hi)
	}
}

// stab marks every range containing x.
func (ix *intervalIndex) stab(x float64, sc *scratch) {
	for _, b := range ix.blocks {
		if b.items[0].lo > x {
			return
		}
		if b.maxHi < x {
			continue
		}
		for _, it := range b.items {
			if it.lo > x {
				break
			}
			if it.pred.contains(x) {
				sc.markOne(it.slot)
			}
		}
	}
}
