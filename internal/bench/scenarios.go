package bench

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// scenario is one measurement of the gateway.
type scenario struct {
	name  string
	about string
	run   func(ctx context.Context, r *runner) (*Result, error)
}

// Scenarios lists every scenario, in the order "all" runs them.
var scenarios = []scenario{
	{"single", "one event per POST, one subscription", runSingle},
	{"batch", "100 events per POST, one subscription", runBatch},
	{"fanout", "one event to 100 subscriptions", runFanout},
	{"filters", "10,000 subscriptions with distinct content patterns vs one unfiltered", runFilters},
	{"slow-endpoint", "a 2 s endpoint beside a fast one: the fast one's latency", runSlowEndpoint},
	{"backlog", "deliveries pile up while the subscription is paused, then drain", runBacklog},
	{"rate", "a fixed publish rate: latency without saturation", runRate},
	{"pull", "4 consumers pull a backlog 100 at a time; a long poll's latency at a fixed rate", runPull},
}

// ScenarioNames lists the scenarios with what each measures, for help texts.
func ScenarioNames() string {
	var b strings.Builder
	for _, s := range scenarios {
		fmt.Fprintf(&b, "  %-14s %s\n", s.name, s.about)
	}
	return b.String()
}

func findScenario(name string) (scenario, bool) {
	for _, s := range scenarios {
		if s.name == name {
			return s, true
		}
	}
	return scenario{}, false
}

// Sizes of the scenarios when no flag overrides them: small enough to run
// in a minute or two each on two cores.
const (
	fanoutSubscriptions = 100
	filterSubscriptions = 10_000
	batchSize           = 100
	slowDelay           = 2 * time.Second
)

func runSingle(ctx context.Context, r *runner) (*Result, error) {
	return r.throughput(ctx, "single", r.events(20_000), 1, r.workers(64), 1)
}

func runBatch(ctx context.Context, r *runner) (*Result, error) {
	return r.throughput(ctx, "batch", r.events(200_000), batchSize, r.workers(8), 1)
}

func runFanout(ctx context.Context, r *runner) (*Result, error) {
	return r.throughput(ctx, "fanout", r.events(1_000), 1, r.workers(16), fanoutSubscriptions)
}

// throughput publishes events as fast as the gateway takes them to
// subscriptions identical subscriptions and waits for every delivery.
func (r *runner) throughput(ctx context.Context, label string, events, batch, workers, subscriptions int) (*Result, error) {
	return r.withEnv(ctx, func(e *env) (*Result, error) {
		if err := e.subscribeMany(ctx, subscriptions, func(int) subscription { return subscription{label: label} }); err != nil {
			return nil, err
		}
		e.markCPU()
		p := newPublisher(e.api, eventShape{typ: "bench." + label})
		pub := e.publish(label, events, p, func() publishStats { return p.closedLoop(ctx, events, batch, workers) })
		rs, err := e.await(ctx, pub.Acked*subscriptions, label)
		if err != nil {
			return nil, err
		}
		return newResult(label, pub, rs, label, pub.Acked*subscriptions, pub.Start), nil
	})
}

// runFilters compares publishing to one unfiltered subscription with
// publishing the same events to 10,000 subscriptions whose content
// patterns each match one customer's events: every event has one delivery
// either way, so the difference is what matching costs.
func runFilters(ctx context.Context, r *runner) (*Result, error) {
	const label = "filters"
	events, workers := r.events(50_000), r.workers(4)
	shape := eventShape{typ: "bench.filters", customers: filterSubscriptions}
	phase := func(subscribe func(ctx context.Context, e *env) error) (*Result, error) {
		return r.withEnv(ctx, func(e *env) (*Result, error) {
			if err := subscribe(ctx, e); err != nil {
				return nil, err
			}
			e.markCPU()
			p := newPublisher(e.api, shape)
			pub := e.publish(label, events, p, func() publishStats { return p.closedLoop(ctx, events, batchSize, workers) })
			rs, err := e.await(ctx, pub.Acked, label)
			if err != nil {
				return nil, err
			}
			return newResult(label, pub, rs, label, pub.Acked, pub.Start), nil
		})
	}
	unfilteredPhase := func() (*Result, error) {
		return phase(func(ctx context.Context, e *env) error {
			_, err := e.subscribe(ctx, subscription{label: label})
			return err
		})
	}
	// The unfiltered phase runs before and after the filtered one, so that
	// other work on the machine weighs on both sides alike.
	before, err := unfilteredPhase()
	if err != nil {
		return nil, err
	}
	var kind filterKind
	res, err := phase(func(ctx context.Context, e *env) (err error) {
		kind, err = subscribeFiltered(ctx, e, label, filterSubscriptions)
		return err
	})
	if err != nil {
		return nil, err
	}
	after, err := unfilteredPhase()
	if err != nil {
		return nil, err
	}
	unfiltered := (before.PublishedPerSec + after.PublishedPerSec) / 2
	res.Note = kind.note()
	res.Extra["unfiltered_published_per_s_before"] = before.PublishedPerSec
	res.Extra["unfiltered_published_per_s_after"] = after.PublishedPerSec
	// End to end, first publish to last delivery: unfiltered, deliveries
	// to one subscription (max_concurrency 50) lag behind publishing and
	// leave it more of the CPU; filtered, they keep up with it.
	res.Extra["filtered_vs_unfiltered_delivered"] = res.DeliveriesPerSec / ((before.DeliveriesPerSec + after.DeliveriesPerSec) / 2)
	res.Extra["filtered_vs_unfiltered_publish"] = res.PublishedPerSec / unfiltered
	res.Extra["unfiltered_gateway_cpu_us_per_delivery"] = (before.Extra["gateway_cpu_us_per_delivery"] + after.Extra["gateway_cpu_us_per_delivery"]) / 2
	res.Extra["unfiltered_receiver_connections"] = max(before.Extra["receiver_connections"], after.Extra["receiver_connections"])
	res.Errors += before.Errors + after.Errors
	return res, nil
}

// filterKind says how the filters scenario could filter.
type filterKind int

const (
	contentPatterns filterKind = iota
	// eventTypes stands in while the gateway does not accept filter.pattern.
	eventTypes
)

func (k filterKind) note() string {
	if k == eventTypes {
		return "FALLBACK: this gateway refused filter.pattern, so the 10,000 subscriptions filter on distinct event types, not content patterns"
	}
	return "10,000 distinct content patterns (filter.pattern), one matching each event"
}

// contentPattern is the i-th subscription's pattern: three kinds of
// operator, each naming customer c-<i>, so that every event matches one.
func contentPattern(i int) map[string]any {
	customer := fmt.Sprintf("c-%d", i)
	switch i % 3 {
	case 0:
		return map[string]any{"data": map[string]any{"customer_id": []any{customer}}}
	case 1:
		return map[string]any{"subject": []any{map[string]any{"prefix": "orders/" + customer + "/"}}}
	default:
		return map[string]any{"data": map[string]any{"customer_id": []any{map[string]any{"equals-ignore-case": strings.ToUpper(customer)}}}}
	}
}

// subscribeFiltered creates n subscriptions with content patterns, or on
// distinct event types when the gateway does not know filter.pattern.
func subscribeFiltered(ctx context.Context, e *env, label string, n int) (filterKind, error) {
	byPattern := func(i int) subscription {
		return subscription{label: label, filter: map[string]any{"pattern": contentPattern(i)}}
	}
	byType := func(i int) subscription {
		return subscription{label: label, filter: map[string]any{"event_types": []string{fmt.Sprintf("bench.%s.c-%d", label, i)}}}
	}
	// One probe decides which the gateway takes.
	kind, sub := contentPatterns, byPattern
	if _, err := e.subscribe(ctx, byPattern(0)); err != nil {
		var refused *apiError
		if !errors.As(err, &refused) || refused.Status/100 != 4 || !strings.Contains(refused.Body, "pattern") {
			return kind, err
		}
		kind, sub = eventTypes, byType
		if _, err := e.subscribe(ctx, byType(0)); err != nil {
			return kind, err
		}
	}
	return kind, e.subscribeMany(ctx, n-1, func(i int) subscription { return sub(i + 1) })
}

// runSlowEndpoint publishes at a steady rate to two subscriptions: one
// answers at once, the other after 2 s. The fast one's latency must not
// suffer from the slow one's growing backlog.
func runSlowEndpoint(ctx context.Context, r *runner) (*Result, error) {
	rate := r.rate(200)
	events := r.events(int(rate * r.duration().Seconds()))
	return r.withEnv(ctx, func(e *env) (*Result, error) {
		if _, err := e.subscribe(ctx, subscription{label: "fast"}); err != nil {
			return nil, err
		}
		if _, err := e.subscribe(ctx, subscription{label: "slow", query: "?delay=" + slowDelay.String()}); err != nil {
			return nil, err
		}
		e.markCPU()
		p := newPublisher(e.api, eventShape{typ: "bench.slow-endpoint"})
		pub := e.publish("slow-endpoint", events, p, func() publishStats { return p.fixedRate(ctx, events, rate, r.workers(32)) })
		rs, err := e.await(ctx, pub.Acked, "fast")
		if err != nil {
			return nil, err
		}
		res := newResult("slow-endpoint", pub, rs, "fast", pub.Acked, pub.Start)
		res.Note = fmt.Sprintf("latency and deliveries/s of the fast endpoint; the slow one answers after %s", slowDelay)
		res.Extra["rate_per_s"] = rate
		res.Extra["slow_endpoint_received"] = float64(rs.count("slow"))
		return res, nil
	})
}

// runBacklog lets deliveries accumulate for a paused subscription (its
// receiver "down"), then resumes it and measures the drain.
func runBacklog(ctx context.Context, r *runner) (*Result, error) {
	const label = "backlog"
	events := r.events(100_000)
	return r.withEnv(ctx, func(e *env) (*Result, error) {
		id, err := e.subscribe(ctx, subscription{label: label, paused: true})
		if err != nil {
			return nil, err
		}
		p := newPublisher(e.api, eventShape{typ: "bench.backlog"})
		pub := e.publish(label, events, p, func() publishStats { return p.closedLoop(ctx, events, batchSize, r.workers(4)) })
		var accumulatedRSS int64
		if e.gatewayPID != 0 {
			u, _ := readProc(e.gatewayPID)
			accumulatedRSS = u.RSS
		}
		e.markCPU()
		resumed := time.Now()
		if err := e.api.setPaused(ctx, id, false); err != nil {
			return nil, err
		}
		rs, err := e.await(ctx, pub.Acked, label)
		if err != nil {
			return nil, err
		}
		res := newResult(label, pub, rs, label, pub.Acked, resumed)
		res.Latency = nil // the wait was the pause, not the gateway
		res.Note = "deliveries/s is the drain rate after resume; published/s the accumulation rate"
		res.Extra["pending_at_resume"] = float64(pub.Acked)
		res.Extra["accumulate_s"] = pub.seconds()
		if accumulatedRSS > 0 {
			res.Extra["rss_after_accumulating_mb"] = float64(accumulatedRSS) / (1 << 20)
		}
		return res, nil
	})
}

// runRate publishes single events at a fixed rate and reports latency.
func runRate(ctx context.Context, r *runner) (*Result, error) {
	const label = "rate"
	rate := r.rate(1000)
	events := r.events(int(rate * r.duration().Seconds()))
	return r.withEnv(ctx, func(e *env) (*Result, error) {
		if _, err := e.subscribe(ctx, subscription{label: label}); err != nil {
			return nil, err
		}
		e.markCPU()
		p := newPublisher(e.api, eventShape{typ: "bench.rate"})
		pub := e.publish(label, events, p, func() publishStats { return p.fixedRate(ctx, events, rate, r.workers(64)) })
		rs, err := e.await(ctx, pub.Acked, label)
		if err != nil {
			return nil, err
		}
		res := newResult(label, pub, rs, label, pub.Acked, pub.Start)
		res.Extra["rate_per_s"] = rate
		return res, nil
	})
}
