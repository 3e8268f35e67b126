"""The demo city's case set-up: the shipped holiday calendar, responsibility grids, street rules."""

import psycopg

from layers.case_rules import shipped_calendars, store_calendar
from layers.resp_grids import generate_resp_grids

# Street order matters (GB/T 47678.5 major 09, 街面秩序类) go to the street office of the place.
_STREET_RULES_SQL = """
INSERT INTO onemap.case_dispatch_rule (scheme, kind, class_prefix, area_prefix, department)
SELECT 'gb47678', 'event', '09', code, regexp_replace(name, '街道$', '') || '街道办事处'
FROM onemap.admin_area WHERE level = 'street' AND starts_with(code, %s)
ON CONFLICT (scheme, kind, class_prefix, area_prefix) DO UPDATE SET department = excluded.department
"""


def prepare(conn: psycopg.Connection, county_code: str) -> dict[str, int]:
    """Load the calendar, generate the county's responsibility grids and street rules; return counts."""
    days = sum(store_calendar(conn, text, name) for name, text in shipped_calendars())
    grids = generate_resp_grids(conn, within=county_code)
    with conn.transaction():
        rules = conn.execute(_STREET_RULES_SQL, (county_code,)).rowcount
    return {"calendar days": days, "responsibility grids": grids, "street rules": rules}
