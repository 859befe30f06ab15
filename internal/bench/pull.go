package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Sizes of the pull scenario.
const (
	pullConsumers = 4
	pullBatch     = 100
)

// runPull measures the pull channel twice on one gateway: 4 consumers
// pulling 100 at a time drain a backlog (deliveries/s, no HTTP round trip
// per delivery), then one consumer's long poll waits while events arrive
// at a fixed rate (publish → payload in the consumer's hands).
func runPull(ctx context.Context, r *runner) (*Result, error) {
	const label = "pull"
	events := r.events(100_000)
	rate := r.rate(1000)
	timed := int(rate * r.duration().Seconds())
	return r.withEnv(ctx, func(e *env) (*Result, error) {
		backlog, err := e.pullSubscription(ctx, "bench.pull")
		if err != nil {
			return nil, err
		}
		p := newPublisher(e.api, eventShape{typ: "bench.pull"})
		pub := e.publish(label, events, p, func() publishStats { return p.closedLoop(ctx, events, batchSize, r.workers(4)) })
		e.markCPU()
		e.r.prog.phase(label+": draining", int64(pub.Acked))
		drainStart := time.Now()
		cpuBeforeDrain, _ := e.gatewayCPU()
		drained := e.consume(ctx, backlog, pub.Acked, pullConsumers, "1s", nil)
		cpuAfterDrain, cpuRead := e.gatewayCPU()
		drainSeconds := time.Since(drainStart).Seconds()
		e.r.prog.done()

		res := &Result{Scenario: label, Events: pub.Acked, FirstError: drained.firstError, LoadAvg1: loadAverage1(),
			Deliveries: uint64(drained.acked), DeliverySeconds: drainSeconds, Extra: map[string]float64{}}
		res.Errors = pub.errors() + drained.errors
		if s := pub.seconds(); s > 0 {
			res.PublishedPerSec = float64(pub.Acked) / s
		}
		if drainSeconds > 0 {
			res.DeliveriesPerSec = float64(drained.acked) / drainSeconds
		}
		// gateway_cpu_us_per_delivery also holds the long-poll phase below,
		// whose events are not among the drained deliveries: each phase apart.
		if cpuRead && drained.acked > 0 {
			res.Extra["drain_gateway_cpu_us_per_delivery"] = float64((cpuAfterDrain - cpuBeforeDrain).Microseconds()) / float64(drained.acked)
		}
		if missing := pub.Acked - drained.acked; missing > 0 {
			res.Errors += missing
			if res.FirstError == "" {
				res.FirstError = fmt.Sprintf("%d messages were never pulled", missing)
			}
		}

		// One consumer long-polls while events come at the rate.
		live, err := e.pullSubscription(ctx, "bench.pull-rate")
		if err != nil {
			return nil, err
		}
		var latency Histogram
		var mu sync.Mutex
		got := make(chan consumed, 1)
		pollCtx, stopPolling := context.WithCancel(ctx)
		defer stopPolling()
		go func() {
			got <- e.consume(pollCtx, live, timed, 1, "20s", func(sentNs int64, now time.Time) {
				mu.Lock()
				latency.Record(now.Sub(time.Unix(0, sentNs)))
				mu.Unlock()
			})
		}()
		rp := newPublisher(e.api, eventShape{typ: "bench.pull-rate"})
		ratePub := e.publish(label+" at a rate", timed, rp, func() publishStats { return rp.fixedRate(ctx, timed, rate, r.workers(64)) })
		var c consumed
		select {
		case c = <-got:
		case <-time.After(r.cfg.Stall):
			stopPolling()
			c = <-got
		}
		if cpuAfterRate, ok := e.gatewayCPU(); ok && cpuRead && ratePub.Acked > 0 {
			res.Extra["rate_gateway_cpu_us_per_event"] = float64((cpuAfterRate - cpuAfterDrain).Microseconds()) / float64(ratePub.Acked)
		}
		res.Errors += ratePub.errors() + c.errors
		if c.acked < ratePub.Acked {
			res.Errors += ratePub.Acked - c.acked
		}
		mu.Lock()
		if latency.N > 0 {
			res.Latency = &Latency{P50: ms(latency.Quantile(0.5)), P90: ms(latency.Quantile(0.9)), P99: ms(latency.Quantile(0.99)), Max: ms(latency.Max())}
		}
		mu.Unlock()
		res.Extra["rate_per_s"] = rate
		res.Extra["rate_events"] = float64(ratePub.Acked)
		res.Note = fmt.Sprintf("deliveries/s: %d consumers pulling %d at a time drain the backlog; latency: publish → payload in one long-polling consumer's hands at %.0f events/s", pullConsumers, pullBatch, rate)
		return res, nil
	})
}

// pullSubscription creates a pull subscription to one event type.
func (e *env) pullSubscription(ctx context.Context, eventType string) (string, error) {
	body, _ := json.Marshal(map[string]any{
		"name": "bench " + eventType, "channel": map[string]any{"type": "pull", "visibility_timeout": "1m"},
		"filter": map[string]any{"event_types": []string{eventType}},
	})
	answer, err := e.api.call(ctx, http.MethodPost, "/v1/subscriptions", body)
	if err != nil {
		return "", fmt.Errorf("create pull subscription: %w", err)
	}
	var created struct{ ID string }
	if err := json.Unmarshal(answer, &created); err != nil {
		return "", err
	}
	e.subs = append(e.subs, created.ID)
	return created.ID, nil
}

// consumed is what consumers achieved.
type consumed struct {
	acked, errors int
	firstError    string
}

// consume runs consumers that pull batches of a subscription's messages
// (waiting up to wait) and acknowledge them, until want arrived, ctx
// ends, or nothing came for the stall timeout. With received set, each
// message's sent_ns goes to it as it arrives, and batches are acknowledged
// in the background, so that the consumer is back in its long poll at once.
func (e *env) consume(ctx context.Context, sub string, want, consumers int, wait string, received func(sentNs int64, now time.Time)) consumed {
	var acked, arrived atomic.Int64
	var acking sync.WaitGroup
	var mu sync.Mutex
	var out consumed
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		out.errors++
		if out.firstError == "" {
			out.firstError = err.Error()
		}
	}
	request, _ := json.Marshal(map[string]any{"max_messages": pullBatch, "wait": wait})
	var wg sync.WaitGroup
	for range consumers {
		wg.Go(func() {
			lastMessage := time.Now()
			for ctx.Err() == nil && int(arrived.Load()) < want && time.Since(lastMessage) < e.r.cfg.Stall {
				answer, err := e.api.call(ctx, http.MethodPost, "/v1/subscriptions/"+sub+"/pull", request)
				now := time.Now()
				if err != nil {
					if ctx.Err() == nil {
						fail(err)
					}
					continue
				}
				var page struct {
					Data []struct {
						Receipt string          `json:"receipt"`
						Payload json.RawMessage `json:"payload"`
					} `json:"data"`
				}
				if err := json.Unmarshal(answer, &page); err != nil {
					fail(err)
					continue
				}
				if len(page.Data) == 0 {
					continue
				}
				lastMessage = now
				receipts := make([]string, len(page.Data))
				for i, m := range page.Data {
					receipts[i] = m.Receipt
					if received != nil {
						if sent, ok := sentNs(m.Payload); ok {
							received(sent, now)
						}
					}
				}
				arrived.Add(int64(len(receipts)))
				ack := func() {
					n, err := e.ack(ctx, sub, receipts)
					if err != nil {
						fail(err)
					}
					e.r.prog.set(acked.Add(int64(n)))
				}
				if received != nil {
					acking.Go(ack)
				} else {
					ack()
				}
			}
		})
	}
	wg.Wait()
	acking.Wait()
	out.acked = int(acked.Load())
	return out
}

// ack acknowledges receipts and returns how many were acked.
func (e *env) ack(ctx context.Context, sub string, receipts []string) (int, error) {
	body, _ := json.Marshal(map[string]any{"receipts": receipts})
	answer, err := e.api.call(ctx, http.MethodPost, "/v1/subscriptions/"+sub+"/ack", body)
	if err != nil {
		return 0, err
	}
	var page struct {
		Data []struct{ Status string } `json:"data"`
	}
	if err := json.Unmarshal(answer, &page); err != nil {
		return 0, err
	}
	n := 0
	for _, s := range page.Data {
		if s.Status == "acked" {
			n++
		}
	}
	if n < len(receipts) {
		return n, errors.New("some acknowledgements were stale: their visibility timeout ran out first")
	}
	return n, nil
}
