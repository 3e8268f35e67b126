-- Upsert: a staged row takes what its file has no column for from the current version of its
-- identifier, so that a sheet of identifiers and states updates the states and keeps the rest. A
-- column the file has, even empty in a row, is the row's value. Free attributes: the stored ones
-- under names the file has no column for are kept. layers.survey_import composes the SET list of the
-- fields from CARRIED_FIELDS (field = CASE WHEN 'field' = ANY (s.fields_carried) THEN s.field ELSE c.field
-- END each); parameters: scheme, carried (that list).
UPDATE pg_temp.survey_staging s SET
    {fields},
    attributes = (c.attributes - s.attributes_carried) || s.attributes
FROM onemap.component c
WHERE c.id = s.id AND c.valid_to IS NULL AND c.scheme = %(scheme)s AND s.fields_carried IS NOT NULL
  -- a full re-delivery has nothing to take: its rows are not rewritten
  AND NOT (s.fields_carried @> %(carried)s::text[] AND c.attributes - s.attributes_carried = '{{}}'::jsonb)
