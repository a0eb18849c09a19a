-- SQLite keeps the inbound log in a file of its own (migrations/sqlite-inbound); its events move
-- there at start-up (`db::move_inbound_events_to_the_log`). What records, together with an
-- event's effects, that they are committed:
CREATE TABLE inbound_applied (
    event_id INTEGER PRIMARY KEY,
    applied_at INTEGER NOT NULL
);
