-- Cases per areal unit (unit grid cell, community or street), zero-case units included.
-- {units}: the unit view; {case_column}: the case's code column of that level (chosen in code
-- from a fixed table, never from user input). Every filter is a bound parameter; NULL = no filter.
SELECT u.code,
       coalesce(u.name, '') AS name,
       coalesce((SELECT a.name FROM onemap.admin_area a WHERE a.code = left(u.code, 12)), '') AS community,
       coalesce((SELECT a.name FROM onemap.admin_area a WHERE a.code = left(u.code, 9)), '') AS street,
       count(c.id)::integer AS cases,
       ST_AsBinary(u.geom) AS geom
FROM onemap.{units} u
LEFT JOIN onemap.city_case c
       ON c.{case_column} = u.code
      AND c.reported_at >= %(date_from)s AND c.reported_at < %(date_to)s
      AND (%(kind)s::text IS NULL OR c.kind = %(kind)s::text)
      AND (%(classes)s::text[] IS NULL
           OR EXISTS (SELECT 1 FROM unnest(%(classes)s::text[]) AS p(prefix) WHERE starts_with(c.class_code, p.prefix)))
      AND (%(sources)s::text[] IS NULL OR c.source = ANY (%(sources)s::text[]))
      AND (%(states)s::text[] IS NULL OR c.state = ANY (%(states)s::text[]))
WHERE (%(within)s::text IS NULL OR starts_with(u.code, %(within)s::text))
GROUP BY u.code, u.name, u.geom
ORDER BY u.code
