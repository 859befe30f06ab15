// Package metrics exposes what the stages observe as Prometheus metrics.
// It is an observe.Observer: the stages call it on the hot path, where it
// only moves counters and histograms; the store is asked for the waiting
// and dead deliveries at scrape time, at most once per StatsTTL.
//
// Label values are bounded: event types (at most MaxTypes, the rest
// counted as "other"), channel kinds, outcomes and source ids; never an
// event or a delivery, and subscriptions only when PerSubscription is set.
package metrics

import (
	"maps"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/eventgate/eventgate/internal/event"
	"github.com/eventgate/eventgate/internal/observe"
)

// Defaults of Options.
const (
	DefaultMaxTypes = 100
	DefaultStatsTTL = 5 * time.Second
)

// OtherType is the type label of events whose type has no series of its own.
const OtherType = "other"

// Options configure the metrics.
type Options struct {
	// Stats is asked for the waiting and dead deliveries at scrape time.
	Stats StatsReader
	// StatsTTL is how long an answer of Stats is reused (default 5s), so
	// that frequent scrapes, or several scrapers, cost one query.
	StatsTTL time.Duration
	// MaxTypes bounds the event types with series of their own (default 100).
	MaxTypes int
	// PerSubscription adds attempt series per subscription: one set per
	// subscription, so only for a deployment with few of them.
	PerSubscription bool
}

// Metrics is an observe.Observer that keeps Prometheus metrics.
type Metrics struct {
	registry *prometheus.Registry
	types    typeLabels

	published       *prometheus.CounterVec
	publishLatency  prometheus.Histogram
	commitLatency   prometheus.Histogram
	commitEvents    prometheus.Histogram
	commitFailures  prometheus.Counter
	claimLatency    prometheus.Histogram
	attempts        *prometheus.CounterVec
	deliveries      *prometheus.CounterVec
	attemptLatency  *prometheus.HistogramVec
	channels        seriesMap[*channelSeries] // by channel kind
	subAttempts     *prometheus.CounterVec    // nil unless PerSubscription
	settleLatency   prometheus.Histogram
	settleFailures  prometheus.Counter
	sourceRejection *prometheus.CounterVec
}

var _ observe.Observer = (*Metrics)(nil)

// New registers the metrics, with the Go runtime's and the process's.
func New(o Options) *Metrics {
	if o.StatsTTL == 0 {
		o.StatsTTL = DefaultStatsTTL
	}
	if o.MaxTypes == 0 {
		o.MaxTypes = DefaultMaxTypes
	}
	latency := prometheus.ExponentialBuckets(0.0005, 2, 16) // 0.5 ms to 16 s
	m := &Metrics{registry: prometheus.NewRegistry(), types: typeLabels{max: o.MaxTypes}}
	f := factory{m.registry}
	m.published = f.counterVec("eventgate_events_published_total", "Events published, by type and outcome (accepted: committed and acknowledged; failed: not stored).", "type", "outcome")
	m.publishLatency = f.histogram("eventgate_publish_duration_seconds", "Time from a publish request reaching ingest to its answer, commit included.", latency)
	m.commitLatency = f.histogram("eventgate_commit_duration_seconds", "Duration of ingest's group commits (one store transaction each).", latency)
	m.commitEvents = f.histogram("eventgate_commit_events", "Events per group commit.", prometheus.ExponentialBuckets(1, 2, 12))
	m.commitFailures = f.counter("eventgate_commit_failures_total", "Group commits the store refused; their publishes were answered with an error.")
	m.claimLatency = f.histogram("eventgate_claim_duration_seconds", "Duration of claims of due deliveries (retries, released or orphaned work) from the store.", latency)
	m.attempts = f.counterVec("eventgate_attempts_total", "Tries of deliveries, by channel kind and what the try decided (succeeded, failed: will retry, dead: retries ran out).", "channel", "outcome")
	m.deliveries = f.counterVec("eventgate_deliveries_total", "Deliveries that reached a final state, by channel kind and outcome (succeeded or dead).", "channel", "outcome")
	m.attemptLatency = f.histogramVec("eventgate_attempt_duration_seconds", "Duration of tries of deliveries, by channel kind.", latency, "channel")
	if o.PerSubscription {
		m.subAttempts = f.counterVec("eventgate_subscription_attempts_total", "Tries of deliveries, by subscription and outcome (only with --metrics-per-subscription).", "subscription", "outcome")
	}
	m.settleLatency = f.histogram("eventgate_settle_duration_seconds", "Duration of the store transactions that record attempts' outcomes.", latency)
	m.settleFailures = f.counter("eventgate_settle_failures_total", "Batches of outcomes the store refused (they are written again).")
	m.sourceRejection = f.counterVec("eventgate_source_rejections_total", "Requests to sources that failed verification (signature, age, header), by source id.", "source")
	m.registry.MustRegister(
		&deliveryStats{stats: o.Stats, ttl: o.StatsTTL},
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return m
}

// KnowTypes sets what says whether an event type is in the catalog; until
// it is set, every event counts as OtherType.
func (m *Metrics) KnowTypes(known func(eventType string) bool) { m.types.known.Store(&known) }

// Handler serves the metrics in Prometheus' text format. A failure to read
// the delivery counts leaves them out and serves the rest.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

func (m *Metrics) Published(p observe.Publish) {
	m.publishLatency.Observe(p.Latency.Seconds())
	if p.Type == nil {
		return
	}
	for i := range p.Events {
		c := m.types.of(p.Type(i), m.published)
		if p.Err != nil {
			c.failed.Inc()
		} else {
			c.accepted.Inc()
		}
	}
}

func (m *Metrics) Committed(c observe.Commit) {
	if c.Err != nil {
		m.commitFailures.Inc()
	}
	m.commitLatency.Observe(c.Latency.Seconds())
	m.commitEvents.Observe(float64(c.Events))
}

func (m *Metrics) Claimed(c observe.Claim) { m.claimLatency.Observe(c.Latency.Seconds()) }

func (m *Metrics) Attempted(a observe.Attempt) {
	c := m.channel(a.Channel)
	c.latency.Observe(a.Latency.Seconds())
	if counter := c.attempts[a.Outcome]; counter != nil {
		counter.Inc()
	}
	if counter := c.deliveries[a.Outcome]; counter != nil {
		counter.Inc()
	}
	if m.subAttempts != nil {
		m.subAttempts.WithLabelValues(a.SubscriptionID, string(a.Outcome)).Inc()
	}
}

// channelSeries are one channel kind's attempt series, looked up once:
// hashing label values on every attempt would cost more than counting.
type channelSeries struct {
	attempts   map[event.DeliveryStatus]prometheus.Counter
	deliveries map[event.DeliveryStatus]prometheus.Counter // final outcomes only
	latency    prometheus.Observer
}

func (m *Metrics) channel(kind string) *channelSeries {
	if c, ok := m.channels.get(kind); ok {
		return c
	}
	return m.channels.add(kind, func() *channelSeries {
		c := &channelSeries{
			attempts:   map[event.DeliveryStatus]prometheus.Counter{},
			deliveries: map[event.DeliveryStatus]prometheus.Counter{},
			latency:    m.attemptLatency.WithLabelValues(kind),
		}
		for _, outcome := range []event.DeliveryStatus{event.Succeeded, event.Failed, event.Dead} {
			c.attempts[outcome] = m.attempts.WithLabelValues(kind, string(outcome))
		}
		for _, outcome := range []event.DeliveryStatus{event.Succeeded, event.Dead} {
			c.deliveries[outcome] = m.deliveries.WithLabelValues(kind, string(outcome))
		}
		return c
	})
}

// seriesMap finds series by a label value without a lock: readers load an
// immutable map; the rare additions copy it. (A sync.Map would box each
// string key it is asked for, an allocation per event.)
type seriesMap[S any] struct {
	m  atomic.Pointer[map[string]S]
	mu sync.Mutex // serialises additions
}

func (sm *seriesMap[S]) get(key string) (S, bool) {
	var zero S
	m := sm.m.Load()
	if m == nil {
		return zero, false
	}
	s, ok := (*m)[key]
	return s, ok
}

// add returns key's series, made by make when key has none yet.
func (sm *seriesMap[S]) add(key string, make func() S) S {
	sm.mu.Lock()
	defer sm.mu.Unlock()
	if s, ok := sm.get(key); ok {
		return s
	}
	next := map[string]S{}
	if m := sm.m.Load(); m != nil {
		maps.Copy(next, *m)
	}
	s := make()
	next[key] = s
	sm.m.Store(&next)
	return s
}

func (m *Metrics) Settled(s observe.Settle) {
	if s.Err != nil {
		m.settleFailures.Inc()
	}
	m.settleLatency.Observe(s.Latency.Seconds())
}

func (m *Metrics) SourceRejected(r observe.SourceRejection) {
	m.sourceRejection.WithLabelValues(r.SourceID).Inc()
}

// typeLabels gives catalog types series of their own, up to max of them,
// and finds a type's series with one lookup, without a lock.
type typeLabels struct {
	known  atomic.Pointer[func(string) bool]
	max    int
	series seriesMap[*typeSeries] // by type; OtherType for the rest

	mu       sync.Mutex // taken only for types not yet in series
	admitted map[string]struct{}
}

// typeSeries are one type label's publish counters.
type typeSeries struct{ accepted, failed prometheus.Counter }

func (l *typeLabels) of(t string, published *prometheus.CounterVec) *typeSeries {
	if s, ok := l.series.get(t); ok {
		return s
	}
	// Kept under its label: a type counted as other is not added, so the
	// map stays within the cap.
	label := l.label(t)
	return l.series.add(label, func() *typeSeries {
		return &typeSeries{published.WithLabelValues(label, "accepted"), published.WithLabelValues(label, "failed")}
	})
}

// label is t, or OtherType for a type outside the catalog or past the cap.
func (l *typeLabels) label(t string) string {
	known := l.known.Load()
	if known == nil || !(*known)(t) {
		return OtherType
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.admitted[t]; ok {
		return t
	}
	if len(l.admitted) >= l.max {
		return OtherType
	}
	if l.admitted == nil {
		l.admitted = map[string]struct{}{}
	}
	l.admitted[t] = struct{}{}
	return t
}

// factory registers what it makes.
type factory struct{ r *prometheus.Registry }

func (f factory) counter(name, help string) prometheus.Counter {
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help})
	f.r.MustRegister(c)
	return c
}

func (f factory) counterVec(name, help string, labels ...string) *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
	f.r.MustRegister(c)
	return c
}

func (f factory) histogram(name, help string, buckets []float64) prometheus.Histogram {
	h := prometheus.NewHistogram(prometheus.HistogramOpts{Name: name, Help: help, Buckets: buckets})
	f.r.MustRegister(h)
	return h
}

func (f factory) histogramVec(name, help string, buckets []float64, labels ...string) *prometheus.HistogramVec {
	h := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: name, Help: help, Buckets: buckets}, labels)
	f.r.MustRegister(h)
	return h
}
