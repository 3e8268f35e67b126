-- Evaluation figures per group for the cases reported in [start, end) (layers/case_evaluation.py,
-- definitions in docs/cases.md); due and closed are counted up to the cutoff, the earlier of the
-- end and now. {key} is the grouping column, {area} the area (m²) of one group;
-- both are chosen from a fixed list, never from user text.
WITH p AS (
    SELECT c.*, {key} AS key,
           NOT c.self_handled AND c.state NOT IN ('reported', 'cancelled') AS workflow
    FROM onemap.city_case c
    WHERE c.reported_at >= %(start)s AND c.reported_at < %(end)s
      AND starts_with(coalesce(c.grid_code, ''), %(within)s)
), figures AS (
    SELECT key,
           count(*) AS reported,
           count(*) FILTER (WHERE state = 'cancelled') AS cancelled,
           count(*) FILTER (WHERE self_handled) AS self_handled,
           count(*) FILTER (WHERE workflow) AS filed,
           count(*) FILTER (WHERE workflow AND state <> 'filed') AS dispatched,
           count(*) FILTER (WHERE workflow AND (deadline_at < %(cutoff)s OR closed_at < %(cutoff)s)) AS due,
           count(*) FILTER (WHERE workflow AND closed_at < %(cutoff)s) AS closed,
           count(*) FILTER (WHERE workflow AND closed_at < %(cutoff)s AND closed_at <= deadline_at)
               AS closed_on_time,
           count(*) FILTER (WHERE workflow AND rework_count > 0) AS reworked,
           count(*) FILTER (WHERE workflow AND closed_at < %(cutoff)s AND rework_count = 0) AS closed_first_time
    FROM p GROUP BY key
), by_source AS (
    SELECT key, jsonb_object_agg(source, n ORDER BY source) AS by_source
    FROM (SELECT key, source, count(*) AS n FROM p WHERE state <> 'cancelled' GROUP BY key, source) s
    GROUP BY key
), by_class AS (
    SELECT key, jsonb_object_agg(class_code, n ORDER BY class_code) AS by_class
    FROM (SELECT key, class_code, count(*) AS n FROM p WHERE state <> 'cancelled' GROUP BY key, class_code) s
    GROUP BY key
)
SELECT f.key, {name} AS name, {area} AS area_m2, f.reported, f.cancelled, f.self_handled, f.filed,
       f.dispatched, f.due, f.closed, f.closed_on_time, f.reworked, f.closed_first_time,
       coalesce(s.by_source, '{{}}'::jsonb) AS by_source, coalesce(k.by_class, '{{}}'::jsonb) AS by_class
FROM figures f
LEFT JOIN by_source s ON s.key IS NOT DISTINCT FROM f.key
LEFT JOIN by_class k ON k.key IS NOT DISTINCT FROM f.key
ORDER BY f.key NULLS LAST
