"""Gauss-Krüger coordinates as Chinese surveys write them.

A surveyor's easting may carry its zone number in front (38512345.6: zone 38, 512345.6 m) or not
(512345.6 in the central-meridian form); EPSG has a CRS for each form, per datum (CGCS2000,
Xian 1980, Beijing 1954, New Beijing). Surveyors also write X for the northing and Y for the
easting, the reverse of a map's x/y. This module names the CRS that fits such coordinates.
"""

import re
from functools import lru_cache

import numpy as np
import numpy.typing as npt
from pyproj.database import query_crs_info
from pyproj.enums import PJType

from gis.crs import CrsSpec, area_of_use, central_meridian, in_china, pyproj_crs, xy_to_cgcs2000

ZONE_FACTOR = 1_000_000  # the zone number stands in front of an easting's six integer digits
SIX_DEGREE_ZONES = range(13, 24)  # China's 6-degree zones (CM 75E to 135E)
THREE_DEGREE_ZONES = range(25, 46)  # China's 3-degree zones (CM 75E to 135E)
# An easting is the 500 km false easting ± the zone's half-width (≤ 340 km at China's latitudes).
_EASTING_RANGE = (100_000.0, 900_000.0)
_NAME = re.compile(
    r"^(?P<datum>.+) / (?P<three>3-degree )?Gauss-Kruger (?:zone (?P<zone>\d+)|CM (?P<cm>\d+)E)$")
# How far beyond a CRS's area of use coordinates still count as inside it (a share of its extent):
# cities straddling a zone boundary are surveyed in one zone.
AREA_MARGIN = 0.25
# How far from its central meridian a transverse Mercator grid is used: half a 6-degree zone, and the
# same margin
_GRID_HALF_WIDTH = 3.0 * (1 + AREA_MARGIN)


def zone_in_eastings(x: npt.ArrayLike) -> int | None:
    """The zone number every finite easting starts with (38 for 38512345.6), or None."""
    values = np.asarray(x, dtype=np.float64)
    values = values[np.isfinite(values)]
    if not len(values):
        return None
    zones = np.unique(np.floor(values / ZONE_FACTOR))
    if len(zones) != 1:
        return None
    zone = int(zones[0])
    if zone not in SIX_DEGREE_ZONES and zone not in THREE_DEGREE_ZONES:
        return None
    rest = values - zone * ZONE_FACTOR
    return zone if ((rest >= _EASTING_RANGE[0]) & (rest <= _EASTING_RANGE[1])).all() else None


def datum_of(epsg: int) -> str | None:
    """The datum part of a Gauss-Krüger CRS's EPSG name ('Xian 1980'), or None for other CRSs."""
    match = _NAME.match(pyproj_crs(epsg).name)
    return match["datum"] if match else None


def zone_form_epsg(zone: int, datum: str = "CGCS2000") -> int | None:
    """The EPSG code of `datum`'s Gauss-Krüger CRS whose eastings carry `zone` in front."""
    kind = "3-degree " if zone in THREE_DEGREE_ZONES else ""
    return _gauss_kruger_codes().get(f"{datum} / {kind}Gauss-Kruger zone {zone}")


def central_meridian_form_epsg(epsg: int) -> int | None:
    """The central-meridian form (eastings without the zone number) of a zone-form CRS, or None."""
    match = _NAME.match(pyproj_crs(epsg).name)
    if match is None or match["zone"] is None:
        return None
    zone = int(match["zone"])
    three = match["three"] is not None
    meridian = 3 * zone if three else 6 * zone - 3
    kind = "3-degree " if three else ""
    return _gauss_kruger_codes().get(f"{match['datum']} / {kind}Gauss-Kruger CM {meridian}E")


def inside_area(epsg: int, x: npt.ArrayLike, y: npt.ArrayLike) -> npt.NDArray[np.bool_]:
    """True where (x, y) lies in the CRS's area of use, widened by AREA_MARGIN of its extent."""
    x0, y0, x1, y1 = area_of_use(epsg)
    dx, dy = (x1 - x0) * AREA_MARGIN, (y1 - y0) * AREA_MARGIN
    xa, ya = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    return (xa >= x0 - dx) & (xa <= x1 + dx) & (ya >= y0 - dy) & (ya <= y1 + dy)


def inside_crs(source: CrsSpec, x: npt.ArrayLike, y: npt.ArrayLike) -> npt.NDArray[np.bool_]:
    """True where plane coordinates (x, y) lie where the projected CRS is meant for: its EPSG area of use;
    for a CRS without an EPSG code (a city's independent grid), in China and, for a transverse Mercator,
    within half a 6-degree zone of its central meridian."""
    if source.epsg is not None:
        return inside_area(source.epsg, x, y)
    lon, lat = xy_to_cgcs2000(x, y, source)
    inside = in_china(lon, lat)
    meridian = central_meridian(source)
    return inside if meridian is None else inside & (np.abs(lon - meridian) <= _GRID_HALF_WIDTH)


def crs_label(epsg: int) -> str:
    return f"EPSG:{epsg} ({pyproj_crs(epsg).name})"


@lru_cache(maxsize=1)
def _gauss_kruger_codes() -> dict[str, int]:
    """EPSG code by name of every projected Gauss-Krüger CRS in the PROJ database."""
    return {info.name: int(info.code)
            for info in query_crs_info(auth_name="EPSG", pj_types=PJType.PROJECTED_CRS)
            if "Gauss-Kruger" in info.name}
