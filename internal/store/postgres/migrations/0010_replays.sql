-- Replays of archived events into a subscription.

CREATE TABLE replays (
    id              text COLLATE "C" PRIMARY KEY,
    subscription_id text COLLATE "C" NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
    from_at         timestamptz NOT NULL,
    to_at           timestamptz NOT NULL,
    filter          jsonb NOT NULL,            -- the replay's own event_types and pattern
    status          text NOT NULL,
    cursor          bigint NOT NULL DEFAULT 0, -- events.seq of the last event looked at
    up_to           bigint NOT NULL,           -- events.seq of the last event stored at creation
    matched         bigint NOT NULL DEFAULT 0,
    created         bigint NOT NULL DEFAULT 0,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);
CREATE INDEX replays_running ON replays (status) WHERE status = 'running';

-- The replay a delivery was made by, for its progress.
ALTER TABLE deliveries ADD COLUMN replay_id text COLLATE "C";
CREATE INDEX deliveries_by_replay ON deliveries (replay_id, status) WHERE replay_id IS NOT NULL;
