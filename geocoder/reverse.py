"""Reverse geocoding: points → unit grid cell, community, street, county, nearest door plate and road."""

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from geocoder.gazetteer import Gazetteer
from gis.crs import CGCS2000, WGS84, CrsSpec, bd09_to_wgs84, gcj02_to_wgs84, transformer
from gis.errors import InvalidParameter

DEFAULT_RADIUS_M = 200.0
_METRES_PER_DEGREE = 111_320.0


@dataclass(frozen=True)
class Place:
    lon: float
    lat: float
    grid_code: str | None
    community_code: str | None
    street_code: str | None
    county_code: str | None
    community: str | None
    street: str | None
    county: str | None
    door_plate: str | None
    door_plate_distance_m: float | None
    road: str | None
    road_distance_m: float | None


def to_cgcs2000(x: npt.ArrayLike, y: npt.ArrayLike, crs: CrsSpec | None) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates in any supported CRS (incl. GCJ-02, BD-09) → CGCS2000 lon/lat."""
    xs, ys = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if crs is None or crs.epsg in (CGCS2000, WGS84):
        return xs, ys
    if crs.offset == "gcj02":
        return gcj02_to_wgs84(xs, ys)
    if crs.offset == "bd09":
        return bd09_to_wgs84(xs, ys)
    assert crs.epsg is not None
    lon, lat = transformer(crs.epsg, CGCS2000).transform(xs, ys)
    return np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)


def check_point(lon: float, lat: float) -> None:
    if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
        raise InvalidParameter(f"lon/lat {lon}, {lat}: not a point on Earth (after CRS conversion)")


def _nearest(tree: object, labels: np.ndarray, lon: np.ndarray, lat: np.ndarray, radius_m: float
             ) -> tuple[np.ndarray, np.ndarray]:
    """Label and distance (m) of the nearest indexed geometry within the radius, per point."""
    import shapely

    names = np.full(len(lon), None, dtype=object)
    dist = np.full(len(lon), np.nan)
    if len(labels) == 0 or len(lon) == 0:
        return names, dist
    # degrees are shorter east-west: scale longitudes so that distances are metres / constant
    scale = math.cos(math.radians(float(np.mean(lat))))
    points = shapely.points(lon, lat)
    which, hit = tree.query_nearest(points, max_distance=radius_m / _METRES_PER_DEGREE / scale,  # type: ignore[attr-defined]
                                    all_matches=False)
    geoms = tree.geometries.take(hit)  # type: ignore[attr-defined]
    nearest = shapely.shortest_line(points[which], geoms)
    coords = shapely.get_coordinates(nearest).reshape(-1, 2, 2)
    dx = (coords[:, 1, 0] - coords[:, 0, 0]) * scale
    dy = coords[:, 1, 1] - coords[:, 0, 1]
    metres = np.hypot(dx, dy) * _METRES_PER_DEGREE
    ok = metres <= radius_m
    names[which[ok]] = labels[hit[ok]]
    dist[which[ok]] = np.round(metres[ok], 1)
    return names, dist


def reverse_many(gaz: Gazetteer, lon: np.ndarray, lat: np.ndarray, *, radius_m: float = DEFAULT_RADIUS_M
                 ) -> list[Place]:
    """Reverse-geocode CGCS2000 points in one vectorised pass."""
    codes = gaz.admin_codes(lon, lat)
    plates, plate_m = _nearest(gaz.plate_tree, gaz.plate_labels, lon, lat, radius_m)
    roads, road_m = _nearest(gaz.road_tree, gaz.road_tree_names, lon, lat, radius_m)

    def name(code: str | None) -> str | None:
        entry = gaz.admin.by_code.get(code) if code else None
        return entry.short_name if entry else None

    return [
        Place(float(lon[i]), float(lat[i]), codes["grid_code"][i], codes["community_code"][i],
              codes["street_code"][i], codes["county_code"][i], name(codes["community_code"][i]),
              name(codes["street_code"][i]), name(codes["county_code"][i]), plates[i],
              None if math.isnan(plate_m[i]) else float(plate_m[i]), roads[i],
              None if math.isnan(road_m[i]) else float(road_m[i]))
        for i in range(len(lon))
    ]


def reverse(gaz: Gazetteer, lon: float, lat: float, *, crs: CrsSpec | None = None,
            radius_m: float = DEFAULT_RADIUS_M) -> Place:
    """Reverse-geocode one point given in `crs` (default CGCS2000 lon/lat)."""
    if not (math.isfinite(lon) and math.isfinite(lat)):
        raise InvalidParameter("lon/lat must be finite numbers")
    x, y = to_cgcs2000([lon], [lat], crs)
    check_point(float(x[0]), float(y[0]))
    if not 0 < radius_m <= 5000:
        raise InvalidParameter(f"radius {radius_m}: between 0 and 5000 metres")
    return reverse_many(gaz, x, y, radius_m=radius_m)[0]
