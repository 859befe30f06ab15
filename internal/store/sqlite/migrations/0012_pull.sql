-- Deliveries of pull subscriptions wait in the store until a consumer
-- leases them: due_at is when they are visible (or parked, NULL), and
-- lease_owner holds the token of the consumer's lease. The dispatcher
-- never claims them, so its index leaves them out.
ALTER TABLE deliveries ADD COLUMN pull INTEGER NOT NULL DEFAULT 0;
DROP INDEX deliveries_due;
CREATE INDEX deliveries_due ON deliveries (due_at) WHERE due_at IS NOT NULL AND pull = 0;
CREATE INDEX deliveries_pull ON deliveries (subscription_id, due_at) WHERE due_at IS NOT NULL AND pull = 1;
