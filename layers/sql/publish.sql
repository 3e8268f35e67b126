-- Publish the staged rows of one import (runs inside the import's transaction), up to the
-- INSERT (insert.sql). Statements are separated by blank lines; parameters: scheme, mode, and stamp,
-- the time the closed versions end and the new ones start (layers.component_writes).
-- Cells, communities and identifiers were assigned in Python (layers.survey_locate); the rows identical to
-- their current version were found before the checks against the inventory (unchanged.sql).

-- 1. Close what this import replaces: re-delivered identifiers (upsert), or every current
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
