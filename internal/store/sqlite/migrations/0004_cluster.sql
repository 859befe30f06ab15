-- The single node uses these too: it is always the leader, and the versions
-- cost one row update per change of a subscription or event type definition.

-- versions counts changes of what every node keeps in memory, bumped by
-- triggers in the transaction that makes the change.
CREATE TABLE versions (
    name    TEXT PRIMARY KEY,
    version INTEGER NOT NULL
);
INSERT INTO versions (name, version) VALUES ('subscriptions', 0), ('event_types', 0);

CREATE TRIGGER subscriptions_inserted AFTER INSERT ON subscriptions
BEGIN UPDATE versions SET version = version + 1 WHERE name = 'subscriptions'; END;
CREATE TRIGGER subscriptions_updated AFTER UPDATE ON subscriptions
BEGIN UPDATE versions SET version = version + 1 WHERE name = 'subscriptions'; END;
CREATE TRIGGER subscriptions_deleted AFTER DELETE ON subscriptions
BEGIN UPDATE versions SET version = version + 1 WHERE name = 'subscriptions'; END;

-- Counting published events is no change of the catalog's rules.
CREATE TRIGGER event_types_inserted AFTER INSERT ON event_types
BEGIN UPDATE versions SET version = version + 1 WHERE name = 'event_types'; END;
CREATE TRIGGER event_types_updated AFTER UPDATE OF description, schema, example, deprecated ON event_types
BEGIN UPDATE versions SET version = version + 1 WHERE name = 'event_types'; END;
CREATE TRIGGER event_types_deleted AFTER DELETE ON event_types
BEGIN UPDATE versions SET version = version + 1 WHERE name = 'event_types'; END;

-- leases are named leader leases: periodic jobs run on the node holding one.
CREATE TABLE leases (
    name  TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    until INTEGER NOT NULL
);

-- Pruning expired idempotency keys finds them by age.
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);
