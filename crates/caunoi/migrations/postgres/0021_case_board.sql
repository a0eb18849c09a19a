-- The case board over a large history (a province's 1,000,000 cases): every view is read along
-- an index that holds what its filter needs, so a page and its capped count never read case rows
-- they do not show.
--
-- The legal deadline is kept on the row as a generated column: the same rule as the clock
-- (`LegalClock::due`): none without legal days or while suspended; otherwise the extension, or
-- receipt plus the legal days, plus the time spent suspended. The database keeps it in step with
-- every change of those columns, whoever makes it.
ALTER TABLE cases ADD COLUMN legal_due_at BIGINT GENERATED ALWAYS AS (
    CASE WHEN legal_days IS NULL OR suspended_since IS NOT NULL THEN NULL
    ELSE COALESCE(legal_extended_to, received_at + legal_days * 86400000000) + suspended_micros END
) STORED;

-- Replaced by the wider indexes below (each old one is a prefix of a new one, or the unit's
-- index with the category second).
DROP INDEX cases_open;
DROP INDEX cases_received;
DROP INDEX cases_category_received;
DROP INDEX cases_unit_received;

-- Open work in the board's order (urgent first, newest first), for a wide scope's page.
CREATE INDEX cases_board_open ON cases (urgent, received_at, id, unit_id, status, category, legal_due_at, ack_due_at)
    WHERE status IN ('new', 'acknowledged', 'verifying');
-- Open work unit by unit, for counts and a small scope's page.
CREATE INDEX cases_board_open_unit ON cases (unit_id, category, urgent, received_at, id, status, legal_due_at, ack_due_at)
    WHERE status IN ('new', 'acknowledged', 'verifying');
-- The history newest first, all categories or one.
CREATE INDEX cases_board_all ON cases (received_at, id, unit_id, status, category);
CREATE INDEX cases_board_category ON cases (category, received_at, id, unit_id, status);
-- The history unit by unit.
CREATE INDEX cases_board_unit ON cases (unit_id, category, received_at, id, status);

-- Retention asks whether any case holds a stored file as evidence, file by file.
CREATE INDEX case_media_ref ON case_media (media_ref);
