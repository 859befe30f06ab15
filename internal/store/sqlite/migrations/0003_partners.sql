CREATE TABLE partners (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    environments BLOB NOT NULL, -- JSON array
    metadata     BLOB NOT NULL, -- JSON object
    quotas       BLOB NOT NULL, -- JSON object
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    deleted_at   INTEGER
);

ALTER TABLE subscriptions ADD COLUMN partner_id TEXT NOT NULL DEFAULT '';
ALTER TABLE subscriptions ADD COLUMN environment TEXT NOT NULL DEFAULT '';
CREATE INDEX subscriptions_by_partner ON subscriptions (partner_id, id);

ALTER TABLE api_keys ADD COLUMN partner_id TEXT NOT NULL DEFAULT '';
ALTER TABLE api_keys ADD COLUMN publish_types BLOB; -- JSON array of globs
