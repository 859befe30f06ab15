package dispatch

import (
	"bytes"
	"fmt"
	"testing"
)

// The cache finds what was put until two generations have filled after it.
func TestEnvelopeCacheKeepsTwoGenerations(t *testing.T) {
	var c envelopeCache
	env := bytes.Repeat([]byte("x"), 1<<10)
	put := func(from, to int) {
		m := map[string][]byte{}
		for i := from; i < to; i++ {
			m[fmt.Sprint("evt_", i)] = env
		}
		c.put(m)
	}
	perGeneration := envelopeCacheBytes / (len(env) + len("evt_0000"))
	put(0, 10)
	found, missing := c.get([]string{"evt_3", "evt_99"})
	if len(found) != 1 || !bytes.Equal(found["evt_3"], env) || len(missing) != 1 || missing[0] != "evt_99" {
		t.Fatalf("get = %d found, missing %v; want evt_3 found, evt_99 missing", len(found), missing)
	}
	put(10, 10+perGeneration) // fills the first generation: evt_3 moves to the older one
	if _, missing := c.get([]string{"evt_3"}); len(missing) != 0 {
		t.Fatal("evt_3 dropped after one generation; it should be kept until the second one fills")
	}
	put(10+perGeneration, 10+3*perGeneration)
	if _, missing := c.get([]string{"evt_3"}); len(missing) != 1 {
		t.Fatal("evt_3 still cached after two more generations: the cache is not bounded")
	}
	if c.curBytes > envelopeCacheBytes+len(env)+16 {
		t.Fatalf("current generation holds %d bytes, bound %d", c.curBytes, envelopeCacheBytes)
	}
}
