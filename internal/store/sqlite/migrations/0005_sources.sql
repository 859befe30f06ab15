-- Inbound endpoints for providers' webhooks. Times are Unix microseconds (UTC).

CREATE TABLE sources (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    spec       BLOB NOT NULL,  -- verification (without the secret), event type and dedupe rules (JSON)
    secret     BLOB NOT NULL,  -- the verify secret: opaque, so it can be encrypted without a migration
    accepted   INTEGER NOT NULL DEFAULT 0,
    duplicates INTEGER NOT NULL DEFAULT 0,
    rejected   INTEGER NOT NULL DEFAULT 0,
    invalid    INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);
