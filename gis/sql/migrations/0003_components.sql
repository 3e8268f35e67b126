-- Component inventories (部件, GB/T 30428.2 / GB/T 47678.5-2026 table 2), versioned.
--
-- One row per version: an edit closes the current row (valid_to) and inserts the next, a
-- delete only closes it, so the inventory on any past date is
--   WHERE valid_from <= t AND (valid_to IS NULL OR valid_to > t).
-- Every version records who made it and through which import batch or API call.

-- Import batches: one per `onemap import components` run (dry runs included).
CREATE TABLE onemap.import_batch (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind         text NOT NULL CHECK (kind IN ('components')),
    sources      text[] NOT NULL,
    actor        text NOT NULL,
    mode         text NOT NULL CHECK (mode IN ('append', 'upsert', 'replace')),
    scheme       text NOT NULL CHECK (scheme IN ('legacy', 'gb47678')),
    dry_run      boolean NOT NULL,
    started_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    finished_at  timestamptz,
    status       text NOT NULL DEFAULT 'running'
                 CHECK (status IN ('running', 'committed', 'rejected', 'dry-run')),
    rows_read    integer,
    rows_loaded  integer,
    rows_rejected integer,
    report       jsonb
);

CREATE TABLE onemap.component (
    version_id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id                   text NOT NULL CHECK (id ~ '^[0-9]{16,17}$'),
    scheme               text NOT NULL CHECK (scheme IN ('legacy', 'gb47678')),
    class_code           text NOT NULL,
    major_code           text GENERATED ALWAYS AS (left(class_code, 2)) STORED,
    name                 text NOT NULL,
    competent_dept_code  text,
    competent_dept_name  text,
    owner_dept_code      text,
    owner_dept_name      text,
    maintainer_dept_code text,
    maintainer_dept_name text,
    grid_code            text CHECK (grid_code ~ '^[0-9]{15}$'),
    street_code          text CHECK (street_code ~ '^[0-9]{9}$'),
    community_code       text CHECK (community_code ~ '^[0-9]{12}$'),
    state                text NOT NULL DEFAULT '完好'
                         CHECK (state IN ('完好', '破损', '丢失', '废弃', '移除', '占用', '其他')),
    initial_date         date,
    change_date          date,
    data_source          text,
    note                 text CHECK (length(note) <= 1000),
    attributes           jsonb NOT NULL DEFAULT '{}'::jsonb,
    geometry_type        text NOT NULL CHECK (geometry_type IN ('point', 'line', 'polygon')),
    geom                 geometry(Geometry, 4490) NOT NULL,
    geom_3857            geometry(Geometry, 3857) GENERATED ALWAYS AS (ST_Transform(geom, 3857)) STORED,
    valid_from           timestamptz NOT NULL DEFAULT now(),
    valid_to             timestamptz,
    changed_by           text NOT NULL,
    change_source        text NOT NULL,
    batch_id             bigint REFERENCES onemap.import_batch (id),
    CHECK (class_code = CASE scheme WHEN 'legacy' THEN substr(id, 7, 4) ELSE substr(id, 7, 5) END),
    CHECK (length(id) = CASE scheme WHEN 'legacy' THEN 16 ELSE 17 END),
    CHECK (CASE geometry_type
               WHEN 'point' THEN GeometryType(geom) = 'POINT'
               WHEN 'line' THEN GeometryType(geom) IN ('LINESTRING', 'MULTILINESTRING')
               ELSE GeometryType(geom) IN ('POLYGON', 'MULTIPOLYGON') END),
    CHECK (valid_to IS NULL OR valid_to >= valid_from)
);
-- At most one current version per identifier.
CREATE UNIQUE INDEX component_current_id_idx ON onemap.component (id) WHERE valid_to IS NULL;
CREATE INDEX component_history_idx ON onemap.component (id, valid_from);
CREATE INDEX component_geom_idx ON onemap.component USING gist (geom) WHERE valid_to IS NULL;
CREATE INDEX component_geom_3857_idx ON onemap.component USING gist (geom_3857) WHERE valid_to IS NULL;
CREATE INDEX component_class_idx ON onemap.component (scheme, class_code) WHERE valid_to IS NULL;
CREATE INDEX component_grid_idx ON onemap.component (grid_code text_pattern_ops) WHERE valid_to IS NULL;
CREATE INDEX component_batch_idx ON onemap.component (batch_id);

CREATE VIEW onemap.v_component AS
    SELECT id, scheme, class_code, major_code, name, competent_dept_code, competent_dept_name,
           owner_dept_code, owner_dept_name, maintainer_dept_code, maintainer_dept_name,
           grid_code, street_code, community_code, state, initial_date, change_date,
           data_source, note, attributes, geometry_type, geom, geom_3857, valid_from
    FROM onemap.component WHERE valid_to IS NULL;

-- Registry: component layers select their rows by scheme and class-code prefix, given as
-- values (bound as query parameters), never as SQL text.
ALTER TABLE onemap.layer ADD COLUMN scheme text CHECK (scheme IN ('legacy', 'gb47678'));
ALTER TABLE onemap.layer ADD COLUMN class_prefix text CHECK (class_prefix ~ '^[0-9]{2,5}$');
ALTER TABLE onemap.layer ADD CHECK ((class_prefix IS NULL) OR (scheme IS NOT NULL));
-- The all-components layer mixes points, lines and polygons.
ALTER TABLE onemap.layer DROP CONSTRAINT layer_geometry_type_check;
ALTER TABLE onemap.layer ADD CONSTRAINT layer_geometry_type_check
    CHECK (geometry_type IN ('point', 'line', 'polygon', 'mixed'));

INSERT INTO onemap.layer (name, title, description, kind, relation, id_column, properties,
                          geometry_type, min_zoom, max_zoom, sort_order) VALUES
    ('components', '部件', 'All managed components (current versions)', 'components',
     'onemap.v_component', 'id', '{id,name,class_code,major_code,state,grid_code}', 'mixed',
     14, 22, 60);

-- Raise a serial counter to at least `at_least` (identifiers delivered with a survey carry
-- their own serials; allocation must continue above them).
CREATE FUNCTION onemap.reserve_component_serials_upto(
    p_county text, p_scheme text, p_class text, at_least integer
) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO onemap.component_serial AS s (county_code, scheme, class_code, last_serial)
    VALUES (p_county, p_scheme, p_class, at_least)
    ON CONFLICT (county_code, scheme, class_code)
        DO UPDATE SET last_serial = greatest(s.last_serial, excluded.last_serial);
$$;
