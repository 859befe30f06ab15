-- The audit log of control-plane changes.

CREATE TABLE audit_log (
    id               text COLLATE "C" PRIMARY KEY,  -- aud_ + ULID: sorts by time
    at               timestamptz NOT NULL,
    actor_key_id     text NOT NULL,
    actor_role       text NOT NULL,
    actor_partner_id text NOT NULL,
    action           text NOT NULL,
    target_id        text NOT NULL,
    before           jsonb,  -- secrets redacted
    after            jsonb
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_target ON audit_log (target_id, id);
CREATE INDEX audit_log_actor ON audit_log (actor_key_id, id);
