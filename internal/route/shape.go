package route

import (
	"github.com/eventgate/eventgate/internal/event"
	"github.com/eventgate/eventgate/internal/route/transform"
)

// Shape turns an event envelope into the body a subscription receives:
// through its transform if it has one, else in its payload format.
type Shape struct {
	transform *transform.Transform
	format    transform.Format
}

// envelopeShape sends the envelope as it is.
var envelopeShape = &Shape{format: transform.FormatEnvelope}

// CompileShape validates a subscription's transform and payload format.
// Errors are *event.ValidationError with fields under "transform" and
// "payload_format".
func CompileShape(s *event.Subscription) (*Shape, error) {
	format := transform.Format(s.PayloadFormat)
	var v event.Problems
	if !format.Valid() {
		v.Add("payload_format", "must be envelope (the default), data or cloudevents")
	}
	if s.Transform != nil && format != "" && format != transform.FormatEnvelope {
		v.Add("payload_format", "does not apply with a transform: the transform's template decides the body")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	if s.Transform == nil {
		if format == "" || format == transform.FormatEnvelope {
			return envelopeShape, nil
		}
		return &Shape{format: format}, nil
	}
	t, err := transform.Compile(transform.Spec{InputPaths: s.Transform.InputPaths, Template: s.Transform.Template})
	if err != nil {
		return nil, err
	}
	return &Shape{transform: t}, nil
}

// RendersJSON says every body Render returns is JSON by construction: the
// payload formats cut or build it from a valid envelope; only a
// transform's template can render text.
func (s *Shape) RendersJSON() bool { return s.transform == nil }

// Render returns the body and its Content-Type.
func (s *Shape) Render(envelope []byte) ([]byte, string, error) {
	if s.transform != nil {
		return s.transform.Apply(envelope)
	}
	if s.format == transform.FormatEnvelope {
		return envelope, "application/json", nil
	}
	return s.format.Render(envelope)
}
