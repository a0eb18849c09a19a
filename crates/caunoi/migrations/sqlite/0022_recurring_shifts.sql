-- The duty roster's recurring shifts and the shift hand-over note (inbox), and the folded text
-- the inbox search matches without diacritics (conversations).

-- A recurring planning (every night, every weekend, chosen weekdays, until a date). Each
-- occurrence is stored in duty_shifts with series_id set, so "who is on duty now", the
-- nobody-on-duty warning and alarm routing read one indexed range as for a single shift.
-- weekdays: bit 0 Monday … bit 6 Sunday. Times are local (Asia/Ho_Chi_Minh) "HH:MM".
CREATE TABLE duty_series (
    id INTEGER PRIMARY KEY,
    unit_id INTEGER NOT NULL REFERENCES units(id),
    officer_id INTEGER NOT NULL REFERENCES officers(id),
    weekdays INTEGER NOT NULL,
    starts_time TEXT NOT NULL,
    ends_time TEXT NOT NULL,
    first_date TEXT NOT NULL,
    until_date TEXT NOT NULL,
    created_by INTEGER REFERENCES officers(id),
    created_at INTEGER NOT NULL
);
CREATE INDEX duty_series_unit ON duty_series (unit_id);
ALTER TABLE duty_shifts ADD COLUMN series_id INTEGER REFERENCES duty_series(id);
CREATE INDEX duty_shifts_series ON duty_shifts (series_id);
CREATE INDEX duty_shifts_unit_start ON duty_shifts (unit_id, starts_at);

-- What the officer ending a shift leaves for the next one (ghi chú bàn giao ca). Shown at the
-- top of the inbox to the officers on duty at the unit until each dismisses it.
CREATE TABLE duty_handover_notes (
    id INTEGER PRIMARY KEY,
    unit_id INTEGER NOT NULL REFERENCES units(id),
    author_id INTEGER NOT NULL REFERENCES officers(id),
    text TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX duty_handover_notes_unit ON duty_handover_notes (unit_id, created_at);
CREATE TABLE duty_handover_dismissals (
    note_id INTEGER NOT NULL REFERENCES duty_handover_notes(id),
    officer_id INTEGER NOT NULL REFERENCES officers(id),
    dismissed_at INTEGER NOT NULL,
    PRIMARY KEY (note_id, officer_id)
);

-- Lowercase ASCII folding of a message's text and a citizen's name (caunoi_text::fold), written
-- with the row, NULL for rows written before, which the housekeeping folds in batches.
ALTER TABLE messages ADD COLUMN text_folded TEXT;
ALTER TABLE contacts ADD COLUMN name_folded TEXT;

-- Longer sessions for duty devices (staff). A unit's admin allows the devices of its duty desk
-- to keep a session for up to `hours` (8, 12 or 24), and an officer of the unit then marks the
-- device they watch at, and its session lasts until `sessions.keep_until`. Past the ordinary
-- idle timeout such a session is locked: the live stream keeps ringing, every page asks for
-- the password again (`/unlock`).
CREATE TABLE duty_session_policies (
    unit_id INTEGER PRIMARY KEY REFERENCES units(id),
    hours INTEGER NOT NULL,
    updated_by INTEGER REFERENCES officers(id),
    updated_at INTEGER NOT NULL
);
ALTER TABLE sessions ADD COLUMN keep_until INTEGER;
