package bench

import (
	"math/bits"
	"time"
)

// subBits sets the histogram's precision: each power of two is split into
// 2^subBits linear buckets, so a recorded value is off by at most 1/32 (3%).
const subBits = 5

// histBuckets covers values up to 2^40 µs (12 days), far beyond any timeout.
const histBuckets = (40 - subBits) << subBits

// Histogram counts durations in log-linear buckets of microseconds, like an
// HDR histogram: constant memory, mergeable, percentiles within 3%.
type Histogram struct {
	Counts   [histBuckets]uint64
	N        uint64
	MinUs    int64
	MaxUs    int64
	observed bool
}

func bucketOf(us int64) int {
	if us < 0 {
		us = 0
	}
	v := uint64(us)
	if v < 2<<subBits {
		return int(v)
	}
	shift := bits.Len64(v) - (subBits + 1)
	i := shift<<subBits + int(v>>shift)
	return min(i, histBuckets-1)
}

// bucketLow is the smallest value that falls into bucket i.
func bucketLow(i int) int64 {
	if i < 2<<subBits {
		return int64(i)
	}
	shift := i>>subBits - 1
	return int64(i-shift<<subBits) << shift
}

// Record adds one duration.
func (h *Histogram) Record(d time.Duration) {
	us := d.Microseconds()
	h.Counts[bucketOf(us)]++
	if !h.observed || us < h.MinUs {
		h.MinUs = us
	}
	if !h.observed || us > h.MaxUs {
		h.MaxUs = us
	}
	h.observed = true
	h.N++
}

// Quantile returns the duration below which a fraction q of the values lie,
// reporting the middle of the bucket it falls in (clamped to the exact max).
func (h *Histogram) Quantile(q float64) time.Duration {
	if h.N == 0 {
		return 0
	}
	rank := uint64(q*float64(h.N) + 0.5)
	rank = max(1, min(rank, h.N))
	var seen uint64
	for i, c := range h.Counts {
		seen += c
		if seen >= rank {
			mid := (bucketLow(i) + bucketLow(i+1)) / 2
			return time.Duration(min(max(mid, h.MinUs), h.MaxUs)) * time.Microsecond
		}
	}
	return time.Duration(h.MaxUs) * time.Microsecond
}

// Max is the largest value recorded.
func (h *Histogram) Max() time.Duration { return time.Duration(h.MaxUs) * time.Microsecond }

// sparse lists the non-empty buckets as [bucket, count] pairs, for the
// receiver's JSON answer.
func (h *Histogram) sparse() [][2]uint64 {
	var out [][2]uint64
	for i, c := range h.Counts {
		if c > 0 {
			out = append(out, [2]uint64{uint64(i), c})
		}
	}
	return out
}

// fromSparse rebuilds a histogram from sparse buckets and exact extremes.
func fromSparse(buckets [][2]uint64, minUs, maxUs int64) *Histogram {
	h := &Histogram{MinUs: minUs, MaxUs: maxUs}
	for _, b := range buckets {
		if b[0] < histBuckets {
			h.Counts[b[0]] += b[1]
			h.N += b[1]
		}
	}
	h.observed = h.N > 0
	return h
}
