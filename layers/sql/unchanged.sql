-- The staged rows identical to their current version: left alone (re-importing a file is a no-op), and
-- no stale rows whatever version they carry (staging_checks.sql). Runs before the checks against the
-- inventory, after an upsert took what rows' files have no column for (carry_forward.sql). Parameters:
-- mode, same_position. A geometry counts as identical when it has the stored one's dimension and its
-- vertices lie within same_position degrees (1e-8, about 1 mm) of it (discrete Hausdorff distance): an
-- export in a projected CRS and its re-import move coordinates by far less than that, and no survey
-- measures to a millimetre. The codes onemap derives from the geometry (grid cell, community) are not
-- compared: an anchor on a cell's edge can fall on either side after such a shift, and components
-- located by an earlier rule (a line by the vertex nearest its centroid) keep their codes.
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
