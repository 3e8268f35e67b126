-- Rejections that need the inventory: (row_idx, field, reason). Parameters: in_use_hint and
-- removed_hint (what the caller does instead: the command line's --mode upsert, the API's PUT), append,
-- upsert, check_duplicates, distance, same_position, scheme, timezone (the city's, whose date a removal is
-- told in), versions (upsert, replace: compare the versions rows were exported from), and rows: the staged
-- rows to check for duplicates (NULL: all). An upsert's row that lies where its current component lies is
-- no new duplicate.
-- An identifier names one component for good: append refuses one in use, and one whose component was
-- removed (its history would read as one object's); upsert reopens that component.
SELECT s.row_idx, 'id', CASE
    WHEN bool_or(c.valid_to IS NULL)
    THEN 'identifier ' || s.id || ' is already in the inventory (' || %(in_use_hint)s || ')'
    ELSE 'identifier ' || s.id || ' belonged to a component removed on '
         || ((max(c.valid_to) AT TIME ZONE %(timezone)s)::date)::text
         || ', and an identifier is never given to another component (' || %(removed_hint)s || ')'
    END
FROM pg_temp.survey_staging s
JOIN onemap.component c ON c.id = s.id
WHERE %(append)s AND s.id IS NOT NULL
GROUP BY s.row_idx, s.id
UNION ALL
-- A row exported from a version that is no longer the latest (layers.survey_versions): importing it would
-- undo the change made since, or bring back the component removed since. A row identical to the current
-- version (unchanged.sql: the same change made twice, a file imported again) undoes nothing. The change
-- is told with its batch's sources (the files of an import, `api:PATCH <collection>` of an API write).
SELECT s.row_idx, 'valid_from', 'component ' || s.id
    || CASE WHEN v.valid_to IS NULL THEN ' changed on ' ELSE ' was removed on ' END
    || to_char(coalesce(v.valid_to, v.valid_from) AT TIME ZONE %(timezone)s, 'YYYY-MM-DD HH24:MI:SS')
    || ' (' || coalesce('batch ' || b.id || ': ' || left(array_to_string(b.sources, ', '), 120), v.source,
                        'an unrecorded write') || ', by ' || coalesce(v.actor, 'an unrecorded user')
    || '), after the version this row was exported from: '
    || CASE WHEN v.valid_to IS NULL
       THEN 'importing the row would undo that change; export the component again and make the row''s '
            || 'edits there, or clear the row''s valid_from to import it over the change'
       ELSE 'importing the row would bring it back; drop the row, or clear its valid_from to bring the '
            || 'component back'
       END
FROM pg_temp.survey_staging s
CROSS JOIN LATERAL (
    SELECT c.valid_from, c.valid_to,
           CASE WHEN c.valid_to IS NULL THEN c.change_source ELSE c.close_source END AS source,
           CASE WHEN c.valid_to IS NULL THEN c.changed_by ELSE c.closed_by END AS actor
    FROM onemap.component c WHERE c.id = s.id ORDER BY c.valid_from DESC LIMIT 1
) v
LEFT JOIN onemap.import_batch b
       ON b.id = CASE WHEN v.source ~ '^import:[0-9]{1,18}$' THEN substr(v.source, 8)::bigint END
WHERE %(versions)s AND s.id IS NOT NULL AND s.version_until IS NOT NULL
  AND coalesce(v.valid_to, v.valid_from) >= s.version_until
  AND s.row_idx NOT IN (SELECT row_idx FROM pg_temp.survey_unchanged)
UNION ALL
SELECT s.row_idx, 'geometry',
       'duplicate: component ' || d.id || ' of the same class is within ' || %(distance)s || ' m'
FROM pg_temp.survey_staging s
CROSS JOIN LATERAL (
    SELECT c.id FROM onemap.component c
    WHERE c.valid_to IS NULL AND c.scheme = %(scheme)s AND c.class_code = s.class_code
      AND c.id IS DISTINCT FROM s.id
      -- degrees prefilter (1° of latitude ≥ 110 km), then the exact distance on the spheroid
      AND ST_DWithin(c.geom, s.geom, %(distance)s / 100000.0)
      AND ST_DWithin(c.geom::geography, s.geom::geography, %(distance)s)
      -- lines and polygons: the same shape, not merely touching (Hausdorff, in degrees)
      AND (s.geometry_type = 'point'
           OR ST_HausdorffDistance(c.geom, s.geom) <= %(distance)s / 100000.0)
    ORDER BY c.id
    LIMIT 1
) d
WHERE %(check_duplicates)s AND (%(rows)s::int[] IS NULL OR s.row_idx = ANY(%(rows)s::int[]))
  AND NOT (%(upsert)s AND EXISTS (
      SELECT 1 FROM onemap.component k
      WHERE k.id = s.id AND k.valid_to IS NULL AND k.scheme = %(scheme)s
        AND (ST_Equals(k.geom, s.geom) OR (ST_Dimension(k.geom) = ST_Dimension(s.geom)
                                           AND ST_HausdorffDistance(k.geom, s.geom) < %(same_position)s))))
ORDER BY 1
