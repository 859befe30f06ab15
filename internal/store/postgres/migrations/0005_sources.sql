-- Inbound endpoints for providers' webhooks.

CREATE TABLE sources (
    id         text COLLATE "C" PRIMARY KEY,
    name       text NOT NULL,
    spec       jsonb NOT NULL,  -- verification (without the secret), event type and dedupe rules
    secret     bytea NOT NULL,  -- the verify secret: opaque, so it can be encrypted without a migration
    accepted   bigint NOT NULL DEFAULT 0,
    duplicates bigint NOT NULL DEFAULT 0,
    rejected   bigint NOT NULL DEFAULT 0,
    invalid    bigint NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL
);
