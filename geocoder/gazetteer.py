"""The gazetteer as the geocoder reads it: an in-memory snapshot of PostGIS, rebuilt when it changes.

PostGIS is the store (onemap.admin_area, unit_grid, road, door_plate, poi, road_number_range, with
exact, prefix and trigram indexes); matching runs on this snapshot so that a forward geocode costs
no database round trip. Every change of a gazetteer table bumps onemap.gazetteer_state.version
(statement triggers, migration 0007); the service re-reads the version at most every few seconds.
"""

import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import psycopg
import shapely
from shapely import STRtree

from geocoder.admin import AdminIndex, load_national
from geocoder.normalize import normalize
from geocoder.parse import NameSet

VERSION_SQL = "SELECT version FROM onemap.gazetteer_state"
_AREAS_SQL = """
SELECT code, level, name, ST_AsBinary(geom), ST_X(p), ST_Y(p)
FROM onemap.admin_area, LATERAL ST_PointOnSurface(geom) AS p ORDER BY code
"""
_CELLS_SQL = "SELECT code, ST_AsBinary(geom) FROM onemap.unit_grid WHERE valid_to IS NULL ORDER BY code"
_ROADS_SQL = "SELECT name, ST_AsBinary(geom) FROM onemap.road WHERE name IS NOT NULL AND name <> '' ORDER BY id"
_PLATES_SQL = """
SELECT road_name, number, sub_number, name, ST_X(geom), ST_Y(geom) FROM onemap.door_plate ORDER BY id
"""
_POIS_SQL = "SELECT name, category, address, ST_X(geom), ST_Y(geom) FROM onemap.poi ORDER BY id"
_RANGES_SQL = """
SELECT r.name, n.side, n.first_number, n.last_number, n.parity, ST_AsBinary(r.geom)
FROM onemap.road_number_range n JOIN onemap.road r ON r.id = n.road_id WHERE r.name IS NOT NULL
"""
_HAN_NUMERAL = re.compile(r"[零〇一二两三四五六七八九十百千]")


@lru_cache(maxsize=1)
def national_admin() -> AdminIndex:
    """The shipped national division tables (loaded once per process: ≈ 1 s)."""
    return load_national()


@dataclass
class Areas:
    """Polygons of one admin level (or unit grid cells) with a point-in-polygon index."""

    codes: np.ndarray
    names: np.ndarray
    geoms: np.ndarray
    points: np.ndarray  # representative point (lon, lat) per area
    tree: STRtree

    @classmethod
    def build(cls, codes: list[str], names: list[str], wkbs: list[bytes], points: list[tuple[float, float]]
              ) -> "Areas":
        geoms = shapely.from_wkb(np.array(wkbs, dtype=object)) if wkbs else np.array([], dtype=object)
        return cls(np.array(codes, dtype=object), np.array(names, dtype=object), geoms,
                   np.array(points, dtype=float).reshape(-1, 2), STRtree(geoms))

    def containing(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """Code of the area containing each point, or None."""
        out = np.full(len(lon), None, dtype=object)
        if len(self.codes) == 0 or len(lon) == 0:
            return out
        points = shapely.points(lon, lat)
        which, area = self.tree.query(points, predicate="intersects")
        # a point on a shared edge lies in two cells: the first code wins, as in the database
        order = np.lexsort((self.codes[area].astype(str), which))
        which, area = which[order], area[order]
        first = np.unique(which, return_index=True)[1]
        out[which[first]] = self.codes[area[first]]
        return out

    def point_of(self, code: str) -> tuple[float, float] | None:
        hit = np.flatnonzero(self.codes == code)
        return (float(self.points[hit[0], 0]), float(self.points[hit[0], 1])) if len(hit) else None


@dataclass
class Plates:
    """The door plates of one road, sorted by number."""

    numbers: np.ndarray
    subs: list[str]
    names: list[str | None]
    xy: np.ndarray


@dataclass
class Gazetteer:
    version: int
    admin: AdminIndex
    counties: Areas
    streets: Areas
    communities: Areas
    cells: Areas
    roads: NameSet = field(default_factory=NameSet)
    pois: NameSet = field(default_factory=NameSet)
    road_lines: dict[str, shapely.Geometry] = field(default_factory=dict)
    plates: dict[str, Plates] = field(default_factory=dict)
    poi_rows: dict[str, list[tuple[str | None, str | None, float, float]]] = field(default_factory=dict)
    ranges: dict[str, list[tuple[str, int, int, str, shapely.Geometry]]] = field(default_factory=dict)
    protected: tuple[str, ...] = ()
    road_tree_names: np.ndarray = field(default_factory=lambda: np.array([], dtype=object))
    road_tree: STRtree = field(default_factory=lambda: STRtree([]))
    plate_labels: np.ndarray = field(default_factory=lambda: np.array([], dtype=object))
    plate_tree: STRtree = field(default_factory=lambda: STRtree([]))

    def admin_codes(self, lon: np.ndarray, lat: np.ndarray) -> dict[str, np.ndarray]:
        """grid, community, street and county code of each point (None outside the loaded city)."""
        cells = self.cells.containing(lon, lat)
        communities = self.communities.containing(lon, lat)
        streets = self.streets.containing(lon, lat)
        counties = self.counties.containing(lon, lat)
        # codes are hierarchical: a cell implies its community, a community its street and county
        for i, cell in enumerate(cells):
            if cell and communities[i] is None:
                communities[i] = cell[:12]
            if communities[i] and streets[i] is None:
                streets[i] = communities[i][:9]
            if streets[i] and counties[i] is None:
                counties[i] = streets[i][:6]
        return {"grid_code": cells, "community_code": communities, "street_code": streets,
                "county_code": counties}


QUERIES = {"version": VERSION_SQL, "areas": _AREAS_SQL, "cells": _CELLS_SQL, "roads": _ROADS_SQL,
           "plates": _PLATES_SQL, "pois": _POIS_SQL, "ranges": _RANGES_SQL}


def fetch_rows(conn: psycopg.Connection) -> dict[str, list[tuple]]:  # type: ignore[type-arg]
    """Every row the snapshot is built from, read in one transaction."""
    with conn.transaction():
        return {key: conn.execute(query).fetchall() for key, query in QUERIES.items()}


async def fetch_rows_async(conn: psycopg.AsyncConnection) -> dict[str, list[tuple]]:  # type: ignore[type-arg]
    """fetch_rows over the service's async pool."""
    async with conn.transaction():
        return {key: await (await conn.execute(query)).fetchall() for key, query in QUERIES.items()}


def load(conn: psycopg.Connection) -> Gazetteer:
    """Read the gazetteer tables into a new snapshot."""
    return build(fetch_rows(conn))


def build(rows: dict[str, list[tuple]]) -> Gazetteer:  # type: ignore[type-arg]
    admin = national_admin()
    by_level: dict[str, list[tuple]] = defaultdict(list)  # type: ignore[type-arg]
    for code, level, name, wkb, x, y in rows["areas"]:
        admin.add(code, name)
        by_level[level].append((code, name, wkb, (x, y)))

    def areas(level: str) -> Areas:
        items = by_level.get(level, [])
        return Areas.build([i[0] for i in items], [i[1] for i in items], [i[2] for i in items],
                           [i[3] for i in items])

    cells = rows["cells"]
    gaz = Gazetteer(
        version=int(rows["version"][0][0]) if rows["version"] else 0, admin=admin,
        counties=areas("county"), streets=areas("street"), communities=areas("community"),
        cells=Areas.build([c for c, _ in cells], [c for c, _ in cells], [w for _, w in cells],
                          [(0.0, 0.0)] * len(cells)))
    _add_roads(gaz, rows["roads"])
    _add_plates(gaz, rows["plates"])
    for name, category, address, x, y in rows["pois"]:
        key = normalize(name).text
        if key:
            gaz.pois.add(key)
            gaz.poi_rows.setdefault(key, []).append((category, address, x, y))
    for name, side, first, last, parity, wkb in rows["ranges"]:
        gaz.ranges.setdefault(normalize(name).text, []).append(
            (side, first, last, parity, shapely.from_wkb(wkb)))
    names = gaz.roads.names | gaz.pois.names
    gaz.protected = tuple(sorted((n for n in names if _HAN_NUMERAL.search(n)), key=len, reverse=True))
    return gaz


def _add_roads(gaz: Gazetteer, rows: list[tuple]) -> None:  # type: ignore[type-arg]
    parts: dict[str, list[shapely.Geometry]] = defaultdict(list)
    names, lines = [], []
    for name, wkb in rows:
        key = normalize(name).text
        if not key:
            continue
        line = shapely.from_wkb(wkb)
        parts[key].append(line)
        names.append(key)
        lines.append(line)
    for key, geoms in parts.items():
        gaz.roads.add(key)
        gaz.road_lines[key] = shapely.line_merge(shapely.multilinestrings(geoms))
    gaz.road_tree_names = np.array(names, dtype=object)
    gaz.road_tree = STRtree(np.array(lines, dtype=object))


def _add_plates(gaz: Gazetteer, rows: list[tuple]) -> None:  # type: ignore[type-arg]
    per_road: dict[str, list[tuple]] = defaultdict(list)  # type: ignore[type-arg]
    labels, points = [], []
    for road, number, sub, name, x, y in rows:
        key = normalize(road).text
        per_road[key].append((number, sub or "", name, x, y))
        labels.append(f"{key}{number}{'-' + sub if sub else ''}号")
        points.append((x, y))
    for key, items in per_road.items():
        items.sort(key=lambda item: (item[0], item[1]))
        gaz.roads.add(key)
        gaz.plates[key] = Plates(np.array([i[0] for i in items], dtype=np.int64), [i[1] for i in items],
                                 [i[2] for i in items], np.array([(i[3], i[4]) for i in items], dtype=float))
    gaz.plate_labels = np.array(labels, dtype=object)
    xy = np.array(points, dtype=float).reshape(-1, 2)
    gaz.plate_tree = STRtree(shapely.points(xy[:, 0], xy[:, 1]) if len(xy) else np.array([], dtype=object))
