"""The gazetteer as the geocoder reads it: an in-memory snapshot of PostGIS, rebuilt when it changes.

PostGIS is the store (onemap.admin_area, unit_grid, road, door_plate, poi, road_number_range, with
exact, prefix and trigram indexes); matching runs on this snapshot so that a forward geocode costs
no database round trip. Every change of a gazetteer table bumps onemap.gazetteer_state.version
(statement triggers, migration 0007); the service re-reads the version at most every few seconds.
"""

import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

import numpy as np
import psycopg
import shapely
from scipy.spatial import cKDTree
from shapely import STRtree

from geocoder.admin import AdminEntry, AdminIndex, admin_forms, load_national
from geocoder.near_names import road_parts
from geocoder.normalize import normalize, protect
from geocoder.parse import NameSet, plate_address

_METRES_PER_DEGREE = 111_320.0
VERSION_SQL = "SELECT version FROM onemap.gazetteer_state"
_AREAS_SQL = """
SELECT code, level, name, ST_AsBinary(geom), ST_X(p), ST_Y(p)
FROM onemap.admin_area, LATERAL ST_PointOnSurface(geom) AS p ORDER BY code
"""
_CELLS_SQL = "SELECT code, ST_AsBinary(geom) FROM onemap.unit_grid WHERE valid_to IS NULL ORDER BY code"
_ROADS_SQL = (
    "SELECT name, ST_AsBinary(geom) FROM onemap.road WHERE name IS NOT NULL AND name <> '' ORDER BY id"
)
_PLATES_SQL = """
SELECT road_name, number, sub_number, name, ST_X(geom), ST_Y(geom) FROM onemap.door_plate ORDER BY id
"""
_POIS_SQL = "SELECT name, category, address, ST_X(geom), ST_Y(geom) FROM onemap.poi ORDER BY id"
_RANGES_SQL = """
SELECT r.name, n.side, n.first_number, n.last_number, n.parity, ST_AsBinary(r.geom)
FROM onemap.road_number_range n JOIN onemap.road r ON r.id = n.road_id WHERE r.name IS NOT NULL
"""
_ESTATE_WORD = re.compile(r"(?:住宅)?小区$")
_ROAD_ENDING = re.compile(r"(?:路|街|道|巷|弄)$")


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
    index: dict[str, int] | None = None  # code → position, built on first use

    @classmethod
    def build(
        cls, codes: list[str], names: list[str], wkbs: list[bytes], points: list[tuple[float, float]]
    ) -> "Areas":
        geoms = shapely.from_wkb(np.array(wkbs, dtype=object)) if wkbs else np.array([], dtype=object)
        return cls(
            np.array(codes, dtype=object),
            np.array(names, dtype=object),
            geoms,
            np.array(points, dtype=float).reshape(-1, 2),
            STRtree(geoms),
        )

    def containing(self, points: np.ndarray) -> np.ndarray:
        """Code of the area containing each point (shapely points), or None."""
        out = np.full(len(points), None, dtype=object)
        if len(self.codes) == 0 or len(points) == 0:
            return out
        if len(points) == 1:  # one HTTP reverse request: the bulk path's sorting costs more than the query
            hits = self.tree.query(points[0], predicate="intersects")
            out[0] = min(self.codes[hits].tolist()) if len(hits) else None
            return out
        which, area = self.tree.query(points, predicate="intersects")
        # a point on a shared edge lies in two areas: the smallest code wins, whatever the tree order
        order = np.lexsort((self.codes[area].astype(str), which))
        which, area = which[order], area[order]
        first = np.unique(which, return_index=True)[1]
        out[which[first]] = self.codes[area[first]]
        return out

    def _position(self, code: str) -> int | None:
        if self.index is None:
            self.index = {c: i for i, c in enumerate(self.codes)}
        return self.index.get(code)

    def point_of(self, code: str) -> tuple[float, float] | None:
        i = self._position(code)
        return None if i is None else (float(self.points[i, 0]), float(self.points[i, 1]))

    def geom_of(self, code: str) -> shapely.Geometry | None:
        i = self._position(code)
        return None if i is None else self.geoms[i]


@dataclass
class Plates:
    """The door plates of one road, sorted by number."""

    numbers: np.ndarray
    subs: list[str]
    names: list[str | None]
    xy: np.ndarray


@dataclass
class NearIndex:
    """Nearest plate or road within a radius, in metres on the city's local plane (KD-tree).

    Roads are indexed by vertices every few metres; the exact distance to the found line is then
    measured, so a reported road distance is exact and the road at most a few metres off the nearest."""

    scale: float  # cos(latitude): east-west degrees are this much shorter than north-south ones
    tree: cKDTree | None
    labels: np.ndarray
    lines: np.ndarray | None = None  # per vertex, the line it belongs to (roads only)

    @classmethod
    def of_points(cls, xy: np.ndarray, labels: np.ndarray, scale: float) -> "NearIndex":
        return cls(scale, cKDTree(xy * (scale, 1.0)) if len(xy) else None, labels)

    @classmethod
    def of_lines(
        cls, lines: np.ndarray, labels: np.ndarray, scale: float, step_m: float = 8.0
    ) -> "NearIndex":
        if len(lines) == 0:
            return cls(scale, None, labels)
        dense = shapely.segmentize(lines, step_m / _METRES_PER_DEGREE)
        xy, which = shapely.get_coordinates(dense, return_index=True)
        return cls(scale, cKDTree(xy * (scale, 1.0)), labels[which], lines[which])

    def nearest(self, lon: np.ndarray, lat: np.ndarray, radius_m: float) -> tuple[np.ndarray, np.ndarray]:
        """Label and distance (m, 0.1 m) of the nearest feature within the radius, per point."""
        names = np.full(len(lon), None, dtype=object)
        dist = np.full(len(lon), np.nan)
        if self.tree is None or len(lon) == 0:
            return names, dist
        bound = radius_m / _METRES_PER_DEGREE + 1e-4
        if len(lon) == 1:
            return self._nearest_one(float(lon[0]), float(lat[0]), radius_m, bound, names, dist)
        query = np.column_stack([lon * self.scale, lat])
        degrees, hit = self.tree.query(query, distance_upper_bound=bound)
        found = np.flatnonzero(np.isfinite(degrees))
        metres = degrees[found] * _METRES_PER_DEGREE
        if self.lines is not None and len(found):
            points = shapely.points(lon[found], lat[found])
            ends = shapely.get_coordinates(shapely.shortest_line(points, self.lines[hit[found]]))
            ends = ends.reshape(-1, 2, 2)
            metres = np.hypot((ends[:, 1, 0] - ends[:, 0, 0]) * self.scale, ends[:, 1, 1] - ends[:, 0, 1])
            metres *= _METRES_PER_DEGREE
        ok = metres <= radius_m
        names[found[ok]] = self.labels[hit[found[ok]]]
        dist[found[ok]] = np.round(metres[ok], 1)
        return names, dist

    def _nearest_one(
        self, lon: float, lat: float, radius_m: float, bound: float, names: np.ndarray, dist: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """nearest() for a single point without the array bookkeeping (a third of the time)."""
        assert self.tree is not None
        degrees, hit = self.tree.query((lon * self.scale, lat), distance_upper_bound=bound)
        if not math.isfinite(degrees):
            return names, dist
        metres = degrees * _METRES_PER_DEGREE
        if self.lines is not None:
            (x0, y0), (x1, y1) = shapely.shortest_line(shapely.Point(lon, lat), self.lines[hit]).coords
            metres = math.hypot((x1 - x0) * self.scale, y1 - y0) * _METRES_PER_DEGREE
        if metres <= radius_m:
            names[0], dist[0] = self.labels[hit], np.round(metres, 1)
        return names, dist


_CODE_KEY = {"district": "county_code", "town": "street_code", "community": "community_code"}  # of codes_at
_ALONG = (0.5, 0.3, 0.7, 0.1, 0.9)  # where along a road's part inside a unit a point is tried
_CODES_ON_USE = 200_000  # points codes_at remembers beyond those of remember


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
    poi_addresses: dict[str, list[tuple[str, float, float]]] = field(default_factory=dict)  # address → POIs
    poi_short: dict[str, str] = field(default_factory=dict)  # an estate's name without 小区 → its name
    ranges: dict[str, list[tuple[str, int, int, str, shapely.Geometry]]] = field(default_factory=dict)
    protected: re.Pattern[str] | None = None  # names whose numerals stay (see normalize.protect)
    near_plates: NearIndex = field(default_factory=lambda: NearIndex(1.0, None, np.array([], dtype=object)))
    near_roads: NearIndex = field(default_factory=lambda: NearIndex(1.0, None, np.array([], dtype=object)))
    road_points: dict[str, tuple[float, float]] = field(default_factory=dict)  # one point per road name
    # (road, admin code) → where the road runs inside that unit (see road_point_in), filled on use
    road_points_in: dict[tuple[str, str], tuple[float, float] | None] = field(default_factory=dict)
    code_cache: dict[tuple[float, float], dict[str, str | None]] = field(default_factory=dict)
    code_cache_max: int = _CODES_ON_USE  # the remembered points and this many more looked up on use

    @cached_property
    def home(self) -> tuple[str, ...]:
        """The codes of the cities whose counties are loaded: where the service's addresses lie."""
        return tuple(sorted({str(code)[:4] for code in self.counties.codes}))

    @cached_property
    def road_stems(self) -> dict[str, tuple[str, ...]]:
        """Road names by stem (南山 → 南山路, 南山西路): where near names of a road are looked for."""
        stems: dict[str, list[str]] = defaultdict(list)
        for name in self.roads.in_order:
            stems[road_parts(name)[0]].append(name)
        return {stem: tuple(names) for stem, names in stems.items()}

    @cached_property
    def home_places(self) -> re.Pattern[str]:
        """A leading run of the home's own place names (福建省厦门市思明区, 厦门, 湖里, 莲花): what a place
        name may begin with before what sets it apart (see near_names.same_head)."""
        return self._leading_places(deepest=9)

    @cached_property
    def home_counties(self) -> re.Pattern[str]:
        """A leading run of the home's province, city and county names (福建省厦门市思明区): what
        addresses begin with (a town name may begin a road's: 莲花 of 莲花龙山南路)."""
        return self._leading_places(deepest=6)

    def _leading_places(self, deepest: int) -> re.Pattern[str]:
        def at_home(code: str) -> bool:  # the province, the city, its units
            return any(home.startswith(code) or code.startswith(home) for home in self.home)

        units = [e for code, e in self.admin.by_code.items() if len(code) <= deepest and at_home(code)]
        forms = sorted({form for entry in units for form, _ in admin_forms(entry)}, key=len, reverse=True)
        return re.compile(f"^(?:{'|'.join(map(re.escape, forms))})*" if forms else "^")

    @cached_property
    def poi_address_cores(self) -> dict[str, list[str]]:
        """POI addresses without the home's county names they begin with (home_counties) → addresses."""
        cores: dict[str, list[str]] = defaultdict(list)
        for address in self.poi_addresses:
            cores[self.home_counties.sub("", address)].append(address)
        return dict(cores)

    def warm(self) -> None:
        """Build the tables derived on first use (every cached_property), so no request pays for them."""
        for name, attribute in vars(Gazetteer).items():
            if isinstance(attribute, cached_property):
                getattr(self, name)

    def admin_codes(self, lon: np.ndarray, lat: np.ndarray) -> dict[str, np.ndarray]:
        """grid, community, street and county code of each point (None outside the loaded city).

        Codes are hierarchical (GB/T 30428.1): a cell's code holds its community's, a community's its
        street's; lower levels are only searched for the points the finer level did not place."""
        points = shapely.points(lon, lat) if len(lon) else np.array([], dtype=object)
        cells = self.cells.containing(points)
        out = {"grid_code": cells}
        finer = cells
        for key, areas, width in (
            ("community_code", self.communities, 12),
            ("street_code", self.streets, 9),
            ("county_code", self.counties, 6),
        ):
            codes = np.array([c[:width] if c else None for c in finer], dtype=object)
            missing = np.flatnonzero([c is None for c in codes])
            if len(missing):
                codes[missing] = areas.containing(points[missing])
            out[key] = finer = codes
        return out

    def codes_at(self, x: float, y: float) -> dict[str, str | None]:
        """admin_codes of one point, memoised (door plates, POIs and road points recur)."""
        key = (float(x), float(y))
        hit = self.code_cache.get(key)
        if hit is None:
            if len(self.code_cache) > self.code_cache_max:
                self.code_cache.clear()
            codes = self.admin_codes(np.array([x]), np.array([y]))
            hit = {k: v[0] for k, v in codes.items()}
            self.code_cache[key] = hit
        return hit

    def areas_of(self, level: str) -> Areas | None:
        """The loaded areas of an admin level (district, town, community); None for the levels above."""
        return {"district": self.counties, "town": self.streets, "community": self.communities}.get(level)

    def road_point_in(self, road: str, unit: AdminEntry) -> tuple[float, float] | None:
        """Where the road runs inside the loaded area of `unit`, or None when the area is not loaded or
        the road does not run through it. A long road crosses several streets and counties, and its name
        may recur in another county: the unit an address names says which part is meant (香蜜湖街道农轩路).

        The point lies on the road's longest part inside the area, as near its middle as codes_at still
        places it in the unit: roads often are the boundaries between units."""
        areas = self.areas_of(unit.level)
        if areas is None:
            return None
        key = (road, unit.code)
        if key not in self.road_points_in:
            if len(self.road_points_in) > 200_000:
                self.road_points_in.clear()
            self.road_points_in[key] = self._road_point_in(road, unit, areas.geom_of(unit.code))
        return self.road_points_in[key]

    def _road_point_in(
        self, road: str, unit: AdminEntry, area: shapely.Geometry | None
    ) -> tuple[float, float] | None:
        line = self.road_lines.get(road)
        if area is None or line is None:
            return None
        for part in _lines_longest_first(shapely.intersection(line, area)):
            for fraction in _ALONG:
                p = shapely.line_interpolate_point(part, fraction, normalized=True)
                if self.codes_at(p.x, p.y)[_CODE_KEY[unit.level]] == unit.code:
                    return float(p.x), float(p.y)
        return None

    def remember(self, xy: np.ndarray) -> None:
        """Fill the code cache for many points at once (vectorised)."""
        if len(xy) == 0:
            return
        codes = self.admin_codes(xy[:, 0], xy[:, 1])
        for i, (x, y) in enumerate(xy):
            self.code_cache[(float(x), float(y))] = {k: v[i] for k, v in codes.items()}
        self.code_cache_max = len(self.code_cache) + _CODES_ON_USE


QUERIES = {
    "version": VERSION_SQL,
    "areas": _AREAS_SQL,
    "cells": _CELLS_SQL,
    "roads": _ROADS_SQL,
    "plates": _PLATES_SQL,
    "pois": _POIS_SQL,
    "ranges": _RANGES_SQL,
}


def fetch_rows(conn: psycopg.Connection) -> dict[str, list[tuple]]:
    """Every row the snapshot is built from, read in one transaction."""
    with conn.transaction():
        return {key: conn.execute(query).fetchall() for key, query in QUERIES.items()}


async def fetch_rows_async(conn: psycopg.AsyncConnection) -> dict[str, list[tuple]]:
    """fetch_rows over the service's async pool."""
    async with conn.transaction():
        return {key: await (await conn.execute(query)).fetchall() for key, query in QUERIES.items()}


def load(conn: psycopg.Connection) -> Gazetteer:
    """Read the gazetteer tables into a new snapshot."""
    return build(fetch_rows(conn))


def build(rows: dict[str, list[tuple]]) -> Gazetteer:
    admin = national_admin()
    by_level: dict[str, list[tuple]] = defaultdict(list)
    for code, level, name, wkb, x, y in rows["areas"]:
        admin.add(code, name)
        by_level[level].append((code, name, wkb, (x, y)))

    def areas(level: str) -> Areas:
        items = by_level.get(level, [])
        return Areas.build(
            [i[0] for i in items], [i[1] for i in items], [i[2] for i in items], [i[3] for i in items]
        )

    cells = rows["cells"]
    gaz = Gazetteer(
        version=int(rows["version"][0][0]) if rows["version"] else 0,
        admin=admin,
        counties=areas("county"),
        streets=areas("street"),
        communities=areas("community"),
        cells=Areas.build(
            [c for c, _ in cells], [c for c, _ in cells], [w for _, w in cells], [(0.0, 0.0)] * len(cells)
        ),
    )
    # names written with numerals keep them (四号路, not 4号路), in the snapshot as in the queries
    names = {row[0] for table in ("roads", "plates", "pois", "ranges") for row in rows[table] if row[0]}
    gaz.protected = protect(names)
    _add_roads(gaz, rows["roads"])
    _add_plates(gaz, rows["plates"])
    for name, category, address, x, y in rows["pois"]:
        key = normalize(name, gaz.protected).text
        if key:
            gaz.pois.add(key)
            gaz.poi_rows.setdefault(key, []).append((category, address, x, y))
            if address and (where := normalize(address, gaz.protected).text):
                gaz.poi_addresses.setdefault(where, []).append((key, x, y))
    for key in list(gaz.poi_rows):
        short = _ESTATE_WORD.sub("", key)
        # 香秀里 for 香秀里小区: callers leave the word out (but 文屏路 stays the road's, not 文屏路小区's)
        if len(short) >= 2 and short != key and short not in gaz.poi_rows and not _ROAD_ENDING.search(short):
            gaz.pois.add(short)
            gaz.poi_short[short] = key
    for name, side, first, last, parity, wkb in rows["ranges"]:
        line = shapely.from_wkb(wkb)
        gaz.ranges.setdefault(_road_key(gaz, name), []).append((side, first, last, parity, line))
    for road in gaz.roads.names:
        point = _road_point(gaz, road)
        if point:
            gaz.road_points[road] = point
    pois = [(x, y) for rows in gaz.poi_rows.values() for *_, x, y in rows]
    known = [
        np.array(list(gaz.road_points.values()), dtype=float).reshape(-1, 2),
        *(p.xy for p in gaz.plates.values()),
        np.array(pois, dtype=float).reshape(-1, 2),
        *(a.points for a in (gaz.counties, gaz.streets, gaz.communities)),
    ]
    points = np.concatenate(known)
    # answers are placed at 7 decimals (forward._rounded looks the rounded point up too)
    gaz.remember(np.unique(np.concatenate([points, np.round(points, 7)]), axis=0))
    return gaz


def _road_point(gaz: Gazetteer, road: str) -> tuple[float, float] | None:
    """Where a road is, for a road-level match: the middle of its longest part, else its central plate."""
    parts = _lines_longest_first(gaz.road_lines[road]) if road in gaz.road_lines else []
    if parts:
        p = shapely.line_interpolate_point(parts[0], 0.5, normalized=True)
        return float(p.x), float(p.y)
    plates = gaz.plates.get(road)
    if plates is not None and len(plates.numbers):
        centre = plates.xy.mean(axis=0)
        i = int(np.argmin(((plates.xy - centre) ** 2).sum(axis=1)))
        return float(plates.xy[i, 0]), float(plates.xy[i, 1])
    return None


def _lines_longest_first(lines: shapely.Geometry) -> list[shapely.Geometry]:
    """The lines of `lines`, longest first (a road clipped to an area may hold points too)."""
    every = shapely.get_parts(shapely.get_parts(lines))  # a collection's parts may be multi-lines
    return sorted((p for p in every if shapely.get_type_id(p) == 1 and shapely.length(p) > 0),
                  key=shapely.length, reverse=True)


def _add_roads(gaz: Gazetteer, rows: list[tuple]) -> None:
    parts: dict[str, list[shapely.Geometry]] = defaultdict(list)
    names, lines = [], []
    for name, wkb in rows:
        key = normalize(name, gaz.protected).text
        if not key:
            continue
        line = shapely.from_wkb(wkb)
        parts[key].append(line)
        names.append(key)
        lines.append(line)
    for key, geoms in parts.items():
        gaz.roads.add(key)
        gaz.road_lines[key] = shapely.line_merge(shapely.multilinestrings(geoms))
    gaz.near_roads = NearIndex.of_lines(
        np.array(lines, dtype=object), np.array(names, dtype=object), _scale(gaz)
    )


def _add_plates(gaz: Gazetteer, rows: list[tuple]) -> None:
    per_road: dict[str, list[tuple]] = defaultdict(list)
    labels, points = [], []
    keys: dict[str, str] = {}
    for road, number, sub, name, x, y in rows:
        key = keys[road] if road in keys else keys.setdefault(road, _road_key(gaz, road))
        per_road[key].append((number, sub or "", name, x, y))
        labels.append(plate_address(key, number, sub))
        points.append((x, y))
    for key, items in per_road.items():
        items.sort(key=lambda item: (item[0], item[1]))
        gaz.roads.add(key)
        gaz.plates[key] = Plates(
            np.array([i[0] for i in items], dtype=np.int64),
            [i[1] for i in items],
            [i[2] for i in items],
            np.array([(i[3], i[4]) for i in items], dtype=float),
        )
    xy = np.array(points, dtype=float).reshape(-1, 2)
    gaz.near_plates = NearIndex.of_points(xy, np.array(labels, dtype=object), _scale(gaz))


def _road_key(gaz: Gazetteer, road: str) -> str:
    """The key of a plate's or a range's road: the known road it names, also written in digits (the
    address import stores 四号路 as 4号路)."""
    return gaz.roads.name_of(normalize(road, gaz.protected).text)


def _scale(gaz: Gazetteer) -> float:
    """cos(latitude) of the loaded city (of its counties, else of China's middle)."""
    lat = float(np.mean(gaz.counties.points[:, 1])) if len(gaz.counties.points) else 30.0
    return math.cos(math.radians(lat))
