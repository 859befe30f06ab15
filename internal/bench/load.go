package bench

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// eventShape describes the events a scenario publishes. Every event carries
// its send time (data.sent_ns) for the receiver, and padding so that a
// published event is about 1 KiB, like the calibration's POSTs.
type eventShape struct {
	typ string
	// customers, when set, spreads events over that many customers: event i
	// belongs to customer c-<i % customers>, named in data.customer_id, in
	// the subject and at the end of the type (typ.c-<n>).
	customers int
}

const padding = 880 // makes a published event about 1 KiB

var pad = strings.Repeat("x", padding)

// appendEvent writes event i as JSON. Built by hand: the load generator's
// CPU time is taken from the gateway's two cores.
func (s eventShape) appendEvent(buf []byte, i int, sentNs int64) []byte {
	buf = append(buf, `{"type":"`...)
	buf = append(buf, s.typ...)
	customer := ""
	if s.customers > 0 {
		customer = "c-" + strconv.Itoa(i%s.customers)
		buf = append(buf, '.')
		buf = append(buf, customer...)
		buf = append(buf, `","subject":"orders/`...)
		buf = append(buf, customer...)
		buf = append(buf, '/')
		buf = strconv.AppendInt(buf, int64(i), 10)
	}
	buf = append(buf, `","data":{"sent_ns":`...)
	buf = strconv.AppendInt(buf, sentNs, 10)
	buf = append(buf, `,"seq":`...)
	buf = strconv.AppendInt(buf, int64(i), 10)
	if customer != "" {
		buf = append(buf, `,"customer_id":"`...)
		buf = append(buf, customer...)
		buf = append(buf, '"')
	}
	buf = append(buf, `,"pad":"`...)
	buf = append(buf, pad...)
	return append(buf, `"}}`...)
}

// body appends one publish request to buf: a single event, or a batch of
// n from first.
func (s eventShape) body(buf []byte, first, n int, batch bool) []byte {
	sent := time.Now().UnixNano()
	if !batch {
		return s.appendEvent(buf, first, sent)
	}
	buf = append(buf, `{"events":[`...)
	for i := first; i < first+n; i++ {
		if i > first {
			buf = append(buf, ',')
		}
		buf = s.appendEvent(buf, i, sent)
	}
	return append(buf, "]}"...)
}

// publishStats is what publishing achieved.
type publishStats struct {
	Acked   int // events the gateway acknowledged (202)
	Refused int // events it refused (an entry error in a batch, or a 4xx)
	Failed  int // events whose request failed (transport error or 5xx)
	Start   time.Time
	End     time.Time
	// FirstError explains the first refusal or failure.
	FirstError string
	// Ack is how long publish requests took to be acknowledged: the
	// durable-commit part of publish→receive latency.
	Ack Histogram
}

func (p *publishStats) seconds() float64 { return p.End.Sub(p.Start).Seconds() }

func (p *publishStats) errors() int { return p.Refused + p.Failed }

// publisher drives load against the gateway.
type publisher struct {
	api   *apiClient
	shape eventShape
	// acked counts acknowledged events as they come, for the progress bar.
	acked atomic.Int64

	mu    sync.Mutex
	stats publishStats
}

func newPublisher(api *apiClient, shape eventShape) *publisher {
	return &publisher{api: api, shape: shape}
}

// send publishes events first..first+n-1 in one request. Each request
// gets its own buffer: the transport may still hold a body after it
// returned the answer.
func (p *publisher) send(ctx context.Context, first, n int, batch bool) {
	body := p.shape.body(make([]byte, 0, n*(padding+200)), first, n, batch)
	start := time.Now()
	acked, refused, err := p.api.publish(ctx, body, batch)
	took := time.Since(start)
	p.acked.Add(int64(acked))
	p.mu.Lock()
	defer p.mu.Unlock()
	if err == nil {
		p.stats.Ack.Record(took)
	}
	p.stats.Acked += acked
	p.stats.Refused += refused
	if err != nil {
		if e, ok := err.(*apiError); ok && e.Status < 500 {
			p.stats.Refused += n
		} else {
			p.stats.Failed += n
		}
	}
	if p.stats.FirstError == "" && err != nil {
		p.stats.FirstError = err.Error()
	} else if p.stats.FirstError == "" && refused > 0 {
		p.stats.FirstError = "the gateway refused some batch entries"
	}
}

// closedLoop publishes n events as fast as the gateway takes them: workers
// each keep one request in flight, each request carrying batch events (one
// per POST when batch is 1).
func (p *publisher) closedLoop(ctx context.Context, n, batch, workers int) publishStats {
	requests := (n + batch - 1) / batch
	var next atomic.Int64
	var wg sync.WaitGroup
	p.stats.Start = time.Now()
	for range workers {
		wg.Go(func() {
			for ctx.Err() == nil {
				r := int(next.Add(1) - 1)
				if r >= requests {
					return
				}
				first := r * batch
				p.send(ctx, first, min(batch, n-first), batch > 1)
			}
		})
	}
	wg.Wait()
	p.stats.End = time.Now()
	return p.stats
}

// fixedRate publishes n single events at rate per second, on a schedule
// that does not wait for answers (an open loop), so latency is measured
// without the load backing off when the gateway slows down.
func (p *publisher) fixedRate(ctx context.Context, n int, rate float64, workers int) publishStats {
	due := make(chan int, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range due {
				p.send(ctx, i, 1, false)
			}
		})
	}
	p.stats.Start = time.Now()
	interval := float64(time.Second) / rate
	for i := 0; i < n && ctx.Err() == nil; i++ {
		if wait := time.Until(p.stats.Start.Add(time.Duration(float64(i) * interval))); wait > 0 {
			time.Sleep(wait)
		}
		due <- i
	}
	close(due)
	wg.Wait()
	p.stats.End = time.Now()
	return p.stats
}
