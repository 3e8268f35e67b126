"""Automatic unit-grid division (单元网格自动划分) of communities, with codes and a report.

Input is in a projected metric CRS (the caller projects to the city's CGCS2000 Gauss-Krüger
zone): communities (12-digit code + polygon) and barrier lines (roads, rivers, railways,
walls). Each community is divided on its own, so every cell lies inside exactly one
community and the cells of a community tile it exactly (GB/T 30428.1 无缝拼接, 属地管理).

Algorithm, per community:

1. Linework: the community boundary plus the barriers clipped to it; a dangling barrier end
   closer than `snap_tolerance_m` to another line is joined to it (undershoots in surveys).
2. Faces: the linework is noded (`union_all`) and polygonised; faces in holes are dropped.
3. Merge: a face below the minimum area, or narrower than `min_sliver_width_m` (mean width
   2·area/perimeter), joins the neighbour it shares the longest edge with; smallest first,
   repeated until no such face has a neighbour (STRtree adjacency, a heap, no O(n²) scan).
4. Cut: a merged face above the maximum area is cut into n = round(area/target) pieces by
   straight cuts: each cut is perpendicular to the long axis of the piece's minimum rotated
   rectangle, at the position that leaves ⌊n/2⌋ target-sized shares on one side, recursively.
   Cuts become part of the linework, the linework is polygonised again and step 3 runs on
   the pieces (absorbing fragments of concave faces); at most four rounds.

Every cell is a union of faces of one noded linework, so cells share edges exactly.

Area band: target `target_area_m2` (10,000 m², the 万米单元网格 of the Dongcheng model;
README §1.1: a practice, not a normative number), minimum `min_area_ratio` × target and
maximum `max_area_ratio` × target, by default 0.3–2.0, i.e. 3,000–20,000 m². A face inside
the band is kept whole, so cells follow roads wherever the road network allows; pieces of
a cut face come out near the target (about 0.83–1.25 × for convex faces). Cells outside
the band are flagged with the reason: a small face with no neighbour in its community (an
island, or the community itself), or a face the cuts could not bring under the maximum.

Numbering and stability are in `grid_codes.division_numbering`: serials 001… west→east,
north→south in row bands of `row_height_m` (default √target, 100 m); with a previous
division, unchanged cells keep their codes and new cells get serials after the highest ever
issued (never a retired one). A code is the community code + the 3-digit serial.
"""

import statistics
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import NamedTuple

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from grid_codes.division_faces import FaceCell, Limits, TilingError, divide_polygon
from grid_codes.division_input import Community, OverlapTrim, Repair, clean_input
from grid_codes.division_numbering import (
    MAX_SERIAL,
    assign_serials,
    match_previous,
    serial_order,
)
from grid_codes.errors import DivisionInputError

__all__ = [
    "CellFlag",
    "Community",
    "CommunityReport",
    "Division",
    "DivisionOptions",
    "DivisionReport",
    "GridCell",
    "OverlapTrim",
    "Repair",
    "divide_communities",
]


@dataclass(frozen=True)
class DivisionOptions:
    """Area band and tolerances of a division; areas in m², lengths in m."""

    target_area_m2: float = 10_000.0  # the 万米单元网格
    min_area_ratio: float = 0.3  # smaller faces are merged into a neighbour
    max_area_ratio: float = 2.0  # larger faces are cut
    snap_tolerance_m: float = 1.0  # dangling barrier ends this close to a line are joined to it
    min_sliver_width_m: float = 5.0  # faces of smaller mean width (2·area/perimeter) are merged
    precision_m: float = 0.001  # input coordinates are snapped to this grid
    overlap_tolerance_m2: float = 1.0  # larger overlaps between communities are errors
    stability_tolerance: float = 1e-4  # max symmetric difference / area for "unchanged" cells
    row_height_m: float | None = None  # numbering row bands; None: √target_area_m2

    def __post_init__(self) -> None:
        """Reject a band that cannot work or a negative (or NaN) tolerance."""
        if not self.target_area_m2 > 0:
            raise DivisionInputError(f"target_area_m2 must be positive, got {self.target_area_m2}")
        if not 0 < self.min_area_ratio < 1 < self.max_area_ratio:
            raise DivisionInputError(
                "the area band needs 0 < min_area_ratio < 1 < max_area_ratio, got"
                f" {self.min_area_ratio}–{self.max_area_ratio}"
            )
        if self.max_area_ratio < 2 * self.min_area_ratio:
            raise DivisionInputError(
                "max_area_ratio must be at least twice min_area_ratio, or merged small faces"
                " and cut pieces cannot both fit the band"
            )
        for name in ("snap_tolerance_m", "min_sliver_width_m", "precision_m",
                     "overlap_tolerance_m2", "stability_tolerance"):
            if not getattr(self, name) >= 0:
                raise DivisionInputError(f"{name} must be a number ≥ 0, got {getattr(self, name)}")
        if self.row_height_m is not None and not self.row_height_m > 0:
            raise DivisionInputError(f"row_height_m must be positive, got {self.row_height_m}")

    @property
    def min_area_m2(self) -> float:
        """Lower end of the area band."""
        return self.min_area_ratio * self.target_area_m2

    @property
    def max_area_m2(self) -> float:
        """Upper end of the area band."""
        return self.max_area_ratio * self.target_area_m2

    @property
    def row_band_m(self) -> float:
        """Height of the row bands used for numbering."""
        return self.row_height_m or self.target_area_m2**0.5


class CellFlag(StrEnum):
    """Where a cell's area lies relative to the band."""

    IN_BAND = "in_band"
    BELOW_MIN = "below_min"
    ABOVE_MAX = "above_max"


@dataclass(frozen=True)
class GridCell:
    """One unit grid cell: 15-digit code, its community, serial, geometry (metres), area."""

    code: str
    community_code: str
    serial: int
    geometry: BaseGeometry
    area_m2: float
    flag: CellFlag = CellFlag.IN_BAND
    note: str = ""


@dataclass(frozen=True)
class CommunityReport:
    """What the division did to one community."""

    community_code: str
    cell_count: int
    area_min_m2: float
    area_median_m2: float
    area_max_m2: float
    out_of_band: tuple[tuple[str, str], ...]
    kept_codes: int
    new_codes: int
    retired_codes: tuple[str, ...]


@dataclass(frozen=True)
class DivisionReport:
    """Per-community statistics, repaired geometries and trimmed overlaps of one division."""

    options: DivisionOptions
    communities: tuple[CommunityReport, ...]
    repairs: tuple[Repair, ...] = ()
    trims: tuple[OverlapTrim, ...] = ()

    @property
    def cell_count(self) -> int:
        """Number of cells over all communities."""
        return sum(c.cell_count for c in self.communities)


class Division(NamedTuple):
    """The cells, ordered by code, and the report."""

    cells: list[GridCell]
    report: DivisionReport


def divide_communities(
    communities: Sequence[tuple[str, BaseGeometry]],
    barriers: Sequence[BaseGeometry],
    options: DivisionOptions | None = None,
    *,
    previous: Sequence[GridCell] = (),
    highest_serials: Mapping[str, int] | None = None,
) -> Division:
    """Divide communities into coded unit grid cells along barriers; see the module docstring.

    `previous` is the last division: cells whose geometry is unchanged keep their codes.
    `highest_serials` (community code → serial) names the highest serial ever issued, when
    retired cells are no longer in `previous`; new serials start above it.
    """
    opts = options or DivisionOptions()
    clean = clean_input(communities, barriers, precision_m=opts.precision_m,
                        overlap_tolerance_m2=opts.overlap_tolerance_m2)
    limits = Limits(opts.target_area_m2, opts.min_area_m2, opts.max_area_m2,
                    opts.min_sliver_width_m, opts.snap_tolerance_m)
    tree = shapely.STRtree(clean.barriers)
    old_by_community: dict[str, list[GridCell]] = defaultdict(list)
    for cell in previous:
        old_by_community[cell.community_code].append(cell)
    cells: list[GridCell] = []
    reports: list[CommunityReport] = []
    for code, geom in zip(clean.codes, clean.geometries, strict=True):
        near = clean.barriers[tree.query(geom, predicate="intersects")]
        try:
            faces = divide_polygon(geom, near, limits)
        except (TilingError, shapely.errors.GEOSException) as exc:
            raise DivisionInputError(f"community {code} cannot be divided: {exc}") from None
        floor = (highest_serials or {}).get(code, 0)
        coded, report = _number(code, geom, faces, old_by_community[code], floor, opts)
        cells.extend(coded)
        reports.append(report)
    cells.sort(key=lambda c: c.code)
    return Division(
        cells, DivisionReport(opts, tuple(reports), tuple(clean.repairs), tuple(clean.trims))
    )


def _number(
    code: str,
    community: BaseGeometry,
    faces: list[FaceCell],
    old: list[GridCell],
    floor: int,
    opts: DivisionOptions,
) -> tuple[list[GridCell], CommunityReport]:
    """Serials for one community's cells (keeping previous ones) and its report."""
    geoms = np.asarray([f.geometry for f in faces], dtype=object)
    old_geoms = np.asarray([c.geometry for c in old], dtype=object)
    matched = match_previous(geoms, old_geoms, opts.stability_tolerance)
    kept = np.array([old[m].serial if m >= 0 else 0 for m in matched.tolist()], dtype=np.int64)
    highest = max([floor, *(c.serial for c in old)])
    order = serial_order(shapely.get_coordinates(shapely.centroid(geoms)),
                         shapely.bounds(community)[3], opts.row_band_m)
    serials = assign_serials(order, kept, highest)
    if len(serials) and serials.max() > MAX_SERIAL:
        raise DivisionInputError(
            f"community {code} needs {len(faces)} cells (serials up to {serials.max()}), more"
            f" than the {MAX_SERIAL} a 3-digit serial allows; raise target_area_m2"
            f" (now {opts.target_area_m2:g} m²) or split the community"
        )
    cells = [
        GridCell(f"{code}{serial:03d}", code, serial, face.geometry, face.geometry.area,
                 CellFlag(face.flag), face.note)
        for face, serial in zip(faces, serials.tolist(), strict=True)
    ]
    cells.sort(key=lambda c: c.serial)
    areas = [c.area_m2 for c in cells]
    used = {old[m].code for m in matched.tolist() if m >= 0}
    report = CommunityReport(
        community_code=code,
        cell_count=len(cells),
        area_min_m2=min(areas),
        area_median_m2=statistics.median(areas),
        area_max_m2=max(areas),
        out_of_band=tuple((c.code, c.note) for c in cells if c.flag is not CellFlag.IN_BAND),
        kept_codes=len(used),
        new_codes=len(cells) - len(used),
        retired_codes=tuple(sorted(c.code for c in old if c.code not in used)),
    )
    return cells, report
