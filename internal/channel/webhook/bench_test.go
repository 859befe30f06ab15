package webhook_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/eventgate/eventgate/internal/channel"
	"github.com/eventgate/eventgate/internal/channel/webhook"
)

// BenchmarkSend posts signed 1 KiB messages to a real loopback endpoint
// that answers 204, from 8 goroutines as a queue's sends do: a send's CPU
// and allocations, the endpoint's included.
func BenchmarkSend(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	}))
	b.Cleanup(srv.Close)
	s := webhook.New(allowAll)
	sub := subscription(srv.URL, nil)
	body := []byte(`{"type":"order.created","data":{"pad":"` + strings.Repeat("x", 980) + `"}}`)
	b.ReportAllocs()
	b.SetParallelism(4)
	b.RunParallel(func(pb *testing.PB) {
		m := &channel.Message{DeliveryID: "dlv_1", EventID: "evt_1", Subscription: sub, Body: body, ContentType: "application/json"}
		for pb.Next() {
			if r := s.Send(context.Background(), m); !r.OK {
				b.Fatalf("send failed: %+v", r)
			}
		}
	})
}
