package pattern

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestIntervalIndexAgreesWithScan drives enough ranges through one index to
// split and empty blocks, checking every stab against a linear scan.
func TestIntervalIndexAgreesWithScan(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var ix intervalIndex
	type entry struct {
		p    *numericPred
		slot int32
	}
	var live []entry
	randomRange := func() *numericPred {
		lo := float64(r.IntN(200)) // repeated lower bounds on purpose
		p := &numericPred{lo: lo, hi: lo + float64(1+r.IntN(30)), loOpen: r.IntN(2) == 0, hiOpen: r.IntN(2) == 0}
		switch r.IntN(10) {
		case 0:
			p.lo, p.loOpen = math.Inf(-1), false
		case 1:
			p.hi, p.hiOpen = math.Inf(1), false
		}
		return p
	}
	check := func() {
		t.Helper()
		for range 50 {
			x := float64(r.IntN(240)) - 10 + float64(r.IntN(2))/2
			sc := &scratch{}
			sc.reset(5000)
			ix.stab(x, sc)
			got := slices.Clone(sc.candidates)
			var want []int32
			for _, e := range live {
				if e.p.contains(x) {
					want = append(want, e.slot)
				}
			}
			slices.Sort(got)
			slices.Sort(want)
			want = slices.Compact(want) // a slot is a candidate once
			if !slices.Equal(got, want) {
				t.Fatalf("stab(%v) = %v, want %v", x, got, want)
			}
		}
		if ix.size != len(live) {
			t.Fatalf("size = %d, want %d", ix.size, len(live))
		}
	}
	for round := range 6 {
		for range 700 {
			e := entry{randomRange(), int32(r.IntN(5000))}
			ix.add(e.p, e.slot)
			live = append(live, e)
		}
		check()
		for range 500 + round*50 {
			i := r.IntN(len(live))
			ix.remove(live[i].p, live[i].slot)
			live = slices.Delete(live, i, i+1)
		}
		check()
	}
	for _, e := range live {
		ix.remove(e.p, e.slot)
	}
	live = nil
	check()
	if len(ix.blocks) != 0 {
		t.Fatalf("%d blocks left after removing everything", len(ix.blocks))
	}
}
