-- The audit log of control-plane changes. Times are Unix microseconds (UTC).

CREATE TABLE audit_log (
    id               TEXT PRIMARY KEY,  -- aud_ + ULID: sorts by time
    at               INTEGER NOT NULL,
    actor_key_id     TEXT NOT NULL,
    actor_role       TEXT NOT NULL,
    actor_partner_id TEXT NOT NULL,
    action           TEXT NOT NULL,
    target_id        TEXT NOT NULL,
    before           BLOB,              -- JSON, secrets redacted
    after            BLOB
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_target ON audit_log (target_id, id);
CREATE INDEX audit_log_actor ON audit_log (actor_key_id, id);
