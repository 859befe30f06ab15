package api_test

import (
	"net/http"
	"strings"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/eventgate/eventgate/internal/tracing"
)

// TestDeliveriesContinueThePublishersTrace: an event published with a
// traceparent reaches a real receiver, on its first try and on a retry
// claimed from the store, with a traceparent of the same trace; the spans
// run publisher → publish → deliver; the payload is what it was.
func TestDeliveriesContinueThePublishersTrace(t *testing.T) {
	recorder := tracetest.NewSpanRecorder()
	tracing.Use(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(recorder)))
	t.Cleanup(func() { tracing.Use(nil) })
	e := newEnv(t)
	rc := newReceiver(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 1 {
			w.WriteHeader(http.StatusServiceUnavailable) // retried from the store
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	e.subscribe(rc.URL, map[string]any{"retry_policy": map[string]any{"min_backoff": "100ms", "max_backoff": "200ms"}})

	const traceID, parentID = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
	if code, _, body := e.do("POST", "/v1/events", `{"type":"order.created","data":{"n":1}}`, "Traceparent", "00-"+traceID+"-"+parentID+"-01"); code != http.StatusAccepted {
		t.Fatalf("publish = %d %s", code, body)
	}
	waitFor(t, "the retry to be delivered", func() bool { return rc.count() == 2 })

	spans := map[string][]sdktrace.ReadOnlySpan{}
	waitFor(t, "the spans to end", func() bool {
		clear(spans)
		for _, s := range recorder.Ended() {
			spans[s.Name()] = append(spans[s.Name()], s)
		}
		return len(spans["publish"]) == 1 && len(spans["deliver"]) == 2
	})
	publish := spans["publish"][0]
	if publish.SpanContext().TraceID().String() != traceID || publish.Parent().SpanID().String() != parentID {
		t.Fatalf("publish span in trace %s under %s, want trace %s under the publisher's %s", publish.SpanContext().TraceID(), publish.Parent().SpanID(), traceID, parentID)
	}
	for i, req := range rc.requests() {
		deliver := spans["deliver"][i]
		want := "00-" + traceID + "-" + deliver.SpanContext().SpanID().String() + "-01"
		if got := req.Header.Get("Traceparent"); got != want {
			t.Errorf("try %d carried traceparent %q, want %q (the deliver span of the publisher's trace)", i+1, got, want)
		}
		if deliver.Parent().SpanID() != publish.SpanContext().SpanID() {
			t.Errorf("deliver span %d's parent is %s, want the publish span %s", i+1, deliver.Parent().SpanID(), publish.SpanContext().SpanID())
		}
		if strings.Contains(string(req.Body), traceID) {
			t.Errorf("the payload carries the trace: %s", req.Body)
		}
	}
}
