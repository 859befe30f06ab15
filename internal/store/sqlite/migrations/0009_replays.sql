-- Replays of archived events into a subscription. Times are Unix microseconds (UTC).

CREATE TABLE replays (
    id              TEXT PRIMARY KEY,
    subscription_id TEXT NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
    from_at         INTEGER NOT NULL,
    to_at           INTEGER NOT NULL,
    filter          BLOB NOT NULL,             -- the replay's own event_types and pattern (JSON)
    status          TEXT NOT NULL,
    cursor          INTEGER NOT NULL DEFAULT 0, -- events.seq of the last event looked at
    up_to           INTEGER NOT NULL,           -- events.seq of the last event stored at creation
    matched         INTEGER NOT NULL DEFAULT 0,
    created         INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX replays_running ON replays (status) WHERE status = 'running';

-- The replay a delivery was made by, for its progress.
ALTER TABLE deliveries ADD COLUMN replay_id TEXT;
CREATE INDEX deliveries_by_replay ON deliveries (replay_id, status) WHERE replay_id IS NOT NULL;
