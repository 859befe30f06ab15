-- Read-your-writes across nodes: an event acknowledged after a subscription
-- change was acknowledged, on any node, is routed by that change.
--
-- Ingest commits events with the subscriptions version its router had loaded
-- (check_routing, the first statement of the commit). The commit and a
-- change serialise on the routing lock, which ingest holds shared and a
-- change exclusively, each until it commits: either the change committed
-- before ingest took the lock, so ingest reads its version, finds it moved,
-- and routes again; or the change waits until ingest has committed, and so
-- is ordered after those events. A version read without the lock could miss
-- a change that commits, and is acknowledged, while the commit is under way.
--
-- The lock is advisory, keyed by this schema's versions table, so that
-- ingest's share of it writes nothing (a row lock on versions would, at
-- every commit). A change takes it before it touches a subscription row:
-- taken later (in the version bump), it would deadlock with ingest's
-- foreign-key check on that row.

CREATE FUNCTION lock_routing() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock('versions'::regclass::oid::int, 1);
    RETURN NULL;
END
$$;

CREATE TRIGGER subscriptions_lock_routing BEFORE INSERT OR UPDATE OR DELETE ON subscriptions
    FOR EACH STATEMENT EXECUTE FUNCTION lock_routing();

-- check_routing fails with SQLSTATE EG001 when subscriptions changed after
-- routed_at. It is volatile, so its read takes a snapshot after the lock.
CREATE FUNCTION check_routing(routed_at bigint) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock_shared('versions'::regclass::oid::int, 1);
    IF (SELECT version FROM versions WHERE name = 'subscriptions') <> routed_at THEN
        RAISE EXCEPTION 'subscriptions changed since these events were routed' USING ERRCODE = 'EG001';
    END IF;
END
$$;

-- A partner's subscribe grant narrows its subscriptions' routing (0006), so
-- changing it is a routing change like any other.
CREATE TRIGGER partners_lock_routing BEFORE UPDATE OF subscribe_types ON partners
    FOR EACH STATEMENT EXECUTE FUNCTION lock_routing();
