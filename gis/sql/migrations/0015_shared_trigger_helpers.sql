-- The trigger helpers the tables share, written so that both histories of migrations 0006, 0008
-- and 0010 end in the same schema: onemap shipped them once with one function per table and the
-- aggregate triggers' deltas written out (the files as they are), and once with the helpers below
-- already in them (gis/migrations.py: ALSO_SHIPPED).

-- One trigger function bumps a layer's data_version (the key of its tile cache entries) for every
-- table behind a layer; its argument is the layer's name.
CREATE OR REPLACE FUNCTION onemap.bump_layer_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE onemap.layer SET data_version = data_version + 1, updated_at = now() WHERE name = TG_ARGV[0];
    RETURN NULL;
END
$$;

DROP TRIGGER city_case_version ON onemap.city_case;
CREATE TRIGGER city_case_version AFTER INSERT OR UPDATE OR DELETE ON onemap.city_case
    FOR EACH STATEMENT EXECUTE FUNCTION onemap.bump_layer_version('cases');
DROP TRIGGER resp_grid_version ON onemap.resp_grid;
CREATE TRIGGER resp_grid_version AFTER INSERT OR UPDATE OR DELETE ON onemap.resp_grid
    FOR EACH STATEMENT EXECUTE FUNCTION onemap.bump_layer_version('resp_grids');
DROP TRIGGER hotspot_cell_version ON onemap.hotspot_cell;
CREATE TRIGGER hotspot_cell_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON onemap.hotspot_cell
    FOR EACH STATEMENT EXECUTE FUNCTION onemap.bump_layer_version('hotspots');

DROP FUNCTION IF EXISTS onemap.bump_cases_version(), onemap.bump_resp_grid_version(),
    onemap.bump_hotspot_version();

-- Both aggregate triggers read the rows a statement added to (+1) and removed from (-1) the current
-- versions through one helper: the text of a query over the statement's transition tables
-- (new_rows, old_rows), which each trigger runs through EXECUTE in its own context (a transition
-- table is visible only to the trigger function's own statements, not to a function it calls).
-- Migration 0012's cell trigger already calls it.
CREATE OR REPLACE FUNCTION onemap.current_version_deltas(op text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE op
        WHEN 'INSERT' THEN 'SELECT 1 AS sign, * FROM new_rows WHERE valid_to IS NULL'
        WHEN 'UPDATE' THEN 'SELECT -1 AS sign, * FROM old_rows WHERE valid_to IS NULL '
                           'UNION ALL SELECT 1, * FROM new_rows WHERE valid_to IS NULL'
        ELSE 'SELECT -1 AS sign, * FROM old_rows WHERE valid_to IS NULL' END
$$;

CREATE OR REPLACE FUNCTION onemap.tile_component_count_apply() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    -- current rows leaving (-1) and entering (+1) the inventory
    source text := onemap.current_version_deltas(TG_OP);
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
