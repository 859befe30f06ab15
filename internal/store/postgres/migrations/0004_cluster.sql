-- What nodes sharing the database coordinate through, besides delivery leases.

-- versions counts changes of what every node keeps in memory. Triggers bump
-- them in the transaction that makes the change, so no code path can forget
-- to, and a node that polls them reloads only when something changed.
CREATE TABLE versions (
    name    text PRIMARY KEY,
    version bigint NOT NULL
);
INSERT INTO versions (name, version) VALUES ('subscriptions', 0), ('event_types', 0);

CREATE FUNCTION bump_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE versions SET version = version + 1 WHERE name = TG_ARGV[0];
    RETURN NULL;
END
$$;

CREATE TRIGGER subscriptions_changed AFTER INSERT OR UPDATE OR DELETE ON subscriptions
    FOR EACH ROW EXECUTE FUNCTION bump_version('subscriptions');
-- Counting published events (first_seen, last_seen, count) is no change of
-- the catalog's rules; registering a type seen for the first time is.
CREATE TRIGGER event_types_changed AFTER INSERT OR DELETE OR UPDATE OF description, schema, example, deprecated ON event_types
    FOR EACH ROW EXECUTE FUNCTION bump_version('event_types');

-- leases are named leader leases: periodic jobs run on the node holding one.
CREATE TABLE leases (
    name  text PRIMARY KEY,
    owner text NOT NULL,
    until timestamptz NOT NULL
);

-- Pruning expired idempotency keys finds them by age.
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);
