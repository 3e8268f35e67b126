-- Base schema: administrative areas, the unit grid, roads and the layer registry.
-- Canonical geometries are EPSG:4490 (CGCS2000); each spatial table carries a stored Web
-- Mercator copy (geom_3857) so that tile requests never reproject (DESIGN.md, data model).

CREATE EXTENSION IF NOT EXISTS postgis;
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- County (GB/T 2260, 6 digits), street/township (9) and community/village (12) areas.
CREATE TABLE onemap.admin_area (
    code        text PRIMARY KEY CHECK (code ~ '^[0-9]{6}([0-9]{3}){0,2}$'),
    level       text NOT NULL CHECK (level IN ('county', 'street', 'community')),
    name        text NOT NULL,
    parent_code text REFERENCES onemap.admin_area (code),
    vintage     smallint NOT NULL,
    source      text NOT NULL,
    geom        geometry(MultiPolygon, 4490) NOT NULL CHECK (ST_IsValid(geom)),
    geom_3857   geometry(MultiPolygon, 3857) GENERATED ALWAYS AS (ST_Transform(geom, 3857)) STORED,
    CHECK ((level = 'county') = (length(code) = 6)),
    CHECK ((level = 'street') = (length(code) = 9)),
    CHECK (parent_code IS NULL OR left(code, length(parent_code)) = parent_code)
);
CREATE INDEX admin_area_geom_idx ON onemap.admin_area USING gist (geom);
CREATE INDEX admin_area_geom_3857_idx ON onemap.admin_area USING gist (geom_3857);
CREATE INDEX admin_area_parent_idx ON onemap.admin_area (parent_code);

-- Unit grid cells (单元网格, GB/T 30428.1): 15-digit code = community 12 + serial 3.
-- Versioned: re-division closes a cell (valid_to) instead of deleting it, so codes stay traceable.
CREATE TABLE onemap.unit_grid (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code           text NOT NULL CHECK (code ~ '^[0-9]{15}$'),
    community_code text NOT NULL REFERENCES onemap.admin_area (code),
    name           text,
    area_m2        double precision NOT NULL,
    valid_from     timestamptz NOT NULL DEFAULT now(),
    valid_to       timestamptz,
    geom           geometry(MultiPolygon, 4490) NOT NULL CHECK (ST_IsValid(geom)),
    geom_3857      geometry(MultiPolygon, 3857) GENERATED ALWAYS AS (ST_Transform(geom, 3857)) STORED,
    CHECK (left(code, 12) = community_code),
    CHECK (valid_to IS NULL OR valid_to > valid_from)
);
CREATE UNIQUE INDEX unit_grid_current_code_idx ON onemap.unit_grid (code) WHERE valid_to IS NULL;
CREATE INDEX unit_grid_geom_idx ON onemap.unit_grid USING gist (geom) WHERE valid_to IS NULL;
CREATE INDEX unit_grid_geom_3857_idx ON onemap.unit_grid USING gist (geom_3857) WHERE valid_to IS NULL;

-- Road centre lines (reference data for grid division and geocoding).
CREATE TABLE onemap.road (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source    text NOT NULL,
    source_id text NOT NULL,
    name      text,
    kind      text NOT NULL,
    geom      geometry(LineString, 4490) NOT NULL,
    geom_3857 geometry(LineString, 3857) GENERATED ALWAYS AS (ST_Transform(geom, 3857)) STORED,
    UNIQUE (source, source_id)
);
CREATE INDEX road_geom_idx ON onemap.road USING gist (geom);
CREATE INDEX road_geom_3857_idx ON onemap.road USING gist (geom_3857);
CREATE INDEX road_name_trgm_idx ON onemap.road USING gin (name gin_trgm_ops);

-- One view per published layer, so that the registry names a relation and no predicate.
CREATE VIEW onemap.v_county AS
    SELECT code, name, vintage, geom, geom_3857 FROM onemap.admin_area WHERE level = 'county';
CREATE VIEW onemap.v_street AS
    SELECT code, name, parent_code AS county_code, vintage, geom, geom_3857
    FROM onemap.admin_area WHERE level = 'street';
CREATE VIEW onemap.v_community AS
    SELECT code, name, parent_code AS street_code, vintage, geom, geom_3857
    FROM onemap.admin_area WHERE level = 'community';
CREATE VIEW onemap.v_unit_grid AS
    SELECT code, community_code, name, area_m2, valid_from, geom, geom_3857
    FROM onemap.unit_grid WHERE valid_to IS NULL;

-- The layer registry: every logical layer the OGC API and the tiles publish.
-- `properties` are the columns a map needs; data_version increases with every write so
-- that caches can key on it.
CREATE TABLE onemap.layer (
    name          text PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9_]*$'),
    title         text NOT NULL,
    description   text NOT NULL DEFAULT '',
    kind          text NOT NULL CHECK (kind IN ('admin', 'grid', 'road', 'components', 'cameras',
                                                'vehicles', 'cases', 'analysis')),
    relation      regclass NOT NULL,
    id_column     text NOT NULL,
    properties    text[] NOT NULL,
    geometry_type text NOT NULL CHECK (geometry_type IN ('point', 'line', 'polygon')),
    is_private    boolean NOT NULL DEFAULT false,
    min_zoom      smallint NOT NULL DEFAULT 0 CHECK (min_zoom BETWEEN 0 AND 24),
    max_zoom      smallint NOT NULL DEFAULT 22 CHECK (max_zoom BETWEEN 0 AND 24),
    sort_order    smallint NOT NULL DEFAULT 100,
    data_version  bigint NOT NULL DEFAULT 1,
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CHECK (min_zoom <= max_zoom)
);

INSERT INTO onemap.layer (name, title, description, kind, relation, id_column, properties,
                          geometry_type, min_zoom, max_zoom, sort_order) VALUES
    ('counties', '区县', 'Counties and districts (GB/T 2260, 6 digits)', 'admin',
     'onemap.v_county', 'code', '{code,name}', 'polygon', 0, 22, 10),
    ('streets', '街道', 'Streets and townships (9-digit codes)', 'admin',
     'onemap.v_street', 'code', '{code,name,county_code}', 'polygon', 8, 22, 20),
    ('communities', '社区', 'Communities and villages (12-digit codes)', 'admin',
     'onemap.v_community', 'code', '{code,name,street_code}', 'polygon', 10, 22, 30),
    ('unit_grid', '单元网格', 'Unit grid cells (15-digit codes, GB/T 30428.1)', 'grid',
     'onemap.v_unit_grid', 'code', '{code,community_code,area_m2}', 'polygon', 13, 22, 40),
    ('roads', '道路', 'Road centre lines (OpenStreetMap)', 'road',
     'onemap.road', 'id', '{name,kind}', 'line', 12, 22, 50);
