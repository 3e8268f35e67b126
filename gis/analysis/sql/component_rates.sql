-- 部件 cases per 1,000 components, by component class and area (street or community): the
-- components in service now, and the component cases of the period reported in that area.
-- {area_column}: street_code or community_code (chosen in code).
WITH inventory AS (
    SELECT class_code, {area_column} AS area_code, count(*) AS components
    FROM onemap.v_component WHERE {area_column} IS NOT NULL GROUP BY 1, 2
), cases AS (
    SELECT class_code, {area_column} AS area_code, count(*) AS cases
    FROM onemap.city_case
    WHERE kind = 'component' AND reported_at >= %(date_from)s AND reported_at < %(date_to)s
    GROUP BY 1, 2
)
SELECT i.class_code, i.area_code, coalesce(a.name, '') AS area_name, i.components,
       coalesce(c.cases, 0) AS cases,
       1000.0 * coalesce(c.cases, 0) / i.components AS per_1000
FROM inventory i
LEFT JOIN cases c USING (class_code, area_code)
LEFT JOIN onemap.admin_area a ON a.code = i.area_code
ORDER BY per_1000 DESC, i.class_code, i.area_code
