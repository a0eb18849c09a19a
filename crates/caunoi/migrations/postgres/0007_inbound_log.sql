-- PostgreSQL keeps the inbound log in `inbound_events` of the one database, marked processed in
-- the transaction that applies each event; SQLite moved it to a file of its own and records
-- applied events in `inbound_applied` (see migrations/sqlite/0007_inbound_log.sql). Nothing to
-- change here.
SELECT 1;
