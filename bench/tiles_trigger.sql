-- Cost of migration 0008's triggers on a bulk insert into onemap.component (run in a scratch
-- clone of the demo database: psql $URL -f bench/tiles_trigger.sql). Inserts N current
-- components (copies of the demo ones with fresh serials) with and without the tile triggers,
-- each inside a rolled-back transaction. `-v n=75` inserts about a million (default 15: ~200,000).
-- The run with triggers prints each trigger statement's duration and plan (auto_explain, which
-- needs a superuser's connection): which one costs what, and whether it groups by sorting or hashing.
\if :{?n}
\else
\set n 15
\endif
\timing on
BEGIN;
ALTER TABLE onemap.component DISABLE TRIGGER tile_change_ins;
ALTER TABLE onemap.component DISABLE TRIGGER tile_component_count_ins;
ALTER TABLE onemap.component DISABLE TRIGGER tile_component_cell_ins;
INSERT INTO onemap.component (id, scheme, class_code, name, grid_code, street_code, community_code, state,
                              attributes, geometry_type, geom, changed_by, change_source)
SELECT left(c.id, 11) || lpad((100000 + row_number() OVER (PARTITION BY left(c.id, 11)))::text, 6, '0'),
       c.scheme, c.class_code, c.name, c.grid_code, c.street_code, c.community_code, c.state, c.attributes,
       c.geometry_type, ST_Translate(c.geom, s * 0.0001, 0), 'bench', 'bench'
FROM onemap.component c, generate_series(1, :n) AS s WHERE c.valid_to IS NULL;
ROLLBACK;
BEGIN;
LOAD 'auto_explain';
SET LOCAL auto_explain.log_min_duration = 0;
SET LOCAL auto_explain.log_nested_statements = on;
SET LOCAL auto_explain.log_level = notice;
INSERT INTO onemap.component (id, scheme, class_code, name, grid_code, street_code, community_code, state,
                              attributes, geometry_type, geom, changed_by, change_source)
SELECT left(c.id, 11) || lpad((100000 + row_number() OVER (PARTITION BY left(c.id, 11)))::text, 6, '0'),
       c.scheme, c.class_code, c.name, c.grid_code, c.street_code, c.community_code, c.state, c.attributes,
       c.geometry_type, ST_Translate(c.geom, s * 0.0001, 0), 'bench', 'bench'
FROM onemap.component c, generate_series(1, :n) AS s WHERE c.valid_to IS NULL;
SELECT count(*) AS change_log_rows FROM onemap.tile_change WHERE changed_at = now();
ROLLBACK;
