-- Urgent conversations that must reach a person: raised when a citizen's turn makes a
-- conversation urgent, acknowledged when an officer who can work it opens it, escalated step by
-- step while nobody does (inbox::alarms). Timestamps are unix microseconds (UTC).
CREATE TABLE conversation_alarms (
    conversation_id INTEGER PRIMARY KEY REFERENCES conversations(id),
    unit_id INTEGER NOT NULL REFERENCES units(id),
    raised_at INTEGER NOT NULL,
    level INTEGER NOT NULL DEFAULT 0,
    next_at INTEGER,
    acknowledged_at INTEGER,
    acknowledged_by INTEGER REFERENCES officers(id)
);
CREATE INDEX conversation_alarms_due ON conversation_alarms (next_at);
