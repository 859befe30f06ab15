-- The event type catalog. Schema and example are kept byte for byte (bytea,
-- not jsonb, which would reformat them).

CREATE TABLE event_types (
    name        text COLLATE "C" PRIMARY KEY,
    description text NOT NULL DEFAULT '',
    schema      bytea,    -- JSON Schema of the data, or NULL
    example     bytea,    -- an example payload, or NULL
    deprecated  boolean NOT NULL DEFAULT false,
    first_seen  timestamptz,
    last_seen   timestamptz,
    count       bigint NOT NULL DEFAULT 0,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL
);
