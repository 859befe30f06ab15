-- subscribe_types are the event type globs a partner may receive (empty:
-- nothing). Partners that existed before grants keep receiving every type,
-- so that no delivery stops at the upgrade; new partners start with none.
ALTER TABLE partners ADD COLUMN subscribe_types jsonb NOT NULL DEFAULT '[]';
UPDATE partners SET subscribe_types = '["*"]';

-- Routing applies grants, so a changed grant is a change every node
-- reloads with the subscriptions.
CREATE TRIGGER partners_grant_changed AFTER UPDATE OF subscribe_types ON partners
    FOR EACH ROW WHEN (OLD.subscribe_types IS DISTINCT FROM NEW.subscribe_types)
    EXECUTE FUNCTION bump_version('subscriptions');
