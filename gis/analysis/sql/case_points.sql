-- Case points (EPSG:4490 lon/lat) matching the same filters as unit_counts.sql.
SELECT ST_X(c.geom), ST_Y(c.geom)
FROM onemap.city_case c
WHERE c.reported_at >= %(date_from)s AND c.reported_at < %(date_to)s
  AND (%(kind)s::text IS NULL OR c.kind = %(kind)s::text)
  AND (%(classes)s::text[] IS NULL
       OR EXISTS (SELECT 1 FROM unnest(%(classes)s::text[]) AS p(prefix) WHERE starts_with(c.class_code, p.prefix)))
  AND (%(sources)s::text[] IS NULL OR c.source = ANY (%(sources)s::text[]))
  AND (%(states)s::text[] IS NULL OR c.state = ANY (%(states)s::text[]))
  AND (%(within)s::text IS NULL OR starts_with(c.grid_code, %(within)s::text))
