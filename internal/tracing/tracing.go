// Package tracing makes OpenTelemetry spans of publishes and delivery
// attempts, and carries the publisher's W3C trace context to the
// receiver: the publish span continues the publisher's traceparent, the
// event is stored with the publish span's, and each attempt is a child
// of it whose traceparent the webhook request carries.
//
// It is off unless OTEL_EXPORTER_OTLP_ENDPOINT or
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set (Setup); while off, nothing is
// extracted, stored or sent, and each call costs a check of one flag.
package tracing

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"sync/atomic"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.37.0"
	"go.opentelemetry.io/otel/trace"
)

// tracer is the one spans are made with; nil while tracing is off.
var tracer atomic.Pointer[trace.Tracer]

var propagator = propagation.TraceContext{}

// Setup starts exporting spans over OTLP/HTTP when the standard
// variables name an endpoint (OTEL_EXPORTER_OTLP_ENDPOINT or
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT; the exporter reads the others, such
// as OTEL_EXPORTER_OTLP_HEADERS, itself). shutdown flushes what is
// buffered; it does nothing when tracing stayed off.
func Setup(ctx context.Context) (shutdown func(context.Context) error, err error) {
	if os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT") == "" && os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") == "" {
		return func(context.Context) error { return nil }, nil
	}
	exporter, err := otlptracehttp.New(ctx)
	if err != nil {
		return nil, fmt.Errorf("OpenTelemetry exporter: %w", err)
	}
	res, err := resource.Merge(resource.Default(), resource.NewSchemaless(semconv.ServiceName("eventgate")))
	if err != nil {
		return nil, err
	}
	// OTEL_SERVICE_NAME, read by resource.Default, wins over the default name.
	res, err = resource.Merge(res, resource.Environment())
	if err != nil {
		return nil, err
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exporter), sdktrace.WithResource(res))
	Use(tp)
	return tp.Shutdown, nil
}

// Use makes spans with tp; nil turns tracing off. For Setup and tests.
func Use(tp trace.TracerProvider) {
	if tp == nil {
		tracer.Store(nil)
		return
	}
	t := tp.Tracer("github.com/eventgate/eventgate")
	tracer.Store(&t)
}

// Extract returns ctx with the trace context of an incoming request's
// traceparent header, when tracing is on.
func Extract(ctx context.Context, h http.Header) context.Context {
	if tracer.Load() == nil {
		return ctx
	}
	return propagator.Extract(ctx, propagation.HeaderCarrier(h))
}

// Span is a span that may be off (nil).
type Span struct{ span trace.Span }

// StartPublish starts the span of one publish request of n events, a
// child of ctx's trace context. TraceParent of the returned context is
// what the events are stored with.
func StartPublish(ctx context.Context, n int) (context.Context, Span) {
	t := tracer.Load()
	if t == nil {
		return ctx, Span{}
	}
	ctx, span := (*t).Start(ctx, "publish", trace.WithSpanKind(trace.SpanKindServer), trace.WithAttributes(attribute.Int("eventgate.events", n)))
	return ctx, Span{span}
}

// TraceParent is the traceparent header value of ctx's span; "" when
// tracing is off or ctx has none.
func TraceParent(ctx context.Context) string {
	if tracer.Load() == nil {
		return ""
	}
	carrier := propagation.MapCarrier{}
	propagator.Inject(ctx, carrier)
	return carrier.Get("traceparent")
}

// StartAttempt starts the span of one try of a delivery, a child of the
// publish whose traceparent the event was stored with (a root when it has
// none).
func StartAttempt(traceParent, deliveryID, subscriptionID, channel string) Span {
	t := tracer.Load()
	if t == nil {
		return Span{}
	}
	ctx := propagator.Extract(context.Background(), propagation.MapCarrier{"traceparent": traceParent})
	_, span := (*t).Start(ctx, "deliver", trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(
		attribute.String("eventgate.delivery_id", deliveryID),
		attribute.String("eventgate.subscription_id", subscriptionID),
		attribute.String("eventgate.channel", channel),
	))
	return Span{span}
}

// TraceParent is the traceparent header value that continues the span;
// "" when it is off.
func (s Span) TraceParent() string {
	if s.span == nil {
		return ""
	}
	return TraceParent(trace.ContextWithSpan(context.Background(), s.span))
}

// End ends the span, marked failed when err is set.
func (s Span) End(err error) {
	if s.span == nil {
		return
	}
	if err != nil {
		s.span.SetStatus(codes.Error, err.Error())
	}
	s.span.End()
}

// EndAttempt ends an attempt's span with the receiver's status code and
// whether the try was acknowledged.
func (s Span) EndAttempt(statusCode int, ok bool, err error) {
	if s.span == nil {
		return
	}
	if statusCode != 0 {
		s.span.SetAttributes(semconv.HTTPResponseStatusCode(statusCode))
	}
	if err == nil && !ok {
		err = fmt.Errorf("not acknowledged (HTTP %d)", statusCode)
	}
	s.End(err)
}
