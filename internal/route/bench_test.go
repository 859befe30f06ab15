package route_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/eventgate/eventgate/internal/event"
	"github.com/eventgate/eventgate/internal/route"
)

// BenchmarkMatchFilters routes 1 KiB events through 10,000 subscriptions
// with content patterns shaped like the bench's filters scenario (an exact
// customer, a subject prefix, a case-insensitive customer), one matching
// each event: what an event's routing costs ingest, decoding included.
func BenchmarkMatchFilters(b *testing.B) {
	const subs = 10_000
	r := route.New()
	for i := range subs {
		customer := fmt.Sprintf("c-%d", i)
		var pattern string
		switch i % 3 {
		case 0:
			pattern = fmt.Sprintf(`{"data": {"customer_id": [%q]}}`, customer)
		case 1:
			pattern = fmt.Sprintf(`{"subject": [{"prefix": "orders/%s/"}]}`, customer)
		default:
			pattern = fmt.Sprintf(`{"data": {"customer_id": [{"equals-ignore-case": %q}]}}`, strings.ToUpper(customer))
		}
		sub := &event.Subscription{ID: fmt.Sprintf("sub_%05d", i), Name: customer, Status: event.Active,
			Filter: event.Filter{Pattern: json.RawMessage(pattern)}}
		if err := r.Set(sub); err != nil {
			b.Fatal(err)
		}
	}
	const n = 256
	events := make([]*event.Event, n)
	envelopes := make([][]byte, n)
	for i := range n {
		customer := fmt.Sprintf("c-%d", i*37%subs)
		e := &event.Event{ID: event.NewID(event.PrefixEvent), Type: "bench.filters." + customer, Subject: "orders/" + customer + "/" + fmt.Sprint(i), Time: time.Now().UTC(),
			Data: json.RawMessage(fmt.Sprintf(`{"sent_ns":1,"seq":%d,"customer_id":%q,"pad":%q}`, i, customer, strings.Repeat("x", 880)))}
		env, err := e.Envelope()
		if err != nil {
			b.Fatal(err)
		}
		events[i], envelopes[i] = e, env
	}
	b.ReportAllocs()
	matched, i := 0, 0
	for b.Loop() {
		subs, err := r.Match(events[i%n], envelopes[i%n])
		if err != nil {
			b.Fatal(err)
		}
		matched += len(subs)
		i++
	}
	if matched != i {
		b.Fatalf("%d matches for %d events, want one each", matched, i)
	}
}
