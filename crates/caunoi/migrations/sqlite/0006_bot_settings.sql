-- A unit's bot settings (greeting and menu), inherited by the units below it that set none.
CREATE TABLE unit_bot_settings (
    unit_id INTEGER PRIMARY KEY REFERENCES units(id),
    data TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    updated_by INTEGER REFERENCES officers(id)
);
