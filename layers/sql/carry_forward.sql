-- Upsert: a staged row takes what its file has no column for from the current version of its
-- identifier, so that a sheet of identifiers and states updates the states and keeps the rest. A
-- column the file has, even empty in a row, is the row's value. Free attributes: the stored ones
-- under names the file has no column for are kept. Parameters: scheme, carried (the fields
-- set here, layers.survey_import.CARRIED_FIELDS).
UPDATE pg_temp.survey_staging s SET
    name = CASE WHEN 'name' = ANY (s.fields_carried) THEN s.name ELSE c.name END,
    competent_dept_code = CASE WHEN 'competent_dept_code' = ANY (s.fields_carried)
                               THEN s.competent_dept_code ELSE c.competent_dept_code END,
    competent_dept_name = CASE WHEN 'competent_dept_name' = ANY (s.fields_carried)
                               THEN s.competent_dept_name ELSE c.competent_dept_name END,
    owner_dept_code = CASE WHEN 'owner_dept_code' = ANY (s.fields_carried)
                           THEN s.owner_dept_code ELSE c.owner_dept_code END,
    owner_dept_name = CASE WHEN 'owner_dept_name' = ANY (s.fields_carried)
                           THEN s.owner_dept_name ELSE c.owner_dept_name END,
    maintainer_dept_code = CASE WHEN 'maintainer_dept_code' = ANY (s.fields_carried)
                                THEN s.maintainer_dept_code ELSE c.maintainer_dept_code END,
    maintainer_dept_name = CASE WHEN 'maintainer_dept_name' = ANY (s.fields_carried)
                                THEN s.maintainer_dept_name ELSE c.maintainer_dept_name END,
    state = CASE WHEN 'state' = ANY (s.fields_carried) THEN s.state ELSE c.state END,
    initial_date = CASE WHEN 'initial_date' = ANY (s.fields_carried) THEN s.initial_date ELSE c.initial_date END,
    change_date = CASE WHEN 'change_date' = ANY (s.fields_carried) THEN s.change_date ELSE c.change_date END,
    data_source = CASE WHEN 'data_source' = ANY (s.fields_carried) THEN s.data_source ELSE c.data_source END,
    note = CASE WHEN 'note' = ANY (s.fields_carried) THEN s.note ELSE c.note END,
    attributes = (c.attributes - s.attributes_carried) || s.attributes
FROM onemap.component c
WHERE c.id = s.id AND c.valid_to IS NULL AND c.scheme = %(scheme)s AND s.fields_carried IS NOT NULL
  -- a full re-delivery has nothing to take: its rows are not rewritten
  AND NOT (s.fields_carried @> %(carried)s::text[] AND c.attributes - s.attributes_carried = '{}'::jsonb)
