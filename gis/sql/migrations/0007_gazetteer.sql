-- The geocoding gazetteer (GB/T 30428.3): door plates (门牌), points of interest, house-number ranges
-- of roads, name indexes for exact, prefix and fuzzy (pg_trgm) lookup, and one version counter that
-- every gazetteer change bumps so that the geocoder's in-memory index reloads (incremental updates).

CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- A door plate: road (街路巷) + house number (门牌号) + optional sub-number (附号), at its point.
CREATE TABLE onemap.door_plate (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source     text NOT NULL,
    source_id  text NOT NULL,
    road_name  text NOT NULL CHECK (road_name <> ''),
    number     integer NOT NULL CHECK (number >= 0),
    sub_number text NOT NULL DEFAULT '',
    name       text,               -- the building or compound the plate belongs to, when known
    address    text NOT NULL,      -- the plate as written, normalised
    geom       geometry(Point, 4490) NOT NULL,
    geom_3857  geometry(Point, 3857) GENERATED ALWAYS AS (ST_Transform(geom, 3857)) STORED,
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (source, source_id)
);
CREATE INDEX door_plate_road_number_idx ON onemap.door_plate (road_name, number);
CREATE INDEX door_plate_road_prefix_idx ON onemap.door_plate (road_name text_pattern_ops);
CREATE INDEX door_plate_road_trgm_idx ON onemap.door_plate USING gin (road_name gin_trgm_ops);
CREATE INDEX door_plate_geom_idx ON onemap.door_plate USING gist (geom);

-- Points of interest and landmarks (标志物): names callers use instead of an address.
CREATE TABLE onemap.poi (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source     text NOT NULL,
    source_id  text NOT NULL,
    name       text NOT NULL CHECK (name <> ''),
    category   text,
    address    text,
    geom       geometry(Point, 4490) NOT NULL,
    geom_3857  geometry(Point, 3857) GENERATED ALWAYS AS (ST_Transform(geom, 3857)) STORED,
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (source, source_id)
);
CREATE INDEX poi_name_idx ON onemap.poi (name text_pattern_ops);
CREATE INDEX poi_name_trgm_idx ON onemap.poi USING gin (name gin_trgm_ops);
CREATE INDEX poi_geom_idx ON onemap.poi USING gist (geom);

-- House-number ranges of a road centre line, per side, where the survey knows them
-- (first number at the line's start, last at its end; odd or even numbering per side).
CREATE TABLE onemap.road_number_range (
    road_id      bigint NOT NULL REFERENCES onemap.road (id) ON DELETE CASCADE,
    side         char(1) NOT NULL CHECK (side IN ('L', 'R')),
    first_number integer NOT NULL CHECK (first_number >= 0),
    last_number  integer NOT NULL CHECK (last_number >= 0),
    parity       text NOT NULL CHECK (parity IN ('odd', 'even', 'all')),
    PRIMARY KEY (road_id, side)
);

CREATE INDEX road_name_prefix_idx ON onemap.road (name text_pattern_ops);
CREATE INDEX admin_area_name_idx ON onemap.admin_area (name text_pattern_ops);
CREATE INDEX admin_area_name_trgm_idx ON onemap.admin_area USING gin (name gin_trgm_ops);

-- One row: the gazetteer's version. Statement-level triggers keep it cheap on bulk loads.
CREATE TABLE onemap.gazetteer_state (
    id      boolean PRIMARY KEY DEFAULT true CHECK (id),
    version bigint NOT NULL DEFAULT 1
);
INSERT INTO onemap.gazetteer_state DEFAULT VALUES;

CREATE FUNCTION onemap.bump_gazetteer_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE onemap.gazetteer_state SET version = version + 1;
    RETURN NULL;
END $$;

CREATE TRIGGER gazetteer_door_plate_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON onemap.door_plate FOR EACH STATEMENT EXECUTE FUNCTION onemap.bump_gazetteer_version();
CREATE TRIGGER gazetteer_poi_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON onemap.poi FOR EACH STATEMENT EXECUTE FUNCTION onemap.bump_gazetteer_version();
CREATE TRIGGER gazetteer_range_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON onemap.road_number_range FOR EACH STATEMENT EXECUTE FUNCTION onemap.bump_gazetteer_version();
CREATE TRIGGER gazetteer_road_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON onemap.road FOR EACH STATEMENT EXECUTE FUNCTION onemap.bump_gazetteer_version();
CREATE TRIGGER gazetteer_admin_area_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON onemap.admin_area FOR EACH STATEMENT EXECUTE FUNCTION onemap.bump_gazetteer_version();
CREATE TRIGGER gazetteer_unit_grid_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON onemap.unit_grid FOR EACH STATEMENT EXECUTE FUNCTION onemap.bump_gazetteer_version();
