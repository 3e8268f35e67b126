"""Street and community polygons for the demo city, generated from its road network.

No open source publishes the street (街道) and community (社区) boundaries of
Futian, so the demo derives plausible ones, reproducibly, from OpenStreetMap:

1. the demo area is the convex hull of the road network;
2. the streets open to traffic (motorway … tertiary, residential, unclassified,
   living streets) and the hull boundary are noded and polygonised into blocks,
   which tile the area exactly; blocks larger than a lattice cell (parks, golf
   courses) are cut by a square lattice so that grouping has comparable units;
3. blocks are grouped into streets, then each street's blocks into communities,
   by recursive area-balanced bisection of block centroids along the longer axis;
4. groups are numbered north→south, west→east and given the real codes in the
   order they are listed.

The polygons are therefore synthetic; the codes and names are real.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

BLOCK_HIGHWAYS = frozenset({
    "motorway", "trunk", "primary", "secondary", "tertiary",
    "residential", "unclassified", "living_street",
})
LATTICE_M = 300.0


@dataclass(frozen=True)
class AreaSpec:
    """A real division code to place, with its children (communities of a street)."""

    code: str
    name: str
    children: tuple["AreaSpec", ...] = ()


@dataclass(frozen=True)
class GeneratedArea:
    code: str
    name: str
    level: str
    parent_code: str | None
    geometry: BaseGeometry  # MultiPolygon in the input CRS


def _faces(noded: BaseGeometry, extent: BaseGeometry) -> np.ndarray:
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(noded)))
    return faces[shapely.within(shapely.point_on_surface(faces), extent)]


def blocks_from_roads(
    roads: Sequence[BaseGeometry], extent: BaseGeometry, lattice_m: float = LATTICE_M
) -> np.ndarray:
    """Faces of the roads clipped to `extent` plus its boundary, big ones cut by a lattice.

    Coordinates must be metric. The faces come from one noded linework, so they tile
    `extent` exactly and neighbours share their edges vertex for vertex.
    """
    lines = shapely.intersection(np.asarray(roads, dtype=object), extent)
    noded = shapely.union_all(np.append(lines, extent.boundary))
    faces = _faces(noded, extent)
    big = faces[shapely.area(faces) > lattice_m * lattice_m]
    if len(big) == 0:
        return faces
    x0, y0, x1, y1 = shapely.total_bounds(extent)
    verticals = [shapely.LineString([(x, y0), (x, y1)]) for x in np.arange(x0 + lattice_m, x1, lattice_m)]
    horizontals = [shapely.LineString([(x0, y), (x1, y)])
                   for y in np.arange(y0 + lattice_m, y1, lattice_m)]
    cuts = shapely.intersection(np.asarray(verticals + horizontals, dtype=object), shapely.union_all(big))
    return _faces(shapely.union_all(np.append(cuts, noded)), extent)


def _bisect(indices: np.ndarray, centroids: np.ndarray, areas: np.ndarray, parts: int) -> list:
    """Split block indices into `parts` area-balanced, spatially compact groups."""
    if parts == 1:
        return [indices]
    if len(indices) < parts:
        raise ValueError(f"cannot split {len(indices)} blocks into {parts} areas")
    pts = centroids[indices]
    axis = 0 if np.ptp(pts[:, 0]) >= np.ptp(pts[:, 1]) else 1
    order = indices[np.lexsort((pts[:, 1 - axis], pts[:, axis]))]
    left_parts = parts // 2
    cumulative = np.cumsum(areas[order])
    cut = int(np.searchsorted(cumulative, cumulative[-1] * left_parts / parts))
    cut = min(max(cut, left_parts), len(order) - (parts - left_parts))
    return (_bisect(order[:cut], centroids, areas, left_parts)
            + _bisect(order[cut:], centroids, areas, parts - left_parts))


def _north_west_first(groups: list, centroids: np.ndarray, areas: np.ndarray) -> list:
    """Order groups in rows from north to south, west to east within a row.

    A row is started whenever a centre lies more than half a typical group's side below
    the first centre of the current row, so near-equal latitudes stay in one row.
    """
    centres = np.array([np.average(centroids[g], axis=0, weights=areas[g]) for g in groups])
    half_side = np.sqrt(np.mean([areas[g].sum() for g in groups])) / 2
    rows = np.zeros(len(groups), dtype=int)
    row, top = 0, None
    for i in np.argsort(-centres[:, 1], kind="stable"):
        if top is not None and top - centres[i, 1] > half_side:
            row += 1
            top = None
        if top is None:
            top = centres[i, 1]
        rows[i] = row
    return [groups[i] for i in np.lexsort((centres[:, 0], rows))]


def divide(blocks: np.ndarray, streets: Sequence[AreaSpec]) -> list[GeneratedArea]:
    """Group blocks into the given streets and their communities; return streets then communities."""
    centroids = shapely.get_coordinates(shapely.centroid(blocks))
    areas = shapely.area(blocks)
    everything = np.arange(len(blocks))
    street_groups = _north_west_first(
        _bisect(everything, centroids, areas, len(streets)), centroids, areas)
    result: list[GeneratedArea] = []
    communities: list[GeneratedArea] = []
    for street, group in zip(streets, street_groups, strict=True):
        result.append(_area(street, "street", None, blocks[group]))
        parts = _north_west_first(
            _bisect(group, centroids, areas, len(street.children)), centroids, areas)
        communities.extend(
            _area(community, "community", street.code, blocks[part])
            for community, part in zip(street.children, parts, strict=True)
        )
    return result + communities


def _area(spec: AreaSpec, level: str, parent: str | None, blocks: np.ndarray) -> GeneratedArea:
    merged = shapely.coverage_union_all(blocks)
    if merged.geom_type == "Polygon":
        merged = shapely.MultiPolygon([merged])
    return GeneratedArea(spec.code, spec.name, level, parent, merged)
