-- Deliveries not yet succeeded, by status and age, so that metrics count
-- the waiting and dead ones and find the oldest waiting one from this
-- index alone (succeeded deliveries, the bulk, are not in it).
CREATE INDEX deliveries_unsettled ON deliveries (status, created_at) WHERE status <> 'succeeded';
