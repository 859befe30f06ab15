-- Times are Unix microseconds (UTC).

CREATE TABLE subscriptions (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    status        TEXT NOT NULL,
    status_reason TEXT NOT NULL DEFAULT '',
    spec          BLOB NOT NULL,  -- channel, filter, retry policy, concurrency (JSON)
    secrets       BLOB NOT NULL,  -- signing secrets (JSON)
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);

CREATE TABLE events (
    seq         INTEGER PRIMARY KEY,  -- insertion order: list order and cursor
    id          TEXT NOT NULL UNIQUE,
    type        TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    envelope    BLOB NOT NULL         -- the JSON subscribers receive
);
CREATE INDEX events_by_type ON events (type, seq);

CREATE TABLE idempotency_keys (
    key        TEXT PRIMARY KEY,
    event_id   TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE deliveries (
    id               TEXT PRIMARY KEY,
    event_id         TEXT NOT NULL,
    subscription_id  TEXT NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
    status           TEXT NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    cycle_attempts   INTEGER NOT NULL DEFAULT 0, -- attempts since the retry cycle started
    cycle_start      INTEGER NOT NULL,           -- creation, or the last retry/redrive
    -- due_at is when a node should next look at the delivery: the retry time,
    -- or the lease expiry while a node holds it. NULL when it is final
    -- (succeeded, dead) or parked (its subscription is paused or disabled).
    due_at           INTEGER,
    lease_owner      TEXT,
    last_error       TEXT NOT NULL DEFAULT '',
    last_status_code INTEGER NOT NULL DEFAULT 0,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);
CREATE INDEX deliveries_due ON deliveries (due_at) WHERE due_at IS NOT NULL;
CREATE INDEX deliveries_by_subscription ON deliveries (subscription_id, id);
CREATE INDEX deliveries_by_event ON deliveries (event_id);
CREATE INDEX deliveries_by_owner ON deliveries (lease_owner) WHERE lease_owner IS NOT NULL;

CREATE TABLE attempts (
    id            TEXT PRIMARY KEY,
    delivery_id   TEXT NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
    at            INTEGER NOT NULL,
    status_code   INTEGER NOT NULL,
    latency_us    INTEGER NOT NULL,
    response_body TEXT NOT NULL,
    error         TEXT NOT NULL
);
CREATE INDEX attempts_by_delivery ON attempts (delivery_id);

CREATE TABLE api_keys (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    scope        TEXT NOT NULL,
    prefix       TEXT NOT NULL,
    hash         BLOB NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    expires_at   INTEGER,
    revoked_at   INTEGER
);
