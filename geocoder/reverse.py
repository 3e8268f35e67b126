"""Reverse geocoding: points → unit grid cell, community, street, county, nearest door plate and road."""

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from geocoder.forward import OUTSIDE_GRID
from geocoder.gazetteer import Gazetteer
from gis.crs import CrsSpec, xy_to_cgcs2000
from gis.errors import InvalidParameter

DEFAULT_RADIUS_M = 200.0
_METRES_PER_DEGREE = 111_320.0
_OUTSIDE_GRID = f"{OUTSIDE_GRID}: no loaded grid cell holds the point; check the coordinates and their crs"
_OUTSIDE_CITY = (f"{OUTSIDE_GRID}: no loaded grid cell or district holds the point (it lies outside the "
                 "loaded city); check the coordinates and their crs")


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
    reason: str | None  # why the point has no grid code, else None


def check_point(lon: float, lat: float) -> None:
    if not (math.isfinite(lon) and math.isfinite(lat) and -180 <= lon <= 180 and -90 <= lat <= 90):
        raise InvalidParameter(f"lon/lat {lon}, {lat}: not a point on Earth (after CRS conversion)")


def reverse_columns(
    gaz: Gazetteer, lon: np.ndarray, lat: np.ndarray, *, radius_m: float = DEFAULT_RADIUS_M
) -> dict[str, np.ndarray]:
    """Reverse-geocode CGCS2000 points in one vectorised pass: one array per Place field."""
    columns: dict[str, np.ndarray] = {"lon": lon, "lat": lat, **gaz.admin_codes(lon, lat)}
    for level in ("community", "street", "county"):
        codes = columns[f"{level}_code"]
        names = {c: (e.short_name if (e := gaz.admin.by_code.get(c)) else None) for c in set(codes) if c}
        columns[level] = np.array([names.get(c) if c else None for c in codes], dtype=object)
    columns["door_plate"], columns["door_plate_distance_m"] = gaz.near_plates.nearest(lon, lat, radius_m)
    columns["road"], columns["road_distance_m"] = gaz.near_roads.nearest(lon, lat, radius_m)
    columns["reason"] = np.array(
        [None if cell else _OUTSIDE_CITY if not county else _OUTSIDE_GRID
         for cell, county in zip(columns["grid_code"], columns["county_code"], strict=True)],
        dtype=object,
    )
    return columns


def reverse_many(
    gaz: Gazetteer, lon: np.ndarray, lat: np.ndarray, *, radius_m: float = DEFAULT_RADIUS_M
) -> list[Place]:
    """reverse_columns as one Place per point."""
    columns = reverse_columns(gaz, lon, lat, radius_m=radius_m)
    fields = [f.name for f in dataclasses.fields(Place)]
    rows = zip(*(columns[f].tolist() for f in fields), strict=True)
    clean: list[list[Any]] = [
        [None if isinstance(v, float) and math.isnan(v) else v for v in row] for row in rows
    ]
    return [Place(*values) for values in clean]


def reverse(
    gaz: Gazetteer, lon: float, lat: float, *, crs: CrsSpec | None = None, radius_m: float = DEFAULT_RADIUS_M
) -> Place:
    """Reverse-geocode one point given in `crs` (default CGCS2000 lon/lat)."""
    if not (math.isfinite(lon) and math.isfinite(lat)):
        raise InvalidParameter("lon/lat must be finite numbers")
    x, y = xy_to_cgcs2000([lon], [lat], crs)
    check_point(float(x[0]), float(y[0]))
    if not 0 < radius_m <= 5000:
        raise InvalidParameter(f"radius {radius_m}: between 0 and 5000 metres")
    return reverse_many(gaz, x, y, radius_m=radius_m)[0]
