CREATE TABLE partners (
    id           text COLLATE "C" PRIMARY KEY,
    name         text NOT NULL,
    environments jsonb,           -- array of names; NULL when none
    metadata     jsonb,           -- object; NULL when none
    quotas       jsonb NOT NULL,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    deleted_at   timestamptz
);

ALTER TABLE subscriptions
    ADD COLUMN partner_id  text COLLATE "C" NOT NULL DEFAULT '',
    ADD COLUMN environment text NOT NULL DEFAULT '';
CREATE INDEX subscriptions_by_partner ON subscriptions (partner_id, id);

ALTER TABLE api_keys
    ADD COLUMN partner_id    text COLLATE "C" NOT NULL DEFAULT '',
    ADD COLUMN publish_types jsonb;  -- array of globs, or NULL
