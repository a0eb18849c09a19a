-- Facts about this installation, one row per name. `key_check` is a keyed hash of a fixed text
-- under the instance's secret key: a start with another key is stopped before it can write
-- secrets nobody can read back.
CREATE TABLE instance_facts (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
