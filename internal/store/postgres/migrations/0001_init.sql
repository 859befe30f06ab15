-- Ids are compared byte-wise (COLLATE "C"): they sort by creation time, and
-- list order and cursors must not depend on the server's locale.

CREATE TABLE subscriptions (
    id            text COLLATE "C" PRIMARY KEY,
    name          text NOT NULL,
    status        text NOT NULL,
    status_reason text NOT NULL DEFAULT '',
    spec          jsonb NOT NULL,  -- channel, filter, retry policy, concurrency
    secrets       bytea NOT NULL,  -- signing secrets: opaque, so they can be encrypted without a migration
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL
);

CREATE TABLE events (
    seq         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,  -- list order and cursor
    id          text COLLATE "C" NOT NULL UNIQUE,
    type        text NOT NULL,
    received_at timestamptz NOT NULL,
    envelope    bytea NOT NULL  -- the JSON subscribers receive, byte for byte
);
CREATE INDEX events_by_type ON events (type, seq);

CREATE TABLE idempotency_keys (
    key        text COLLATE "C" PRIMARY KEY,
    event_id   text COLLATE "C" NOT NULL,
    created_at timestamptz NOT NULL
);

CREATE TABLE deliveries (
    id               text COLLATE "C" PRIMARY KEY,
    event_id         text COLLATE "C" NOT NULL,
    subscription_id  text COLLATE "C" NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
    status           text NOT NULL,
    attempts         integer NOT NULL DEFAULT 0,
    cycle_attempts   integer NOT NULL DEFAULT 0,  -- attempts since the retry cycle started
    cycle_start      timestamptz NOT NULL,        -- creation, or the last retry/redrive
    -- due_at is when a node should next look at the delivery: the retry time,
    -- or the lease expiry while a node holds it. NULL when it is final
    -- (succeeded, dead) or parked (its subscription is paused or disabled).
    due_at           timestamptz,
    lease_owner      text,
    last_error       text NOT NULL DEFAULT '',
    last_status_code integer NOT NULL DEFAULT 0,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL
);
CREATE INDEX deliveries_due ON deliveries (due_at) WHERE due_at IS NOT NULL;
CREATE INDEX deliveries_by_subscription ON deliveries (subscription_id, id);
CREATE INDEX deliveries_by_event ON deliveries (event_id);
CREATE INDEX deliveries_by_owner ON deliveries (lease_owner) WHERE lease_owner IS NOT NULL;

CREATE TABLE attempts (
    id            text COLLATE "C" PRIMARY KEY,
    delivery_id   text COLLATE "C" NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
    at            timestamptz NOT NULL,
    status_code   integer NOT NULL,
    latency_us    bigint NOT NULL,
    response_body text NOT NULL,
    error         text NOT NULL
);
CREATE INDEX attempts_by_delivery ON attempts (delivery_id, id);

CREATE TABLE api_keys (
    id           text COLLATE "C" PRIMARY KEY,
    name         text NOT NULL,
    scope        text NOT NULL,
    prefix       text NOT NULL,
    hash         bytea NOT NULL UNIQUE,
    created_at   timestamptz NOT NULL,
    last_used_at timestamptz,
    expires_at   timestamptz,
    revoked_at   timestamptz
);
