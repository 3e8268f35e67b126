-- 2. Insert the new versions. Rows without an identifier get county + class + the serial
--    allocated to their group (groups, firsts: parallel arrays) plus their rank in it.
INSERT INTO onemap.component (
    id, scheme, class_code, name, competent_dept_code, competent_dept_name, owner_dept_code,
    owner_dept_name, maintainer_dept_code, maintainer_dept_name, grid_code, street_code,
    community_code, state, initial_date, change_date, data_source, note, attributes,
    geometry_type, geom, changed_by, change_source, batch_id, valid_from)
SELECT coalesce(s.id, s.county_code || s.class_code || lpad((a.first + s.serial_rank)::text, 6, '0')),
       %(scheme)s, s.class_code, s.name, s.competent_dept_code, s.competent_dept_name,
       s.owner_dept_code, s.owner_dept_name, s.maintainer_dept_code, s.maintainer_dept_name,
       s.grid_code, left(s.community_code, 9), s.community_code, s.state, s.initial_date,
       s.change_date, s.data_source, s.note, s.attributes, s.geometry_type, s.geom,
       %(actor)s, %(source)s, %(batch)s, %(stamp)s
FROM pg_temp.survey_staging s
LEFT JOIN unnest(%(groups)s::text[], %(firsts)s::int[]) AS a (grp, first)
       ON s.serial_rank IS NOT NULL AND a.grp = s.county_code || s.class_code
WHERE NOT EXISTS (SELECT 1 FROM pg_temp.survey_unchanged u WHERE u.row_idx = s.row_idx)
