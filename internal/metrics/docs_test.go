package metrics

import (
	"context"
	"errors"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/eventgate/eventgate/internal/event"
	"github.com/eventgate/eventgate/internal/observe"
	"github.com/eventgate/eventgate/internal/store"
)

type fixedStats struct{}

func (fixedStats) DeliveryStats(context.Context) (store.DeliveryStats, error) {
	return store.DeliveryStats{}, nil
}

// TestDocsNameOnlyMetricsThatExist: every eventgate_ metric that the
// operations guide and the Grafana dashboard name is one the gateway
// serves, and the guide names every one.
func TestDocsNameOnlyMetricsThatExist(t *testing.T) {
	m := New(Options{Stats: fixedStats{}, PerSubscription: true})
	m.Published(observe.Publish{Events: 1, Type: func(int) string { return "order.created" }})
	m.Attempted(observe.Attempt{Channel: "webhook", Outcome: event.Succeeded})
	m.SourceRejected(observe.SourceRejection{SourceID: "src_1"})
	m.Committed(observe.Commit{Err: errors.New("x")})
	m.Settled(observe.Settle{Err: errors.New("x")})
	families, err := m.registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	served := map[string]bool{}
	for _, f := range families {
		if strings.HasPrefix(f.GetName(), "eventgate_") {
			served[f.GetName()] = true
		}
	}
	name := regexp.MustCompile(`eventgate_[a-z_]+`)
	guide, err := os.ReadFile("../../docs/operations.md")
	if err != nil {
		t.Fatal(err)
	}
	inGuide := map[string]bool{}
	for _, n := range name.FindAllString(string(guide), -1) {
		inGuide[n] = true
	}
	dashboard, err := os.ReadFile("../../docs/grafana-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	for doc, text := range map[string][]byte{"docs/operations.md": guide, "docs/grafana-dashboard.json": dashboard} {
		for _, n := range name.FindAllString(string(text), -1) {
			base := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(n, "_bucket"), "_sum"), "_count")
			if !served[n] && !served[base] {
				t.Errorf("%s names %s, which is not served", doc, n)
			}
		}
	}
	for n := range served {
		if !inGuide[n] {
			t.Errorf("%s is served but docs/operations.md does not describe it", n)
		}
	}
}
