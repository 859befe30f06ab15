package bench

import (
	"testing"
	"time"
)

func TestBucketsAreContiguous(t *testing.T) {
	for i := 1; i < histBuckets; i++ {
		lo := bucketLow(i)
		if lo <= bucketLow(i-1) {
			t.Fatalf("bucket %d starts at %d, not after bucket %d (%d)", i, lo, i-1, bucketLow(i-1))
		}
		if got := bucketOf(lo); got != i {
			t.Fatalf("bucketOf(%d) = %d, want %d", lo, got, i)
		}
		if got := bucketOf(lo - 1); got != i-1 {
			t.Fatalf("bucketOf(%d) = %d, want %d", lo-1, got, i-1)
		}
	}
}

func TestQuantilesWithinPrecision(t *testing.T) {
	var h Histogram
	for us := 1; us <= 100000; us++ {
		h.Record(time.Duration(us) * time.Microsecond)
	}
	for _, c := range []struct {
		q    float64
		want time.Duration
	}{{0.5, 50 * time.Millisecond}, {0.9, 90 * time.Millisecond}, {0.99, 99 * time.Millisecond}} {
		got := h.Quantile(c.q)
		if diff := float64(got-c.want) / float64(c.want); diff > 0.035 || diff < -0.035 {
			t.Errorf("p%v = %v, want %v within 3.5%%", c.q*100, got, c.want)
		}
	}
	if h.Max() != 100*time.Millisecond {
		t.Errorf("max = %v, want exactly 100ms", h.Max())
	}
}

func TestSparseRoundTrip(t *testing.T) {
	var h Histogram
	for _, d := range []time.Duration{time.Millisecond, 3 * time.Millisecond, 2 * time.Second} {
		h.Record(d)
	}
	back := fromSparse(h.sparse(), h.MinUs, h.MaxUs)
	if back.N != 3 || back.Quantile(0.5) != h.Quantile(0.5) || back.Max() != 2*time.Second {
		t.Fatalf("round trip lost data: n=%d p50=%v max=%v", back.N, back.Quantile(0.5), back.Max())
	}
}
