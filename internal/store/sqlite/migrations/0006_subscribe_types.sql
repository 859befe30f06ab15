-- subscribe_types are the event type globs a partner may receive (a JSON
-- array; empty: nothing). Partners that existed before grants keep
-- receiving every type, so that no delivery stops at the upgrade; new
-- partners start with none.
ALTER TABLE partners ADD COLUMN subscribe_types BLOB NOT NULL DEFAULT '[]';
UPDATE partners SET subscribe_types = '["*"]';

-- Routing applies grants, so a changed grant is a change every node
-- reloads with the subscriptions.
CREATE TRIGGER partners_grant_changed AFTER UPDATE OF subscribe_types ON partners
WHEN OLD.subscribe_types IS NOT NEW.subscribe_types
BEGIN UPDATE versions SET version = version + 1 WHERE name = 'subscriptions'; END;
