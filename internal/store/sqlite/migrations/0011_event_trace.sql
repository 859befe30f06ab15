-- The W3C traceparent of the publish that stored an event, so that its
-- deliveries continue the publisher's trace; '' without tracing. Kept
-- beside the envelope, not in it: receivers get it only as a header.
ALTER TABLE events ADD COLUMN traceparent TEXT NOT NULL DEFAULT '';
