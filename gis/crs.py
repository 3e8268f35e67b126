"""Coordinate reference systems of a Chinese city: CGCS2000, its Gauss-Krüger zones, WGS84, Web Mercator."""

from functools import lru_cache

import numpy as np
import shapely
from pyproj import Transformer

from gis.errors import InvalidParameter

CGCS2000 = 4490
WGS84 = 4326
WEB_MERCATOR = 3857

# EPSG:4534 is "CGCS2000 / 3-degree Gauss-Kruger CM 75E"; the central-meridian forms of the
# 3-degree zones run consecutively to EPSG:4554 (CM 135E), covering China.
_FIRST_CM_EPSG = 4534
_FIRST_CM, _LAST_CM = 75, 135


def gauss_kruger_epsg(lon: float) -> int:
    """EPSG code of the CGCS2000 3-degree Gauss-Krüger CRS (central-meridian form) for a longitude."""
    central_meridian = 3 * round(lon / 3)
    if not _FIRST_CM <= central_meridian <= _LAST_CM:
        raise InvalidParameter(
            f"longitude {lon} lies outside the CGCS2000 Gauss-Krüger zones of China (73.5°E–136.5°E)"
        )
    return _FIRST_CM_EPSG + (central_meridian - _FIRST_CM) // 3


@lru_cache(maxsize=64)
def transformer(source_epsg: int, target_epsg: int) -> Transformer:
    """A cached lon/lat-ordered (always_xy) transformer between two EPSG codes."""
    return Transformer.from_crs(source_epsg, target_epsg, always_xy=True)


def transform(geometry: shapely.Geometry, source_epsg: int, target_epsg: int) -> shapely.Geometry:
    """Reproject a shapely geometry (or array of them), x/y in lon/lat order for geographic CRSs."""
    if source_epsg == target_epsg:
        return geometry
    t = transformer(source_epsg, target_epsg)

    def _xy(coords: np.ndarray) -> np.ndarray:
        x, y = t.transform(coords[:, 0], coords[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geometry, _xy)
