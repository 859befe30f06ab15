package pattern

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"
)

// subscriptionPattern returns the i-th pattern of a realistic mix of
// distinct subscriptions over the eventgate envelope.
func subscriptionPattern(r *rand.Rand, i int) string {
	customer := fmt.Sprintf("cust-%05d", r.IntN(10000))
	switch n := i % 20; {
	case n < 6: // one customer's orders
		return fmt.Sprintf(`{"type": ["order.created", "order.paid"], "data": {"customer_id": [%q]}}`, customer)
	case n < 10: // a subject subtree
		return fmt.Sprintf(`{"subject": [{"prefix": "orders/%s/"}]}`, customer)
	case n < 13: // an amount band
		lo := r.IntN(100000)
		return fmt.Sprintf(`{"type": [{"prefix": "order."}], "data": {"amount": [{"numeric": [">=", %d, "<", %d]}]}}`, lo, lo+50+r.IntN(450))
	case n < 16: // everything of a customer except noise
		return fmt.Sprintf(`{"data": {"customer_id": [%q]}, "type": [{"anything-but": ["order.deleted", "order.archived"]}], "severity": [{"anything-but": "debug"}]}`, customer)
	case n < 18: // several ways in
		return fmt.Sprintf(`{"$or": [{"data": {"customer_id": [%q]}}, {"subject": [{"suffix": "/ord-%d"}]}, {"attributes": {"tenant": ["t-%d"]}, "severity": ["error"]}]}`,
			customer, r.IntN(100000), r.IntN(1000))
	case n < 19:
		return fmt.Sprintf(`{"source": [{"equals-ignore-case": "Shop-%d"}], "data": {"currency": ["EUR", "USD"]}}`, r.IntN(500))
	default:
		return fmt.Sprintf(`{"source": [{"wildcard": "shop-%d/*"}], "attributes": {"region": [{"prefix": "eu-"}]}, "data": {"items": {"sku": ["SKU-%d"]}}}`,
			r.IntN(500), r.IntN(2000))
	}
}

func benchmarkEvent(r *rand.Rand) map[string]any {
	customer := fmt.Sprintf("cust-%05d", r.IntN(10000))
	order := r.IntN(100000)
	raw := fmt.Sprintf(`{
		"id": "evt_%d", "type": "order.created", "source": "shop-%d/api",
		"subject": "orders/%s/ord-%d", "time": "2026-03-01T12:00:00Z", "severity": "info",
		"attributes": {"region": "eu-west-1", "tenant": "t-%d"},
		"data": {"customer_id": %q, "amount": %d.5, "currency": "EUR",
		         "items": [{"sku": "SKU-%d", "qty": 2}, {"sku": "SKU-%d", "qty": 1}]}
	}`, order, r.IntN(500), customer, order, r.IntN(1000), customer, r.IntN(100000), r.IntN(2000), r.IntN(2000))
	ev, err := decodeEvent([]byte(raw))
	if err != nil {
		panic(err)
	}
	return ev
}

func buildMatcher(b *testing.B, n int) (*Matcher, *rand.Rand) {
	r := rand.New(rand.NewPCG(1, 1))
	m := NewMatcher()
	for i := range n {
		m.Add(fmt.Sprintf("sub-%d", i), mustCompile(b, subscriptionPattern(r, i)))
	}
	return m, r
}

// BenchmarkMatcher10k matches one event against 10,000 distinct
// subscriptions (cycling through 256 different events).
func BenchmarkMatcher10k(b *testing.B) {
	m, r := buildMatcher(b, 10000)
	events := make([]map[string]any, 256)
	for i := range events {
		events[i] = benchmarkEvent(r)
	}
	dst := make([]string, 0, 64)
	matched := 0
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		dst = m.Match(events[i%len(events)], dst[:0])
		matched += len(dst)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(matched)/float64(b.N), "matches/event")
}

// BenchmarkMatcherAdd adds one pattern to a Matcher holding 10,000 (it grows
// to at most 11,000 and is trimmed back outside the timer).
func BenchmarkMatcherAdd(b *testing.B) {
	m, ids, patterns := churnSetup(b)
	const batch = len(churnIDs)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		k := i % batch
		if k == 0 && i > 0 {
			b.StopTimer()
			for _, id := range ids {
				m.Remove(id)
			}
			b.StartTimer()
		}
		m.Add(ids[k], patterns[k])
	}
}

// BenchmarkMatcherRemove removes one pattern from a Matcher holding 10,000.
func BenchmarkMatcherRemove(b *testing.B) {
	m, ids, patterns := churnSetup(b)
	const batch = len(churnIDs)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		k := i % batch
		if k == 0 {
			b.StopTimer()
			for j, id := range ids {
				m.Add(id, patterns[j])
			}
			b.StartTimer()
		}
		m.Remove(ids[k])
	}
}

func BenchmarkCompile(b *testing.B) {
	raw := []byte(`{"type": ["order.created", "order.paid"], "subject": [{"prefix": "orders/"}],
		"data": {"amount": [{"numeric": [">", 0, "<=", 500]}], "$or": [{"customer_id": ["cust-00042"]}, {"tier": [{"anything-but": "free"}]}]}}`)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := Compile(raw); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPatternMatch is one pattern against one raw event, decoding
// included, for comparison with the Matcher.
func BenchmarkPatternMatch(b *testing.B) {
	p := mustCompile(b, `{"type": ["order.created"], "data": {"customer_id": ["cust-00042"], "amount": [{"numeric": [">", 100]}]}}`)
	raw, _ := json.Marshal(benchmarkEvent(rand.New(rand.NewPCG(3, 3))))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := p.Match(raw); err != nil {
			b.Fatal(err)
		}
	}
}

// churnIDs names the patterns the Add and Remove benchmarks churn.
var churnIDs [1000]string

// churnSetup returns a Matcher of 10,000 patterns and 1,000 more patterns
// to add and remove beside them.
func churnSetup(b *testing.B) (*Matcher, []string, []*Pattern) {
	m, r := buildMatcher(b, 10000)
	patterns := make([]*Pattern, len(churnIDs))
	for i := range patterns {
		patterns[i] = mustCompile(b, subscriptionPattern(r, i))
		churnIDs[i] = fmt.Sprintf("new-%d", i)
	}
	return m, churnIDs[:], patterns
}
