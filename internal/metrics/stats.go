package metrics

import (
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/eventgate/eventgate/internal/store"
)

// statsTimeout bounds the store query of a scrape.
const statsTimeout = 2 * time.Second

var (
	waitingDesc = prometheus.NewDesc("eventgate_deliveries_waiting", "Deliveries not yet delivered nor dead: pending, failed and waiting to retry, or parked by a paused subscription (all nodes).", nil, nil)
	deadDesc    = prometheus.NewDesc("eventgate_deliveries_dead", "Dead deliveries kept for inspection and redrive (all nodes).", nil, nil)
	oldestDesc  = prometheus.NewDesc("eventgate_oldest_waiting_delivery_age_seconds", "Age of the oldest waiting delivery; 0 when none waits.", nil, nil)
)

// StatsReader counts the deliveries not done; store.Store is one.
type StatsReader interface {
	DeliveryStats(ctx context.Context) (store.DeliveryStats, error)
}

// deliveryStats asks the store at scrape time, reusing an answer for ttl.
type deliveryStats struct {
	stats StatsReader
	ttl   time.Duration

	mu     sync.Mutex // one query at a time; scrapes meanwhile wait for it
	last   store.DeliveryStats
	readAt time.Time
}

func (c *deliveryStats) Describe(ch chan<- *prometheus.Desc) {
	ch <- waitingDesc
	ch <- deadDesc
	ch <- oldestDesc
}

func (c *deliveryStats) Collect(ch chan<- prometheus.Metric) {
	if c.stats == nil {
		return
	}
	s, err := c.read()
	if err != nil {
		ch <- prometheus.NewInvalidMetric(waitingDesc, err)
		return
	}
	ch <- prometheus.MustNewConstMetric(waitingDesc, prometheus.GaugeValue, float64(s.Waiting))
	ch <- prometheus.MustNewConstMetric(deadDesc, prometheus.GaugeValue, float64(s.Dead))
	age := 0.0
	if !s.OldestWaiting.IsZero() {
		age = max(time.Since(s.OldestWaiting).Seconds(), 0)
	}
	ch <- prometheus.MustNewConstMetric(oldestDesc, prometheus.GaugeValue, age)
}

func (c *deliveryStats) read() (store.DeliveryStats, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.readAt.IsZero() && time.Since(c.readAt) < c.ttl {
		return c.last, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), statsTimeout)
	defer cancel()
	s, err := c.stats.DeliveryStats(ctx)
	if err != nil {
		return s, err
	}
	c.last, c.readAt = s, time.Now()
	return s, nil
}
