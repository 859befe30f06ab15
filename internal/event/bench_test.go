package event_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/eventgate/eventgate/internal/event"
)

// BenchmarkEnvelope encodes a typical event (about 1 KiB) into the JSON
// that is stored and delivered.
func BenchmarkEnvelope(b *testing.B) {
	e := &event.Event{
		ID: event.NewID(event.PrefixEvent), Type: "order.created", Source: "shop/api", Subject: "orders/1001",
		Time: time.Now().UTC(), Severity: "info",
		Attributes: map[string]any{"region": "eu-west-1", "tenant": "t-42"},
		Data:       json.RawMessage(`{"order_id": 1001, "total": 49.90, "items": [{"sku": "SKU-1", "qty": 2}], "note": "` + strings.Repeat("x", 800) + `"}`),
	}
	env, err := e.Envelope()
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(env)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.Envelope(); err != nil {
			b.Fatal(err)
		}
	}
}
