-- Responsibility grids (责任网格) of the communities under an area prefix (layers/resp_grids.py):
-- each community's current unit grid cells, ordered along a Z-order curve (geohash of the centroid),
-- are cut into k = round(cells / cells_per_grid) runs of consecutive cells (k between 1 and 99),
-- so that each responsibility grid is a compact group of neighbouring cells.
WITH cells AS (
    SELECT u.code, u.community_code, u.geom, u.area_m2,
           row_number() OVER w - 1 AS i,
           count(*) OVER (PARTITION BY u.community_code) AS n
    FROM onemap.v_unit_grid u
    WHERE starts_with(u.community_code, %(prefix)s)
    WINDOW w AS (PARTITION BY u.community_code ORDER BY ST_GeoHash(ST_Centroid(u.geom), 12), u.code)
), grouped AS (
    SELECT code, community_code, geom, area_m2,
           (i * least(99, greatest(1, round(n::numeric / %(size)s)))::bigint / n) + 1 AS g
    FROM cells
), resp AS (
    INSERT INTO onemap.resp_grid (code, community_code, name, inspector, cell_count, area_m2, geom)
    SELECT gr.community_code || 'R' || lpad(gr.g::text, 2, '0'), gr.community_code,
           coalesce(a.name, gr.community_code) || '第' || gr.g || '责任网格',
           '网格员' || right(gr.community_code, 3) || '-' || lpad(gr.g::text, 2, '0'),
           count(*), sum(gr.area_m2), ST_Multi(ST_CollectionExtract(ST_Union(gr.geom), 3))
    FROM grouped gr LEFT JOIN onemap.admin_area a ON a.code = gr.community_code
    GROUP BY gr.community_code, gr.g, a.name
    RETURNING code
)
INSERT INTO onemap.resp_grid_cell (grid_code, resp_grid_code)
SELECT g.code, r.code FROM grouped g JOIN resp r ON r.code = g.community_code || 'R' || lpad(g.g::text, 2, '0')
