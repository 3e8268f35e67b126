-- Tile cache invalidation (issue 6): a change log of the Web Mercator bounds that writes touched.
--
-- Statement-level AFTER triggers with transition tables record, per statement, the bounds of the
-- changed rows' old and new geometries (geom_3857), keyed by layer kind. Tile servers poll the log
-- and drop exactly the cached tiles that intersect a recorded box, at every zoom. A statement
-- touching more than 256 rows is coalesced into one box per ~10 km cell (a z12 tile), so a
-- 1M-row import adds one grouped pass over its transition table and a handful of log rows.

CREATE TABLE onemap.tile_change (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind       text NOT NULL,
    min_x      double precision NOT NULL,
    min_y      double precision NOT NULL,
    max_x      double precision NOT NULL,
    max_y      double precision NOT NULL,
    features   integer NOT NULL,
    changed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tile_change_changed_at_idx ON onemap.tile_change (changed_at);

-- Record the bounds of the statement's changed geometries (old and new rows): one box per
-- feature for small statements, else one box per 9,784 m cell (a z12 WebMercatorQuad tile).
-- The transition tables are visible to the dynamic statement; each operation names only its own.
CREATE FUNCTION onemap.tile_change_log() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    source text := CASE TG_OP
        WHEN 'INSERT' THEN 'SELECT geom_3857 FROM new_rows'
        WHEN 'UPDATE' THEN 'SELECT geom_3857 FROM old_rows UNION ALL SELECT geom_3857 FROM new_rows'
        ELSE 'SELECT geom_3857 FROM old_rows' END;
    changed bigint;
BEGIN
    EXECUTE format('SELECT count(*) FROM (%s) AS s', source) INTO changed;
    IF changed = 0 THEN
        RETURN NULL;
    END IF;
    EXECUTE format($sql$
        INSERT INTO onemap.tile_change (kind, min_x, min_y, max_x, max_y, features)
        SELECT $1, min(ST_XMin(b)), min(ST_YMin(b)), max(ST_XMax(b)), max(ST_YMax(b)), count(*)::int
        FROM (SELECT g::box2d AS b FROM (%s) AS s(g) WHERE g IS NOT NULL) AS boxes
        GROUP BY CASE WHEN $2 THEN b::text END,
                 CASE WHEN NOT $2 THEN floor(ST_XMin(b) / 9783.939620502539) END,
                 CASE WHEN NOT $2 THEN floor(ST_YMin(b) / 9783.939620502539) END
        $sql$, source) USING TG_ARGV[0], changed <= 256;
    RETURN NULL;
END;
$$;

-- One trigger per operation (a trigger with transition tables can name only one event).
DO $$
DECLARE
    target record;
BEGIN
    FOR target IN SELECT * FROM (VALUES ('component', 'components'), ('unit_grid', 'grid'),
                                        ('admin_area', 'admin'), ('road', 'road')) AS t(tbl, kind)
    LOOP
        EXECUTE format('CREATE TRIGGER tile_change_ins AFTER INSERT ON onemap.%I '
                       'REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT '
                       'EXECUTE FUNCTION onemap.tile_change_log(%L)', target.tbl, target.kind);
        EXECUTE format('CREATE TRIGGER tile_change_upd AFTER UPDATE ON onemap.%I '
                       'REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT '
                       'EXECUTE FUNCTION onemap.tile_change_log(%L)', target.tbl, target.kind);
        EXECUTE format('CREATE TRIGGER tile_change_del AFTER DELETE ON onemap.%I '
                       'REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT '
                       'EXECUTE FUNCTION onemap.tile_change_log(%L)', target.tbl, target.kind);
    END LOOP;
END;
$$;

-- Low-zoom component aggregates: per unit grid cell (components outside every cell: per 1 km
-- square) and class, the count and the coordinate sums of the current components' box centres
-- (EPSG:3857). Maintained from the same transition tables, so a z12 tile over a million
-- components reads a few thousand rows instead of scanning them (docs/tiles.md).
CREATE TABLE onemap.tile_component_count (
    cell       text NOT NULL,
    scheme     text NOT NULL,
    class_code text NOT NULL,
    major_code text GENERATED ALWAYS AS (left(class_code, 2)) STORED,
    n          bigint NOT NULL,
    sum_x      double precision NOT NULL,
    sum_y      double precision NOT NULL,
    geom_3857  geometry(Point, 3857) GENERATED ALWAYS AS (
                   ST_SetSRID(ST_MakePoint(sum_x / nullif(n, 0), sum_y / nullif(n, 0)), 3857)) STORED,
    PRIMARY KEY (cell, scheme, class_code)
);
CREATE INDEX tile_component_count_geom_idx ON onemap.tile_component_count USING gist (geom_3857);
-- emptied cells, found without a scan and deleted at the end of each statement
CREATE INDEX tile_component_count_empty_idx ON onemap.tile_component_count (cell) WHERE n <= 0;

CREATE FUNCTION onemap.tile_component_count_apply() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    -- current rows leaving (-1) and entering (+1) the inventory
    source text := CASE TG_OP
        WHEN 'INSERT' THEN 'SELECT 1 AS sign, * FROM new_rows WHERE valid_to IS NULL'
        WHEN 'UPDATE' THEN 'SELECT -1 AS sign, * FROM old_rows WHERE valid_to IS NULL '
                           'UNION ALL SELECT 1, * FROM new_rows WHERE valid_to IS NULL'
        ELSE 'SELECT -1 AS sign, * FROM old_rows WHERE valid_to IS NULL' END;
BEGIN
    EXECUTE format($sql$
        INSERT INTO onemap.tile_component_count AS c (cell, scheme, class_code, n, sum_x, sum_y)
        SELECT cell, scheme, class_code, sum(sign), sum(sign * x), sum(sign * y)
        FROM (SELECT r.sign, r.scheme, r.class_code,
                     (ST_XMin(r.geom_3857) + ST_XMax(r.geom_3857)) / 2 AS x,
                     (ST_YMin(r.geom_3857) + ST_YMax(r.geom_3857)) / 2 AS y,
                     coalesce(r.grid_code, floor(ST_XMin(r.geom_3857) / 1000) || ',' ||
                                           floor(ST_YMin(r.geom_3857) / 1000)) AS cell
              FROM (%s) AS r) AS d
        GROUP BY cell, scheme, class_code
        ORDER BY cell, scheme, class_code  -- one lock order for concurrent writers: no deadlock
        ON CONFLICT (cell, scheme, class_code) DO UPDATE
            SET n = c.n + excluded.n, sum_x = c.sum_x + excluded.sum_x, sum_y = c.sum_y + excluded.sum_y
        $sql$, source);
    DELETE FROM onemap.tile_component_count WHERE n <= 0;
    RETURN NULL;
END;
$$;

CREATE TRIGGER tile_component_count_ins AFTER INSERT ON onemap.component
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION onemap.tile_component_count_apply();
CREATE TRIGGER tile_component_count_upd AFTER UPDATE ON onemap.component
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION onemap.tile_component_count_apply();
CREATE TRIGGER tile_component_count_del AFTER DELETE ON onemap.component
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION onemap.tile_component_count_apply();

-- Components stored before this migration.
INSERT INTO onemap.tile_component_count (cell, scheme, class_code, n, sum_x, sum_y)
SELECT cell, scheme, class_code, count(*), sum(x), sum(y)
FROM (SELECT scheme, class_code,
             (ST_XMin(geom_3857) + ST_XMax(geom_3857)) / 2 AS x, (ST_YMin(geom_3857) + ST_YMax(geom_3857)) / 2 AS y,
             coalesce(grid_code, floor(ST_XMin(geom_3857) / 1000) || ',' || floor(ST_YMin(geom_3857) / 1000)) AS cell
      FROM onemap.component WHERE valid_to IS NULL) AS d
GROUP BY cell, scheme, class_code;

-- The component aggregates of the unfiltered components layer at z10-z14, pre-aggregated per
-- zoom: a pyramid of the 64 x 64 aggregation cells of every WebMercatorQuad tile (cell level =
-- zoom + 6, global cell column gx and row gy from the north-west corner of the world), per major
-- class. A z12 tile reads the rows of its own 4,096 cells through the primary key (a few thousand
-- rows, already grouped) instead of the summary rows of its ~100 km^2. The levels must match
-- tiles.mvt.PYRAMID_ZOOMS.
CREATE TABLE onemap.tile_component_cell (
    level      smallint NOT NULL,
    gx         integer NOT NULL,
    gy         integer NOT NULL,
    major_code text NOT NULL,
    n          bigint NOT NULL,
    sum_x      double precision NOT NULL,
    sum_y      double precision NOT NULL,
    PRIMARY KEY (level, gx, gy, major_code)
);
-- The cells of one tile are one contiguous range, in the order they are grouped by, and the
-- index covers the columns a tile reads (an index-only scan of ~30,000 entries for a dense z12).
CREATE INDEX tile_component_cell_tile_idx ON onemap.tile_component_cell (level, (gx / 64), (gy / 64), gx, gy)
    INCLUDE (major_code, n, sum_x, sum_y);
CREATE INDEX tile_component_cell_empty_idx ON onemap.tile_component_cell (level) WHERE n <= 0;

-- The cells of the current components' box centres (EPSG:3857) at every pyramid level.
CREATE FUNCTION onemap.tile_component_cells(x double precision, y double precision)
RETURNS TABLE (level smallint, gx integer, gy integer)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT l::smallint, floor((x + 20037508.342789244) / 40075016.68557849 * (1 << l))::int,
           floor((20037508.342789244 - y) / 40075016.68557849 * (1 << l))::int
    FROM generate_series(16, 20) AS l
$$;

CREATE FUNCTION onemap.tile_component_cell_apply() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    source text := CASE TG_OP
        WHEN 'INSERT' THEN 'SELECT 1 AS sign, * FROM new_rows WHERE valid_to IS NULL'
        WHEN 'UPDATE' THEN 'SELECT -1 AS sign, * FROM old_rows WHERE valid_to IS NULL '
                           'UNION ALL SELECT 1, * FROM new_rows WHERE valid_to IS NULL'
        ELSE 'SELECT -1 AS sign, * FROM old_rows WHERE valid_to IS NULL' END;
BEGIN
    EXECUTE format($sql$
        INSERT INTO onemap.tile_component_cell AS c (level, gx, gy, major_code, n, sum_x, sum_y)
        SELECT k.level, k.gx, k.gy, d.major_code, sum(d.sign), sum(d.sign * d.x), sum(d.sign * d.y)
        FROM (SELECT r.sign, left(r.class_code, 2) AS major_code,
                     (ST_XMin(r.geom_3857) + ST_XMax(r.geom_3857)) / 2 AS x,
                     (ST_YMin(r.geom_3857) + ST_YMax(r.geom_3857)) / 2 AS y
              FROM (%s) AS r) AS d, onemap.tile_component_cells(d.x, d.y) AS k
        GROUP BY 1, 2, 3, 4
        ORDER BY 1, 2, 3, 4  -- one lock order for concurrent writers
        ON CONFLICT (level, gx, gy, major_code) DO UPDATE
            SET n = c.n + excluded.n, sum_x = c.sum_x + excluded.sum_x, sum_y = c.sum_y + excluded.sum_y
        $sql$, source);
    DELETE FROM onemap.tile_component_cell WHERE n <= 0;
    RETURN NULL;
END;
$$;

CREATE TRIGGER tile_component_cell_ins AFTER INSERT ON onemap.component
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION onemap.tile_component_cell_apply();
CREATE TRIGGER tile_component_cell_upd AFTER UPDATE ON onemap.component
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION onemap.tile_component_cell_apply();
CREATE TRIGGER tile_component_cell_del AFTER DELETE ON onemap.component
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION onemap.tile_component_cell_apply();

INSERT INTO onemap.tile_component_cell (level, gx, gy, major_code, n, sum_x, sum_y)
SELECT k.level, k.gx, k.gy, d.major_code, count(*), sum(d.x), sum(d.y)
FROM (SELECT left(class_code, 2) AS major_code,
             (ST_XMin(geom_3857) + ST_XMax(geom_3857)) / 2 AS x, (ST_YMin(geom_3857) + ST_YMax(geom_3857)) / 2 AS y
      FROM onemap.component WHERE valid_to IS NULL) AS d, onemap.tile_component_cells(d.x, d.y) AS k
GROUP BY 1, 2, 3, 4;
