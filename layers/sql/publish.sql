-- Publish the staged rows of one import (runs inside the import's transaction).
-- Statements are separated by blank lines; parameters: scheme, mode, batch, actor, source.

-- 1. Locate: unit grid cell, else community, by a point on the geometry; county from either.
CREATE TEMP TABLE survey_located ON COMMIT DROP AS
SELECT s.*, g.code AS grid_code,
       coalesce(left(g.code, 12), (
           SELECT a.code FROM onemap.admin_area a
           WHERE a.level = 'community' AND ST_Intersects(a.geom, s.anchor) ORDER BY a.code LIMIT 1
       )) AS community_code,
       coalesce(left(g.code, 6), (
           SELECT a.code FROM onemap.admin_area a
           WHERE a.level = 'county' AND ST_Intersects(a.geom, s.anchor) ORDER BY a.code LIMIT 1
       )) AS county_code
FROM (
    SELECT st.*, CASE WHEN st.geometry_type = 'point' THEN st.geom
                      ELSE ST_PointOnSurface(st.geom) END AS anchor
    FROM pg_temp.survey_staging st
) s
LEFT JOIN LATERAL (
    SELECT u.code FROM onemap.unit_grid u
    WHERE u.valid_to IS NULL AND ST_Intersects(u.geom, s.anchor) ORDER BY u.code LIMIT 1
) g ON true;

-- 2. Serial counters continue above the serials of delivered and stored identifiers.
SELECT onemap.reserve_component_serials_upto(county, %(scheme)s, class_code, max_serial)
FROM (
    SELECT left(id, 6) AS county, class_code, max(right(id, 6)::int) AS max_serial
    FROM pg_temp.survey_located WHERE id IS NOT NULL GROUP BY 1, 2
    UNION ALL
    SELECT left(c.id, 6), c.class_code, max(right(c.id, 6)::int)
    FROM onemap.component c
    WHERE c.scheme = %(scheme)s
      AND (left(c.id, 6), c.class_code) IN (
          SELECT county_code, class_code FROM pg_temp.survey_located WHERE id IS NULL)
    GROUP BY 1, 2
) AS highest;

-- 3. Identifiers for rows that have none: county + class + allocated serial.
WITH needed AS (
    SELECT county_code, class_code, count(*)::int AS n
    FROM pg_temp.survey_located WHERE id IS NULL GROUP BY 1, 2
), allocated AS MATERIALIZED (
    SELECT county_code, class_code,
           onemap.allocate_component_serials(county_code, %(scheme)s, class_code, n) AS first
    FROM needed
), numbered AS (
    SELECT l.row_idx, l.county_code || l.class_code || lpad(
               (a.first + row_number() OVER (PARTITION BY l.county_code, l.class_code
                                             ORDER BY l.row_idx) - 1)::text, 6, '0') AS new_id
    FROM pg_temp.survey_located l JOIN allocated a USING (county_code, class_code)
    WHERE l.id IS NULL
)
UPDATE pg_temp.survey_located l SET id = n.new_id FROM numbered n WHERE l.row_idx = n.row_idx;

-- 4. Rows identical to their current version are left alone (re-importing a file is a no-op).
CREATE TEMP TABLE survey_unchanged ON COMMIT DROP AS
SELECT l.row_idx, l.id
FROM pg_temp.survey_located l
JOIN onemap.component c ON c.id = l.id AND c.valid_to IS NULL
WHERE %(mode)s <> 'append'
  AND c.class_code = l.class_code AND c.name = l.name AND c.state = l.state
  AND (c.competent_dept_code, c.competent_dept_name, c.owner_dept_code, c.owner_dept_name,
       c.maintainer_dept_code, c.maintainer_dept_name, c.initial_date, c.change_date,
       c.data_source, c.note, c.grid_code)
      IS NOT DISTINCT FROM
      (l.competent_dept_code, l.competent_dept_name, l.owner_dept_code, l.owner_dept_name,
       l.maintainer_dept_code, l.maintainer_dept_name, l.initial_date, l.change_date,
       l.data_source, l.note, l.grid_code)
  AND c.attributes = l.attributes AND ST_Equals(c.geom, l.geom);

DELETE FROM pg_temp.survey_located WHERE row_idx IN (SELECT row_idx FROM pg_temp.survey_unchanged);

-- 5. Close what this import replaces: re-delivered identifiers (upsert), or every current
--    component of the delivered classes that is not delivered unchanged (replace).
UPDATE onemap.component c SET valid_to = now()
WHERE c.valid_to IS NULL AND c.scheme = %(scheme)s AND (
    (%(mode)s = 'upsert' AND c.id IN (SELECT id FROM pg_temp.survey_located))
    OR (%(mode)s = 'replace'
        AND c.class_code IN (SELECT class_code FROM pg_temp.survey_located
                             UNION SELECT class_code FROM pg_temp.survey_staging)
        AND c.id NOT IN (SELECT id FROM pg_temp.survey_unchanged))
);

-- 6. Insert the new versions.
INSERT INTO onemap.component (
    id, scheme, class_code, name, competent_dept_code, competent_dept_name, owner_dept_code,
    owner_dept_name, maintainer_dept_code, maintainer_dept_name, grid_code, street_code,
    community_code, state, initial_date, change_date, data_source, note, attributes,
    geometry_type, geom, changed_by, change_source, batch_id)
SELECT id, %(scheme)s, class_code, name, competent_dept_code, competent_dept_name, owner_dept_code,
       owner_dept_name, maintainer_dept_code, maintainer_dept_name, grid_code,
       left(community_code, 9), community_code, state, initial_date, change_date, data_source,
       note, attributes, geometry_type, geom, %(actor)s, %(source)s, %(batch)s
FROM pg_temp.survey_located
ORDER BY row_idx
