"""Unit grid cell, community and county of survey rows, and identifier serials, computed in Python.

The rule is the one onemap's SQL applies (`layers.unit_grid.locate`): a row's anchor (the point
itself, else a point on its surface) lies in the current unit grid cell it intersects; on a border
shared by several cells the lowest code wins, so the choice never depends on scan order. Rows in
no cell fall back to the community and county polygons, again lowest code first. The street is
the community code's first 9 digits. Locating a million points this way (one prepared polygon
per cell against an STRtree of the anchors) takes about two seconds, against some twenty for a
lateral join in the database.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
import psycopg
import shapely

from layers.components import PLACE_NAMES
from layers.distinct_values import distinct_combinations
from layers.field_mapping import fold
from layers.serials import allocate_serials

_AREAS_SQL = """
SELECT 'grid', code, ST_AsBinary(geom) FROM onemap.unit_grid WHERE valid_to IS NULL
UNION ALL
SELECT level, code, ST_AsBinary(geom) FROM onemap.admin_area WHERE level IN ('community', 'county')
"""
_STORED_MAX_SQL = """
SELECT left(id, 6) || class_code, max(right(id, 6)::int) FROM onemap.component
WHERE scheme = %(scheme)s AND left(id, 6) || class_code = ANY(%(groups)s) GROUP BY 1
"""


@dataclass(frozen=True)
class Located:
    """Codes per row (object arrays, None where the anchor is in no area of that level)."""

    grid: np.ndarray
    community: np.ndarray
    county: np.ndarray


_LINE_TYPE_IDS = (1, 2, 5)  # LineString, LinearRing, MultiLineString


def anchors(geometries: np.ndarray) -> np.ndarray:
    """The point each geometry is located by: a point itself; a line's midpoint along its length; a point
    on the surface of anything else. Not a line's point on surface: that is the vertex nearest the line's
    centroid, and a two-vertex line's ends are equally near, so a shift of 1e-10° (a re-projected export)
    could pick the other end and move the line into the next cell, or street, on an edit of its state."""
    result = np.asarray(geometries, dtype=object).copy()
    type_ids = shapely.get_type_id(result)
    lines = np.isin(type_ids, _LINE_TYPE_IDS)
    if lines.any():
        result[lines] = shapely.line_interpolate_point(result[lines], 0.5, normalized=True)
    others = (type_ids > 0) & ~lines
    if others.any():
        result[others] = shapely.point_on_surface(result[others])
    return result


def locate_rows(conn: psycopg.Connection, points: np.ndarray) -> Located:
    """Locate anchor points in the current unit grid, else the communities and counties."""
    areas: dict[str, tuple[list[str], list[bytes]]] = {"grid": ([], []), "community": ([], []),
                                                       "county": ([], [])}
    for level, code, wkb in conn.execute(_AREAS_SQL):
        areas[level][0].append(code)
        areas[level][1].append(wkb)
    n = len(points)
    tree = shapely.STRtree(points)
    grid = _lowest(tree, n, *areas["grid"])
    community = np.array([c[:12] if c else None for c in grid], dtype=object) if n else grid.copy()
    county = np.array([c[:6] if c else None for c in grid], dtype=object) if n else grid.copy()
    outside = np.flatnonzero(pd.isna(grid))
    if len(outside):
        rest = shapely.STRtree(points[outside])
        community[outside] = _lowest(rest, len(outside), *areas["community"])
        county[outside] = _lowest(rest, len(outside), *areas["county"])
    return Located(grid, community, county)


def _lowest(tree: shapely.STRtree, n: int, codes: list[str], wkbs: list[bytes]) -> np.ndarray:
    """Per point of `tree`, the lowest code among the areas that intersect it (None for none)."""
    order = np.argsort(np.array(codes, dtype=object)) if codes else np.array([], dtype=np.int64)
    sorted_codes = np.full(len(codes) + 1, None, dtype=object)  # the last: no area
    sorted_codes[:-1] = np.array(codes, dtype=object)[order]
    polygons = shapely.from_wkb(np.array(wkbs, dtype=object)[order]) if codes else np.array([])
    best = np.full(n, len(codes), dtype=np.int64)
    if codes and n:
        area, point = tree.query(polygons, predicate="intersects")
        np.minimum.at(best, point, area)
    return sorted_codes[best]


def area_names(conn: psycopg.Connection, delivered: pd.DataFrame) -> dict[str, str]:
    """The names of the streets and communities by code (of its newest vintage), when `delivered` gives
    names to compare with them (none when it does not, as an edit through the API)."""
    if not any(name in delivered and delivered[name].notna().any() for name in PLACE_NAMES):
        return {}
    return place_names(conn)


def place_names(conn: psycopg.Connection) -> dict[str, str]:
    """The name of every street and community by code, of the code's newest vintage (today's name, as rows
    are located)."""
    return dict(conn.execute("SELECT code, name FROM onemap.admin_area "
                             "WHERE level IN ('street', 'community') ORDER BY vintage"))


def delivered_code_notes(delivered: pd.DataFrame, grid: np.ndarray, community: np.ndarray,
                         files: np.ndarray, rows: np.ndarray, names: Mapping[str, str]) -> list[str]:
    """Notes on the unit grid, community and street codes a survey delivered that are not those of
    the place its rows lie in: the located codes are stored, and GIS staff see where the contractor's
    grid (an older division, or a misplaced row) differs. Likewise the street and community names
    (所属街道, 所属社区), which are not stored: a name agrees when it is the official one's beginning, or
    begins with it, with the office's word (居委会, 办事处 …) left out of both (新沙社区, 新沙社区居委会)."""
    street = pd.Series(community, dtype=object).str.slice(0, 9).to_numpy(dtype=object)
    located = {"grid_code": grid, "community_code": community, "street_code": street}
    notes = []
    for name, codes in located.items():
        given = delivered[name].to_numpy(dtype=object)
        present = pd.notna(given)
        differs = np.flatnonzero(present & (np.where(present, given, "") != codes))
        notes += _delivered_other(name, differs, given, codes, files, rows)
    for name, codes in zip(PLACE_NAMES, (street, community), strict=True):
        if name not in delivered or delivered[name].isna().all():
            continue
        given = delivered[name].to_numpy(dtype=object)
        firsts, pair = distinct_combinations([given, codes])  # each (written, located) pair compared once
        agree = np.array([pd.isna(given[i]) or _same_place(str(given[i]), names.get(codes[i]))
                          for i in firsts], dtype=bool)
        notes += _delivered_other(name, np.flatnonzero(~agree[pair]), given, codes, files, rows, names)
    return notes


def _delivered_other(name: str, differs: np.ndarray, given: np.ndarray, located: np.ndarray,
                     files: np.ndarray, rows: np.ndarray,
                     names: Mapping[str, str] | None = None) -> list[str]:
    """The note on the rows `differs` whose delivered `name` is not the one `located` (a code, or with
    `names` the name of the place it codes, which is not stored), naming the first."""
    if not len(differs):
        return []
    first = int(differs[0])
    where = located[first] if names is None else names.get(located[first])
    return [f"{len(differs)} row(s) delivered a {name} other than the one of the place they lie in"
            f"{', which is stored' if names is None else ''} (first: {files[first]} row {rows[first]}: "
            f"{given[first]} delivered, {where if pd.notna(where) else 'none'} located)"]  # none: in no area


# The word for the office of a street or community, which official names carry and forms often leave out
_OFFICE = re.compile(r"(居民委员会|居委会|村民委员会|村委会|社区工作站|工作站|街道办事处|办事处|街道办)$")


def _same_place(written: str, official: str | None) -> bool:
    """Whether a delivered street or community name names the official one (see delivered_code_notes)."""
    if official is None:
        return False
    a, b = (_OFFICE.sub("", fold(n)) for n in (written, official))
    return bool(a) and bool(b) and (a.startswith(b) or b.startswith(a))


def serial_ranks(groups: np.ndarray, needs_id: np.ndarray) -> np.ndarray:
    """0-based rank, in row order, of each row needing an identifier within its group; -1 elsewhere."""
    ranks = np.full(len(groups), -1, dtype=np.int64)
    if needs_id.any():
        keys = pd.Series(groups[needs_id])
        ranks[needs_id] = keys.groupby(keys, sort=False).cumcount().to_numpy()
    return ranks


@dataclass(frozen=True)
class Allocation:
    """Serials per county+class group: the first of a consecutive block, or (where the group's counter
    was used up) the free serials taken instead, one per rank."""

    firsts: dict[str, int]
    reused: dict[str, np.ndarray]


def allocate(conn: psycopg.Connection, scheme: str, groups: np.ndarray, ranks: np.ndarray,
             delivered: np.ndarray) -> Allocation:
    """Reserve serials for the rows with a rank, per county+class group.

    Counters first rise above the serials of identifiers delivered with the survey and of those
    already stored, so a new identifier never repeats one; the counter row's lock serialises
    concurrent imports (migration 0002).
    """
    highest: dict[str, int] = {}
    delivered_serials: dict[str, list[int]] = {}
    given = ~pd.isna(delivered)
    if given.any():
        ids = pd.Series(delivered[given], dtype=object)
        serials = ids.str[-6:].astype(int)
        by_group = serials.groupby(ids.str[:-6])
        highest.update(by_group.max().to_dict())
        delivered_serials = {str(group): list(values) for group, values in by_group}
    needs = ranks >= 0
    counts = pd.Series(groups[needs]).value_counts().to_dict() if needs.any() else {}
    if counts:
        stored = conn.execute(_STORED_MAX_SQL, {"scheme": scheme, "groups": list(counts)}).fetchall()
        for group, serial in stored:
            highest[group] = max(highest.get(group, 0), int(serial))
    allocation = Allocation({}, {})
    for group in sorted(set(highest) | set(counts)):  # one lock order for every import
        if group in highest:
            conn.execute("SELECT onemap.reserve_component_serials_upto(%s, %s, %s, %s)",
                         (group[:6], scheme, group[6:], highest[group]))
        if group in counts:
            block = allocate_serials(conn, county_code=group[:6], scheme=scheme, class_code=group[6:],
                                     count=int(counts[group]), taken=delivered_serials.get(group, ()))
            if isinstance(block, range):
                allocation.firsts[str(group)] = block.start
            else:
                allocation.reused[str(group)] = block
    return allocation


def numbered(groups: np.ndarray, ranks: np.ndarray, allocation: Allocation,
             delivered: np.ndarray) -> np.ndarray:
    """Final identifiers: the delivered one, else group + (first serial + rank) in six digits, or the
    group's rank-th free serial where its counter was used up."""
    ids = np.asarray(delivered, dtype=object).copy()
    needs = ranks >= 0
    if needs.any():
        keys = pd.Series(groups[needs], dtype=object)
        rank = ranks[needs]
        serial = keys.map(allocation.firsts).fillna(0).to_numpy(dtype=np.int64) + rank
        for group, free in allocation.reused.items():
            mine = (keys == group).to_numpy()
            serial[mine] = free[rank[mine]]
        ids[needs] = (keys + pd.Series(serial).astype(str).str.zfill(6)).to_numpy(dtype=object)
    return ids
