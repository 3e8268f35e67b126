"""The unit-grid layer in PostGIS: publish a division with version history, and locate a point."""

from collections.abc import Sequence
from dataclasses import dataclass

import psycopg
import shapely

from gis.crs import CGCS2000, transform
from grid_codes.division import GridCell

_CURRENT_SQL = """
SELECT code, community_code, ST_AsBinary(geom), area_m2
FROM onemap.unit_grid
WHERE valid_to IS NULL AND community_code = ANY(%s)
"""
_HIGHEST_SQL = """
SELECT community_code, max(right(code, 3)::int)
FROM onemap.unit_grid WHERE community_code = ANY(%s) GROUP BY community_code
"""
_CLOSE_SQL = """
UPDATE onemap.unit_grid SET valid_to = now()
WHERE valid_to IS NULL AND community_code = ANY(%s) AND NOT (code = ANY(%s))
"""
_INSERT_SQL = """
INSERT INTO onemap.unit_grid (code, community_code, area_m2, geom)
VALUES (%s, %s, %s, ST_Multi(ST_GeomFromWKB(%s, 4490)))
"""
_LOCATE_SQL = """
WITH p AS (SELECT ST_SetSRID(ST_MakePoint(%(lon)s, %(lat)s), 4490) AS pt)
SELECT g.code, c.code, c.name, s.code, s.name, k.code, k.name
FROM p
LEFT JOIN onemap.admin_area c ON c.level = 'community' AND ST_Covers(c.geom, p.pt)
LEFT JOIN onemap.admin_area s ON s.code = c.parent_code
LEFT JOIN onemap.admin_area k ON k.level = 'county' AND ST_Covers(k.geom, p.pt)
LEFT JOIN onemap.unit_grid g ON g.valid_to IS NULL AND ST_Covers(g.geom, p.pt)
ORDER BY g.code NULLS LAST, c.code NULLS LAST
LIMIT 1
"""


@dataclass(frozen=True)
class PublishResult:
    kept: int
    inserted: int
    retired: int


@dataclass(frozen=True)
class GridLocation:
    """The unit grid cell and administrative areas covering a point (codes, names)."""

    grid_code: str | None
    community_code: str | None
    community_name: str | None
    street_code: str | None
    street_name: str | None
    county_code: str | None
    county_name: str | None


def current_cells(conn: psycopg.Connection, community_codes: Sequence[str], *, zone_epsg: int
                  ) -> list[GridCell]:
    """The published cells of these communities, in the metric zone, as the previous division."""
    rows = conn.execute(_CURRENT_SQL, (list(community_codes),)).fetchall()
    return [
        GridCell(code=code, community_code=community, serial=int(code[12:]),
                 geometry=transform(shapely.from_wkb(wkb), CGCS2000, zone_epsg), area_m2=area)
        for code, community, wkb, area in rows
    ]


def highest_serials(conn: psycopg.Connection, community_codes: Sequence[str]) -> dict[str, int]:
    """The highest serial ever issued per community, retired cells included (never reused)."""
    return dict(conn.execute(_HIGHEST_SQL, (list(community_codes),)).fetchall())


def publish(conn: psycopg.Connection, cells: Sequence[GridCell], *, zone_epsg: int,
            previous: Sequence[GridCell]) -> PublishResult:
    """Make `cells` the current grid of their communities, in the caller's transaction.

    Cells whose code and geometry are unchanged stay as they are; changed or vanished cells
    are closed (valid_to) and the new versions inserted, so the history stays queryable.
    """
    communities = sorted({c.community_code for c in cells})
    before = {p.code: p.geometry for p in previous}
    unchanged = {c.code for c in cells if c.code in before and _same(before[c.code], c.geometry)}
    fresh = [c for c in cells if c.code not in unchanged]
    with conn.cursor() as cur:
        cur.execute(_CLOSE_SQL, (communities, sorted(unchanged)))
        retired = cur.rowcount
        cur.executemany(_INSERT_SQL, [
            (c.code, c.community_code, c.area_m2,
             shapely.to_wkb(transform(c.geometry, zone_epsg, CGCS2000)))
            for c in fresh
        ])
        cur.execute("UPDATE onemap.layer SET data_version = data_version + 1, updated_at = now() "
                    "WHERE name = 'unit_grid'")
    return PublishResult(kept=len(unchanged), inserted=len(fresh), retired=retired)


def _same(old: shapely.Geometry, new: shapely.Geometry) -> bool:
    """Equal but for the round trip through EPSG:4490 (symmetric difference under 0.01 m²)."""
    return bool(shapely.area(shapely.symmetric_difference(old, new)) < 0.01)


def locate(conn: psycopg.Connection, lon: float, lat: float) -> GridLocation:
    """The cell, community, street and county covering a CGCS2000 lon/lat point."""
    row = conn.execute(_LOCATE_SQL, {"lon": lon, "lat": lat}).fetchone()
    return GridLocation(*(row or (None,) * 7))
