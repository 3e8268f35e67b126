-- Publish the staged rows of one import (runs inside the import's transaction), up to the
-- INSERT (insert.sql). Statements are separated by blank lines; parameters: scheme, mode, and stamp,
-- the time the closed versions end and the new ones start (layers.component_writes).
-- Cells, communities and identifiers were assigned in Python (layers.survey_locate).

-- 1. Rows identical to their current version are left alone (re-importing a file is a no-op).
--    A geometry counts as identical when it has the stored one's dimension and its vertices lie
--    within same_position degrees (1e-8, about 1 mm) of it (discrete Hausdorff distance): an export
--    in a projected CRS and its re-import move coordinates by far less than that, and no survey
--    measures to a millimetre. The codes onemap derives from the geometry (grid cell, community) are not
--    compared: an anchor on a cell's edge can fall on either side after such a shift, and components
--    located by an earlier rule (a line by the vertex nearest its centroid) keep their codes.
CREATE TEMP TABLE survey_unchanged ON COMMIT DROP AS
SELECT s.row_idx, s.id
FROM pg_temp.survey_staging s
JOIN onemap.component c ON c.id = s.id AND c.valid_to IS NULL
WHERE %(mode)s <> 'append'
  AND c.class_code = s.class_code AND c.name = s.name AND c.state = s.state
  AND (c.competent_dept_code, c.competent_dept_name, c.owner_dept_code, c.owner_dept_name,
       c.maintainer_dept_code, c.maintainer_dept_name, c.initial_date, c.change_date,
       c.data_source, c.note)
      IS NOT DISTINCT FROM
      (s.competent_dept_code, s.competent_dept_name, s.owner_dept_code, s.owner_dept_name,
       s.maintainer_dept_code, s.maintainer_dept_name, s.initial_date, s.change_date,
       s.data_source, s.note)
  AND c.attributes = s.attributes
  AND (ST_Equals(c.geom, s.geom)
       OR (ST_Dimension(c.geom) = ST_Dimension(s.geom) AND ST_HausdorffDistance(c.geom, s.geom) < %(same_position)s));

-- 2. Close what this import replaces: re-delivered identifiers (upsert), or every current
--    component of the delivered classes that is not delivered unchanged (replace), except those
--    whose rows were rejected (kept: --skip-invalid left them out, the survey did not). Returns per
--    class how many components a replace removes from the inventory (closed and not delivered again),
--    how many of those lie outside the streets the delivery covers, and how many closed versions a
--    delivered row replaces.
WITH closed AS (
    UPDATE onemap.component c SET valid_to = %(stamp)s, closed_by = %(actor)s, close_source = %(source)s
    WHERE c.valid_to IS NULL AND c.scheme = %(scheme)s AND (
        (%(mode)s = 'upsert' AND c.id IN (
            SELECT s.id FROM pg_temp.survey_staging s
            WHERE s.id IS NOT NULL AND s.row_idx NOT IN (SELECT row_idx FROM pg_temp.survey_unchanged)))
        OR (%(mode)s = 'replace'
            AND c.class_code IN (SELECT class_code FROM pg_temp.survey_staging)
            AND c.id NOT IN (SELECT id FROM pg_temp.survey_unchanged)
            AND c.id <> ALL (%(kept)s::text[]))
    )
    RETURNING c.id, c.class_code, c.street_code
),
delivered AS (SELECT DISTINCT id FROM pg_temp.survey_staging WHERE id IS NOT NULL),
streets AS (SELECT DISTINCT left(community_code, 9) AS code FROM pg_temp.survey_staging)
SELECT closed.class_code,
       count(*) FILTER (WHERE d.id IS NULL) AS removed,
       count(*) FILTER (WHERE d.id IS NULL AND st.code IS NULL) AS removed_outside,
       count(*) FILTER (WHERE d.id IS NOT NULL) AS replaced
FROM closed
LEFT JOIN delivered d ON d.id = closed.id
LEFT JOIN streets st ON st.code = closed.street_code
GROUP BY closed.class_code
