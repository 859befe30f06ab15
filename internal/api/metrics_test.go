package api_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/eventgate/eventgate/internal/gateway"
	"github.com/eventgate/eventgate/internal/metrics"
	"github.com/eventgate/eventgate/internal/store"
)

// lateStore is the env's store, known only once the env has started.
type lateStore struct{ store.Store }

// TestMetricsAfterPublishDeliveriesAndRejection publishes an event that a
// real receiver acknowledges and another refuses for good, an event of a
// type outside the catalog, and a forged request to a source; the
// scraped metrics, parsed with Prometheus' own parser, count each.
func TestMetricsAfterPublishDeliveriesAndRejection(t *testing.T) {
	st := &lateStore{}
	// One type of its own: the second type counts as other whether or not
	// the catalog has learnt of it from its first publish by then.
	m := metrics.New(metrics.Options{Stats: st, StatsTTL: time.Nanosecond, MaxTypes: 1})
	e := newEnv(t, func(c *gateway.Config) { c.Observer, c.Metrics = m, m.Handler() })
	st.Store = e.st
	m.KnowTypes(e.g.KnownEventType)

	e.must(http.StatusOK, "PUT", "/v1/event-types/order.created", `{"description":"An order was placed"}`, nil)
	orders := map[string]any{"filter": map[string]any{"event_types": []string{"order.created"}}}
	ok := newReceiver(t, nil)
	e.subscribe(ok.URL, orders)
	refusing := newReceiver(t, func(w http.ResponseWriter, r *http.Request, n int) { w.WriteHeader(http.StatusBadRequest) })
	e.subscribe(refusing.URL, map[string]any{"filter": orders["filter"], "retry_policy": map[string]any{"max_attempts": 1}})
	src := e.createSource(githubSource)

	e.publish("order.created", `{"n":1}`)
	e.publish("not.in.catalog", `{"n":2}`)
	body := `{"ref":"x"}`
	wantProblem(t, e.ingest(src, body, "X-Hub-Signature-256", "sha256="+strings.Repeat("ab", 32), "X-GitHub-Event", "push", "X-GitHub-Delivery", "1"), http.StatusUnauthorized, "")

	var got scrape
	// The store has the outcomes a moment before the settle is observed.
	waitFor(t, "both attempts to be counted, settled and observed settled", func() bool {
		got = e.scrape()
		return got.value("eventgate_attempts_total", "outcome", "succeeded")+got.value("eventgate_attempts_total", "outcome", "dead") == 2 &&
			got.value("eventgate_deliveries_dead") == 1 && got.value("eventgate_deliveries_waiting") == 0 &&
			got.value("eventgate_settle_duration_seconds") > 0
	})
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"eventgate_events_published_total", []string{"type", "order.created", "outcome", "accepted"}, 1},
		{"eventgate_events_published_total", []string{"type", metrics.OtherType, "outcome", "accepted"}, 1},
		{"eventgate_publish_duration_seconds", nil, 2},
		{"eventgate_commit_events", nil, 2}, // the sum of the commits' sizes
		{"eventgate_attempts_total", []string{"channel", "webhook", "outcome", "succeeded"}, 1},
		{"eventgate_attempts_total", []string{"channel", "webhook", "outcome", "dead"}, 1},
		{"eventgate_deliveries_total", []string{"channel", "webhook", "outcome", "succeeded"}, 1},
		{"eventgate_deliveries_total", []string{"channel", "webhook", "outcome", "dead"}, 1},
		{"eventgate_attempt_duration_seconds", []string{"channel", "webhook"}, 2},
		{"eventgate_source_rejections_total", []string{"source", src.ID}, 1},
		{"eventgate_oldest_waiting_delivery_age_seconds", nil, 0},
		{"eventgate_commit_failures_total", nil, 0},
	} {
		if v := got.value(c.name, c.labels...); v != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, v, c.want)
		}
	}
	if _, ok := got.families["eventgate_subscription_attempts_total"]; ok {
		t.Error("per-subscription series without opting in")
	}

	wantProblem(t, answerOf(e.do("GET", "/metrics", nil, "Authorization", "")), http.StatusUnauthorized, "")
}

// TestMetricsOnTheirOwnListenerAreNotOnTheAPI: with --metrics-addr the
// API answers /metrics with a problem saying where they are.
func TestMetricsOnTheirOwnListenerAreNotOnTheAPI(t *testing.T) {
	e := newEnv(t)
	wantProblem(t, answerOf(e.do("GET", "/metrics", nil)), http.StatusNotFound, "--metrics-addr")
}

// scrape is a parsed /metrics answer.
type scrape struct{ families map[string]*dto.MetricFamily }

func (e *env) scrape() scrape {
	e.t.Helper()
	code, h, body := e.do("GET", "/metrics", nil)
	if code != http.StatusOK {
		e.t.Fatalf("GET /metrics = %d %s", code, body)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		e.t.Fatalf("parsing /metrics (%s): %v", h.Get("Content-Type"), err)
	}
	return scrape{families}
}

// value is a counter's or gauge's value, or a histogram's sample count
// (its sum for eventgate_commit_events), summed over the series that
// carry the given label name/value pairs.
func (s scrape) value(name string, labels ...string) float64 {
	var sum float64
	for _, m := range s.families[name].GetMetric() {
		if !hasLabels(m, labels) {
			continue
		}
		switch {
		case m.Counter != nil:
			sum += m.Counter.GetValue()
		case m.Gauge != nil:
			sum += m.Gauge.GetValue()
		case m.Histogram != nil && name == "eventgate_commit_events":
			sum += m.Histogram.GetSampleSum()
		case m.Histogram != nil:
			sum += float64(m.Histogram.GetSampleCount())
		}
	}
	return sum
}

func hasLabels(m *dto.Metric, pairs []string) bool {
	for i := 0; i+1 < len(pairs); i += 2 {
		found := false
		for _, l := range m.GetLabel() {
			found = found || (l.GetName() == pairs[i] && l.GetValue() == pairs[i+1])
		}
		if !found {
			return false
		}
	}
	return true
}
