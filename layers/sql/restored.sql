-- The components removed earlier whose identifiers an upsert or replace delivers again (it reopens them;
-- append refuses them, staging_checks.sql): identifier, the city date of the removal and what closed it.
-- Parameter: timezone (the city's).
SELECT s.id, ((max(c.valid_to) AT TIME ZONE %(timezone)s)::date)::text,
       (array_agg(c.close_source ORDER BY c.valid_to DESC))[1]
FROM pg_temp.survey_staging s JOIN onemap.component c ON c.id = s.id
WHERE s.id IS NOT NULL
GROUP BY s.id
HAVING bool_and(c.valid_to IS NOT NULL)
ORDER BY s.id
