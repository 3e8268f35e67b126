-- Historical cases from the staging table into onemap.city_case (layers/case_history.py):
-- the unit grid cell under each point decides the area codes and, with the class, the department.
INSERT INTO onemap.city_case (case_no, kind, class_code, source, urgency, state, self_handled, rework_count,
    reported_at, deadline_at, due_soon_at, closed_at, updated_at, geom, grid_code, community_code,
    street_code, county_code, resp_grid_code, department, description)
SELECT coalesce(s.case_no, onemap.next_case_no(s.reported_at)), s.kind, s.class_code, s.source, s.urgency,
       s.state, s.self_handled, s.rework_count, s.reported_at, s.deadline_at, s.due_soon_at, s.closed_at,
       coalesce(s.closed_at, s.reported_at), p.geom, g.code, left(g.code, 12), left(g.code, 9),
       left(g.code, 6), rc.resp_grid_code, onemap.case_department(s.kind, s.class_code, g.code), s.description
FROM case_history_staging s
CROSS JOIN LATERAL (SELECT ST_SetSRID(ST_MakePoint(s.lon, s.lat), 4490) AS geom) p
LEFT JOIN LATERAL (
    SELECT u.code FROM onemap.v_unit_grid u WHERE ST_Intersects(u.geom, p.geom) ORDER BY u.code LIMIT 1
) g ON true
LEFT JOIN onemap.resp_grid_cell rc ON rc.grid_code = g.code
ORDER BY s.n
