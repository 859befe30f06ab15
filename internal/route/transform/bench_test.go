package transform

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/eventgate/eventgate/internal/event"
)

// benchEnvelope is an order event of about 1 KiB.
func benchEnvelope(b *testing.B) []byte {
	var items []string
	for i := 0; i < 6; i++ {
		items = append(items, fmt.Sprintf(`{"sku":"SKU-%04d","name":"Item number %d","qty":%d,"price":%d.99}`, i, i, i+1, 10+i))
	}
	data := `{"order_id":"ord_8f14e45fceea167a","customer":{"id":"cus_123","name":"Ada \"The Countess\" Lovelace","email":"ada@example.com","address":{"line1":"12 St James's Square","city":"London","country":"GB"}},` +
		`"items":[` + strings.Join(items, ",") + `],"total":412.94,"currency":"GBP","notes":"Leave at the door, ring twice.\nThanks!"}`
	envelope := envelopeOf(b, event.Event{
		ID: "evt_01HZY3M8V7Q2", Type: "order.created", Source: "/shop/eu", Subject: "order/ord_8f14e45fceea167a",
		Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Severity: "info",
		Attributes: map[string]any{"region": "eu-west", "tenant": "acme", "priority": float64(2), "channel": "web"},
		Data:       json.RawMessage(data),
	})
	if len(envelope) < 900 || len(envelope) > 1200 {
		b.Fatalf("bench envelope is %d bytes, want about 1 KiB", len(envelope))
	}
	return envelope
}

func BenchmarkApply(b *testing.B) {
	envelope := benchEnvelope(b)
	tr := mustCompile(b, Spec{
		InputPaths: map[string]string{
			"name":  "$.data.customer.name",
			"email": "$.data.customer.email",
			"total": "$.data.total",
			"sku":   "$.data.items[0].sku",
			"order": "$.data.order_id",
		},
		Template: `{"customer": <name>, "email": "<email>", "total": <total>, "first_item": <sku>, "text": "Order <order> for <name>"}`,
	})
	if _, _, err := tr.Apply(envelope); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(envelope)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := tr.Apply(envelope); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRenderCloudEvents(b *testing.B) {
	envelope := benchEnvelope(b)
	b.SetBytes(int64(len(envelope)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := FormatCloudEvents.Render(envelope); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRenderData(b *testing.B) {
	envelope := benchEnvelope(b)
	b.SetBytes(int64(len(envelope)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := FormatData.Render(envelope); err != nil {
			b.Fatal(err)
		}
	}
}
