-- The inbound log of the embedded engine, in a database file of its own beside the main one
-- (`caunoi-inbound.db`), so storing a webhook never waits for the main file's writer.
-- Every accepted webhook, raw, before anything else happens to it (dedupe on the event key).
-- `processed_at` follows `inbound_applied` in the main file, which is written together with the
-- event's effects. `locked_until`: a failed event rests until then.
CREATE TABLE inbound_events (
    id INTEGER PRIMARY KEY,
    channel TEXT NOT NULL,
    oa_id TEXT NOT NULL,
    unit_id INTEGER NOT NULL,
    event_name TEXT NOT NULL,
    dedupe_key TEXT NOT NULL UNIQUE,
    raw_body TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    processed_at INTEGER,
    attempts INTEGER NOT NULL DEFAULT 0,
    locked_until INTEGER,
    last_error TEXT
);
CREATE INDEX inbound_events_pending ON inbound_events (processed_at, id);
