-- Urgent conversations that must reach a person: raised when a citizen's turn makes a
-- conversation urgent, acknowledged when an officer who can work it opens it, escalated step by
-- step while nobody does (inbox::alarms). Timestamps are unix microseconds (UTC).
CREATE TABLE conversation_alarms (
    conversation_id BIGINT PRIMARY KEY REFERENCES conversations(id),
    unit_id BIGINT NOT NULL REFERENCES units(id),
    raised_at BIGINT NOT NULL,
    level BIGINT NOT NULL DEFAULT 0,
    next_at BIGINT,
    acknowledged_at BIGINT,
    acknowledged_by BIGINT REFERENCES officers(id)
);
CREATE INDEX conversation_alarms_due ON conversation_alarms (next_at);
