-- The API key that supplied an event's id, so that a repeat of the id by
-- that key is a duplicate and by another one a conflict; '' when the gateway
-- made the id up (or the event was stored before this column existed).
ALTER TABLE events ADD COLUMN publisher text COLLATE "C" NOT NULL DEFAULT '';
