package tracing_test

import (
	"context"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/eventgate/eventgate/internal/tracing"
)

// TestSetupExportsOverOTLPHTTP: with OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
// set, a publish span continuing a traceparent reaches a real OTLP/HTTP
// receiver, in that trace, from the service eventgate; without it,
// tracing stays off.
func TestSetupExportsOverOTLPHTTP(t *testing.T) {
	var mu sync.Mutex
	var got []*collectortrace.ExportTraceServiceRequest
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		req := &collectortrace.ExportTraceServiceRequest{}
		if r.URL.Path != "/v1/traces" || proto.Unmarshal(body, req) != nil {
			http.Error(w, "not an OTLP trace export", http.StatusBadRequest)
			return
		}
		mu.Lock()
		got = append(got, req)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/x-protobuf")
		out, _ := proto.Marshal(&collectortrace.ExportTraceServiceResponse{})
		w.Write(out)
	}))
	t.Cleanup(collector.Close)
	t.Cleanup(func() { tracing.Use(nil) })
	ctx := context.Background()

	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "")
	t.Setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "")
	if _, err := tracing.Setup(ctx); err != nil {
		t.Fatal(err)
	}
	if tp := tracing.TraceParent(tracing.Extract(ctx, http.Header{"Traceparent": {"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}})); tp != "" {
		t.Fatalf("without an endpoint, tracing is on: %q", tp)
	}

	t.Setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", collector.URL+"/v1/traces")
	shutdown, err := tracing.Setup(ctx)
	if err != nil {
		t.Fatal(err)
	}
	const traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	in := tracing.Extract(ctx, http.Header{"Traceparent": {"00-" + traceID + "-00f067aa0ba902b7-01"}})
	_, span := tracing.StartPublish(in, 1)
	span.End(nil)
	if err := shutdown(ctx); err != nil { // flushes
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 || len(got[0].ResourceSpans) != 1 {
		t.Fatalf("collector received %d exports, want one of one resource", len(got))
	}
	rs := got[0].ResourceSpans[0]
	service := ""
	for _, a := range rs.Resource.Attributes {
		if a.Key == "service.name" {
			service = a.Value.GetStringValue()
		}
	}
	spans := rs.ScopeSpans[0].Spans
	if service != "eventgate" || len(spans) != 1 || spans[0].Name != "publish" || hex.EncodeToString(spans[0].TraceId) != traceID {
		t.Fatalf("exported service %q, spans %v; want eventgate's publish span in trace %s", service, spans, traceID)
	}
}
