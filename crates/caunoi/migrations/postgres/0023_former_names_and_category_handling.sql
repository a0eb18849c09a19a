-- Former names of a unit (tên cũ): the wards, communes and towns merged into it in 2025, which
-- citizens still type in addresses ("phường Hồng Hải"). Owned by units; read by routing.
CREATE TABLE unit_former_names (
    unit_id BIGINT NOT NULL REFERENCES units (id),
    name TEXT NOT NULL,
    position BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (unit_id, name)
);

-- Which level handles a report category by default: `local`, the commune or ward of the place,
-- or `province`.
ALTER TABLE case_categories ADD COLUMN handling TEXT NOT NULL DEFAULT 'local';
