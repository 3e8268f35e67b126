"""Demo door plates and POIs for Futian, generated reproducibly from the road network.

No open source publishes Futian's door plates, so the demo numbers its named roads the way Chinese
door numbering works (GA/T 2000.32 practice): numbers grow from the road's west or south end, odd on
the left, even on the right, one plate every 25 m, 12 m off the centre line. Every third pair is
left out so that interpolation has gaps to fill. POIs are the communities' service centres
(党群服务中心) and the street offices (街道办事处) at their areas' representative points. These
are generated, not surveyed (see data/README.md).
"""

from collections import defaultdict

import numpy as np
import psycopg
import shapely
from shapely.geometry.base import BaseGeometry

from gis.crs import CGCS2000, transform

SOURCE = "onemap demo"
SPACING_M = 25.0
OFFSET_M = 12.0
NUMBERED_HIGHWAYS = {"trunk", "primary", "secondary", "tertiary", "residential", "unclassified"}

_UPSERT_PLATE = """
INSERT INTO onemap.door_plate (source, source_id, road_name, number, address, geom)
VALUES (%s, %s, %s, %s, %s, ST_SetSRID(ST_MakePoint(%s, %s), 4490))
ON CONFLICT (source, source_id) DO UPDATE SET road_name = excluded.road_name,
    number = excluded.number, address = excluded.address, geom = excluded.geom, updated_at = now()
"""
_POIS = """
INSERT INTO onemap.poi (source, source_id, name, category, address, geom)
SELECT %(source)s, code, regexp_replace(name, '(居民委员会|居委会|村民委员会|村委会)$', '') || %(suffix)s,
       %(category)s, NULL, ST_PointOnSurface(geom)
FROM onemap.admin_area WHERE level = %(level)s AND left(code, 6) = %(county)s
ON CONFLICT (source, source_id) DO UPDATE SET name = excluded.name, geom = excluded.geom, updated_at = now()
"""


def plates(
    roads: list[tuple[str | None, str, BaseGeometry]], zone_epsg: int
) -> list[tuple[str, int, float, float]]:
    """(road name, number, lon, lat) for the named roads; `roads` are (name, highway, line) in EPSG:4490."""
    parts: dict[str, list[BaseGeometry]] = defaultdict(list)
    for name, highway, line in roads:
        if name and highway in NUMBERED_HIGHWAYS:
            parts[name].append(transform(line, CGCS2000, zone_epsg))
    out = []
    for name in sorted(parts):
        merged = shapely.line_merge(shapely.union_all(parts[name]))
        pieces = shapely.get_parts(merged)
        line = pieces[int(np.argmax(shapely.length(pieces)))]
        if line.length < 100:
            continue
        (x0, y0), (x1, y1) = line.coords[0], line.coords[-1]
        if (abs(x1 - x0) >= abs(y1 - y0) and x1 < x0) or (abs(x1 - x0) < abs(y1 - y0) and y1 < y0):
            line = shapely.reverse(line)
        for i, distance in enumerate(np.arange(10.0, line.length - 5, SPACING_M)):
            if i % 3 == 2:
                continue
            here, ahead = line.interpolate(distance), line.interpolate(distance + 1.0)
            dx, dy = ahead.x - here.x, ahead.y - here.y
            norm = float(np.hypot(dx, dy)) or 1.0
            for side, number in ((OFFSET_M, 2 * i + 1), (-OFFSET_M, 2 * i + 2)):  # left odd, right even
                out.append((name, number, here.x - dy / norm * side, here.y + dx / norm * side))
    if not out:
        return []
    xy = transform(shapely.points([(x, y) for _, _, x, y in out]), zone_epsg, CGCS2000)
    return [(name, number, float(p.x), float(p.y)) for (name, number, _, _), p in zip(out, xy, strict=True)]


def load(
    conn: psycopg.Connection,
    roads: list[tuple[str | None, str, BaseGeometry]],
    county_code: str,
    zone_epsg: int,
) -> dict[str, int]:
    """Upsert the demo door plates and POIs (re-runs give the same rows)."""
    rows = plates(roads, zone_epsg)
    with conn.cursor() as cur:
        cur.executemany(
            _UPSERT_PLATE,
            [
                (SOURCE, f"{county_code}:{name}:{number}", name, number, f"{name}{number}号", x, y)
                for name, number, x, y in rows
            ],
        )
        for level, suffix, category in (
            ("community", "党群服务中心", "社区服务"),
            ("street", "办事处", "政府机构"),
        ):
            cur.execute(
                _POIS,
                {
                    "source": SOURCE,
                    "suffix": suffix,
                    "category": category,
                    "level": level,
                    "county": county_code,
                },
            )
    return {"door plates": len(rows)}
