"""Checking and repairing the input of the unit-grid division (communities and barriers).

Nothing is dropped silently: invalid geometries are repaired with `shapely.make_valid` and
listed as `Repair`s, small overlaps between communities are trimmed and listed, and anything
unusable raises `DivisionInputError` naming the feature (community code or barrier index).
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from grid_codes.errors import DivisionInputError

_COMMUNITY_CODE = re.compile(r"[0-9]{12}")
_POLYGONAL = {"Polygon", "MultiPolygon"}
_LINE_IDS = (1, 2, 5)  # shapely type ids: LineString, LinearRing, MultiLineString
_POLYGON_IDS = (3, 6)  # Polygon, MultiPolygon
# Overlaps below this are noise of shared boundaries, not overlaps to trim.
_NOISE_M2 = 1e-6


class Community(NamedTuple):
    """A community (社区/村) to divide: its 12-digit statistical code and its area in metres."""

    code: str
    geometry: BaseGeometry


@dataclass(frozen=True)
class Repair:
    """An invalid input geometry that was repaired with `shapely.make_valid`."""

    feature: str
    reason: str
    result: str


@dataclass(frozen=True)
class OverlapTrim:
    """An overlap within tolerance, removed from the community with the higher code."""

    community_code: str
    other_code: str
    area_m2: float


@dataclass(frozen=True)
class CleanInput:
    """Communities and barriers ready to divide, with what was repaired or trimmed."""

    codes: list[str]
    geometries: list[BaseGeometry]
    barriers: np.ndarray
    repairs: list[Repair]
    trims: list[OverlapTrim]


def clean_input(
    communities: Sequence[tuple[str, BaseGeometry]],
    barriers: Sequence[BaseGeometry],
    *,
    precision_m: float,
    overlap_tolerance_m2: float,
) -> CleanInput:
    """Validate, repair, snap to the precision grid and de-overlap the division input."""
    repairs: list[Repair] = []
    pairs = [_pair(i, community) for i, community in enumerate(communities)]
    codes = _community_codes([code for code, _ in pairs])
    geoms = [
        _community_geometry(geom, f"community {code} (index {i})", repairs)
        for i, (code, (_, geom)) in enumerate(zip(codes, pairs, strict=True))
    ]
    _reject_degrees(geoms)
    if precision_m > 0:
        geoms = list(shapely.set_precision(np.asarray(geoms, dtype=object), precision_m))
        for code, geom in zip(codes, geoms, strict=True):
            if geom.is_empty:
                raise DivisionInputError(
                    f"community {code} vanishes on the {precision_m} m precision grid"
                )
    lines = _barrier_lines(barriers, repairs)
    if precision_m > 0 and len(lines):
        lines = shapely.set_precision(lines, precision_m)
        lines = lines[~shapely.is_empty(lines)]
    trims = _trim_overlaps(codes, geoms, overlap_tolerance_m2)
    return CleanInput(codes, geoms, np.asarray(lines, dtype=object), repairs, trims)


def _pair(index: int, community: object) -> tuple[object, object]:
    """A community as (code, geometry); plain 2-tuples are accepted too."""
    if not isinstance(community, tuple) or len(community) != 2:
        raise DivisionInputError(f"community at index {index} is not a (code, geometry) pair")
    return community[0], community[1]


def _community_codes(raw_codes: list[object]) -> list[str]:
    """The 12-digit codes, checked for format and uniqueness."""
    codes: list[str] = []
    seen: dict[str, int] = {}
    for i, code in enumerate(raw_codes):
        if code is None:
            raise DivisionInputError(f"community at index {i} has no code")
        if not isinstance(code, str) or not _COMMUNITY_CODE.fullmatch(code):
            raise DivisionInputError(
                f"community at index {i} has a malformed code {code!r};"
                " expected 12 ASCII digits (county 6 + street 3 + community 3)"
            )
        if code in seen:
            raise DivisionInputError(
                f"community code {code} appears twice (indexes {seen[code]} and {i})"
            )
        seen[code] = i
        codes.append(code)
    return codes


def _community_geometry(geom: object, name: str, repairs: list[Repair]) -> BaseGeometry:
    """A valid polygonal geometry, repaired if needed."""
    if not isinstance(geom, BaseGeometry):
        raise DivisionInputError(f"{name} has no geometry (got {type(geom).__name__})")
    if geom.is_empty:
        raise DivisionInputError(f"{name} has an empty geometry")
    if geom.geom_type not in _POLYGONAL:
        raise DivisionInputError(f"{name} is a {geom.geom_type}; expected Polygon or MultiPolygon")
    if not np.isfinite(shapely.get_coordinates(geom)).all():
        raise DivisionInputError(f"{name} has non-finite coordinates")
    if geom.is_valid:
        return geom
    reason = shapely.is_valid_reason(geom)
    parts = shapely.get_parts(shapely.make_valid(geom))
    polys = parts[np.isin(shapely.get_type_id(parts), _POLYGON_IDS)]
    fixed = shapely.union_all(polys) if len(polys) else shapely.Polygon()
    if fixed.is_empty or fixed.area <= 0:
        raise DivisionInputError(f"{name} is invalid ({reason}) and has no area once repaired")
    repairs.append(Repair(name, reason, f"{fixed.geom_type} of {fixed.area:.1f} m²"))
    return fixed


def _reject_degrees(geoms: list[BaseGeometry]) -> None:
    """Refuse input that is evidently still in longitude/latitude degrees."""
    if not geoms:
        return
    x0, y0, x1, y1 = shapely.total_bounds(np.asarray(geoms, dtype=object))
    if -180 <= x0 <= x1 <= 180 and -90 <= y0 <= y1 <= 90 and max(x1 - x0, y1 - y0) < 2:
        raise DivisionInputError(
            "community coordinates look like longitude/latitude degrees; project them to a"
            " metric CRS (the city's Gauss-Krüger zone) before dividing"
        )


def _barrier_lines(barriers: Sequence[BaseGeometry], repairs: list[Repair]) -> np.ndarray:
    """Barrier geometries as LineStrings; polygonal barriers contribute their boundary."""
    for i, geom in enumerate(barriers):
        if not isinstance(geom, BaseGeometry):
            raise DivisionInputError(f"barrier {i} has no geometry (got {type(geom).__name__})")
    arr = np.empty(len(barriers), dtype=object)
    arr[:] = list(barriers)
    if not len(arr):
        return arr
    _first_bad(shapely.is_empty(arr), "barrier {} has an empty geometry")
    kinds = shapely.get_type_id(arr)
    wrong = ~np.isin(kinds, (*_LINE_IDS, *_POLYGON_IDS))
    if wrong.any():
        i = int(np.argmax(wrong))
        raise DivisionInputError(f"barrier {i} is a {arr[i].geom_type}; expected a line"
                                 " (or a polygon, whose boundary is used)")
    xy, index = shapely.get_coordinates(arr, return_index=True)
    infinite = np.zeros(len(arr), dtype=bool)
    infinite[index[~np.isfinite(xy).all(axis=1)]] = True
    _first_bad(infinite, "barrier {} has non-finite coordinates")
    for i in np.flatnonzero(~shapely.is_valid(arr)).tolist():
        arr[i] = _repaired_barrier(arr[i], f"barrier {i}", repairs)
    parts = shapely.get_parts(arr)
    polygonal = np.isin(shapely.get_type_id(parts), _POLYGON_IDS)
    parts[polygonal] = shapely.boundary(parts[polygonal])
    lines = shapely.get_parts(parts)
    return np.asarray(lines[np.isin(shapely.get_type_id(lines), _LINE_IDS)], dtype=object)


def _first_bad(bad: np.ndarray, message: str) -> None:
    """Raise for the first flagged barrier, naming its index."""
    if bad.any():
        raise DivisionInputError(message.format(int(np.argmax(bad))))


def _repaired_barrier(geom: BaseGeometry, name: str, repairs: list[Repair]) -> BaseGeometry:
    """An invalid barrier made valid; only its lines and polygons are kept."""
    reason = shapely.is_valid_reason(geom)
    fixed = shapely.make_valid(geom)
    parts = shapely.get_parts(fixed)
    usable = parts[np.isin(shapely.get_type_id(parts), (*_LINE_IDS, *_POLYGON_IDS))]
    result = (f"{len(usable)} part(s) kept" if len(usable)
              else f"became a {fixed.geom_type} without length; ignored")
    repairs.append(Repair(name, reason, result))
    return shapely.GeometryCollection(list(usable))


def _trim_overlaps(
    codes: list[str], geoms: list[BaseGeometry], tolerance_m2: float
) -> list[OverlapTrim]:
    """Reject overlaps above tolerance; remove smaller ones from the higher-coded community."""
    arr = np.asarray(geoms, dtype=object)
    i, j = shapely.STRtree(arr).query(arr, predicate="intersects")
    keep = i < j
    i, j = i[keep], j[keep]
    areas = shapely.area(shapely.intersection(arr[i], arr[j]))
    trims: list[OverlapTrim] = []
    for a, b, area in sorted(zip(i.tolist(), j.tolist(), areas.tolist(), strict=True)):
        if area <= _NOISE_M2:
            continue
        if area > tolerance_m2:
            raise DivisionInputError(
                f"communities {codes[a]} and {codes[b]} overlap by {area:.1f} m²"
                f" (tolerance {tolerance_m2:g} m²)"
            )
        low, high = (a, b) if codes[a] < codes[b] else (b, a)
        geoms[high] = shapely.difference(geoms[high], geoms[low])
        trims.append(OverlapTrim(codes[high], codes[low], area))
    return trims
