-- Urgent cases that no chat rings for (a web form, an officer's entry, a forward of an urgent
-- case): raised with the case, acknowledged when an officer who can work it acknowledges or
-- opens it, widened step by step while nobody does, by the same escalation as conversations'
-- alarms (inbox::alarms; cases::alarms owns these rows). The recipients are the officers the
-- alarm reached so far: their open console pages ring. Timestamps are unix microseconds (UTC).
CREATE TABLE case_alarms (
    case_id INTEGER PRIMARY KEY REFERENCES cases(id),
    unit_id INTEGER NOT NULL REFERENCES units(id),
    raised_at INTEGER NOT NULL,
    level INTEGER NOT NULL DEFAULT 0,
    next_at INTEGER,
    acknowledged_at INTEGER,
    acknowledged_by INTEGER REFERENCES officers(id)
);
CREATE INDEX case_alarms_due ON case_alarms (next_at);

CREATE TABLE case_alarm_recipients (
    officer_id INTEGER NOT NULL REFERENCES officers(id),
    case_id INTEGER NOT NULL REFERENCES cases(id),
    PRIMARY KEY (officer_id, case_id)
);
