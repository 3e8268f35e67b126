-- The aggregate pyramid (migration 0008) grouped every changed row at each of its five levels:
-- a 200,000-row import sorted a million rows on disk inside the INSERT. A cell's column and row at
-- a coarser level are its finest-level ones shifted right (cells halve per level, and the scaled
-- coordinate is multiplied by a power of two, an exact operation), so the changed rows are grouped
-- once at the finest level (z14 tiles' cells, level 20) and the coarser levels are built from
-- those groups: the same counts, a few times fewer rows to sort.
CREATE OR REPLACE FUNCTION onemap.tile_component_cell_apply() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    source text := onemap.current_version_deltas(TG_OP);
BEGIN
    EXECUTE format($sql$
        WITH finest AS MATERIALIZED (
            SELECT floor((d.x + 20037508.342789244) / 40075016.68557849 * 1048576)::int AS gx,
                   floor((20037508.342789244 - d.y) / 40075016.68557849 * 1048576)::int AS gy,
                   d.major_code, sum(d.sign) AS n, sum(d.sign * d.x) AS sum_x, sum(d.sign * d.y) AS sum_y
            FROM (SELECT r.sign, left(r.class_code, 2) AS major_code,
                         (ST_XMin(r.geom_3857) + ST_XMax(r.geom_3857)) / 2 AS x,
                         (ST_YMin(r.geom_3857) + ST_YMax(r.geom_3857)) / 2 AS y
                  FROM (%s) AS r) AS d
            GROUP BY 1, 2, 3
        )
        INSERT INTO onemap.tile_component_cell AS c (level, gx, gy, major_code, n, sum_x, sum_y)
        SELECT (20 - s.shift)::smallint, f.gx >> s.shift, f.gy >> s.shift, f.major_code,
               sum(f.n), sum(f.sum_x), sum(f.sum_y)
        FROM finest AS f, generate_series(0, 4) AS s(shift)
        GROUP BY 1, 2, 3, 4
        ORDER BY 1, 2, 3, 4  -- one lock order for concurrent writers
        ON CONFLICT (level, gx, gy, major_code) DO UPDATE
            SET n = c.n + excluded.n, sum_x = c.sum_x + excluded.sum_x, sum_y = c.sum_y + excluded.sum_y
        $sql$, source);
    DELETE FROM onemap.tile_component_cell WHERE n <= 0;
    RETURN NULL;
END;
$$;
