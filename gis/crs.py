"""CRSs of a Chinese city: CGCS2000, its Gauss-Krüger zones, WGS84, Web Mercator, GCJ-02 and BD-09."""

import contextlib
import math
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal, cast

import numpy as np
import numpy.typing as npt
import shapely
from pyproj import CRS, Geod, Transformer
from pyproj.exceptions import CRSError

from gis.errors import InvalidParameter

CGCS2000 = 4490
_CGCS2000_ELLIPSOID = Geod(ellps="GRS80")  # CGCS2000's ellipsoid has GRS80's a and 1/f
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


# ---- Chinese consumer-map offsets: GCJ-02 (国测局 "火星坐标", Amap/Tencent) and BD-09 (Baidu) -------------
# GCJ-02 adds to WGS84 lon/lat an offset given by the published polynomial + sine model below, scaled on the
# Krasovsky ellipsoid; BD-09 rotates and shifts GCJ-02 in polar form. Both are defined only as forward maps:
# the inverses here iterate to < 1e-7 degrees (about 1 cm).

# Rough bounding box (lon_min, lat_min, lon_max, lat_max) of the offset area, the test used by the
# published implementations. It is coarse on purpose: it also covers Hong Kong, Macau, Taiwan and parts of
# neighbouring countries, where consumer maps may not offset; points outside it are returned unchanged.
CHINA_OFFSET_BBOX = (72.004, 0.8293, 137.8347, 55.8271)
_KRASOVSKY_A = 6378245.0
_KRASOVSKY_EE = 0.00669342162296594323
_BD_X_PI = math.pi * 3000.0 / 180.0
_INVERSE_TOLERANCE = 1e-7
_MAX_ITERATIONS = 30

FloatArray = npt.NDArray[np.float64]


def _as_float(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    lon_a, lat_a = np.broadcast_arrays(np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64))
    return lon_a.copy(), lat_a.copy()


def in_offset_area(lon: npt.ArrayLike, lat: npt.ArrayLike) -> npt.NDArray[np.bool_]:
    """True where a lon/lat lies in CHINA_OFFSET_BBOX, the rough area where GCJ-02/BD-09 offsets apply."""
    lon_a, lat_a = _as_float(lon, lat)
    west, south, east, north = CHINA_OFFSET_BBOX
    return (lon_a >= west) & (lon_a <= east) & (lat_a >= south) & (lat_a <= north)


def _gcj02_offset(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """The GCJ-02 offset (dlon, dlat) in degrees at WGS84 lon/lat, everywhere (no area test)."""
    x, y = lon - 105.0, lat - 35.0
    pi = math.pi
    common = (20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)) * 2.0 / 3.0
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x)) + common
    dlat += (20.0 * np.sin(y * pi) + 40.0 * np.sin(y / 3.0 * pi)) * 2.0 / 3.0
    dlat += (160.0 * np.sin(y / 12.0 * pi) + 320.0 * np.sin(y * pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x)) + common
    dlon += (20.0 * np.sin(x * pi) + 40.0 * np.sin(x / 3.0 * pi)) * 2.0 / 3.0
    dlon += (150.0 * np.sin(x / 12.0 * pi) + 300.0 * np.sin(x / 30.0 * pi)) * 2.0 / 3.0
    # Metres to degrees on the Krasovsky ellipsoid: meridional and prime-vertical radii of curvature.
    rad_lat = np.radians(lat)
    magic = 1.0 - _KRASOVSKY_EE * np.sin(rad_lat) ** 2
    meridional = _KRASOVSKY_A * (1.0 - _KRASOVSKY_EE) / (magic * np.sqrt(magic))
    prime_vertical = _KRASOVSKY_A / np.sqrt(magic)
    return np.degrees(dlon / (prime_vertical * np.cos(rad_lat))), np.degrees(dlat / meridional)


def _gcj02_to_bd09_everywhere(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    z = np.hypot(lon, lat) + 0.00002 * np.sin(lat * _BD_X_PI)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * _BD_X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def _invert(
    forward: Callable[[FloatArray, FloatArray], tuple[FloatArray, FloatArray]],
    lon: FloatArray,
    lat: FloatArray,
    start: tuple[FloatArray, FloatArray],
) -> tuple[FloatArray, FloatArray]:
    """Solve forward(p) = (lon, lat) by fixed-point iteration from `start` until steps are < 1e-7 degrees."""
    p_lon, p_lat = start
    for _ in range(_MAX_ITERATIONS):
        f_lon, f_lat = forward(p_lon, p_lat)
        step_lon, step_lat = lon - f_lon, lat - f_lat
        p_lon, p_lat = p_lon + step_lon, p_lat + step_lat
        # NaN steps (NaN input) compare False, so they count as converged.
        if not np.any((np.abs(step_lon) >= _INVERSE_TOLERANCE) | (np.abs(step_lat) >= _INVERSE_TOLERANCE)):
            break
    return p_lon, p_lat


def _where_inside(
    lon: FloatArray, lat: FloatArray, converted: tuple[FloatArray, FloatArray]
) -> tuple[FloatArray, FloatArray]:
    inside = in_offset_area(lon, lat)
    return np.where(inside, converted[0], lon), np.where(inside, converted[1], lat)


def wgs84_to_gcj02(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """WGS84 lon/lat to GCJ-02 (Amap, Tencent); points outside CHINA_OFFSET_BBOX are unchanged."""
    lon_a, lat_a = _as_float(lon, lat)
    dlon, dlat = _gcj02_offset(lon_a, lat_a)
    return _where_inside(lon_a, lat_a, (lon_a + dlon, lat_a + dlat))


def _forward_gcj02(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    dlon, dlat = _gcj02_offset(lon, lat)
    return lon + dlon, lat + dlat


def gcj02_to_wgs84(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """GCJ-02 lon/lat to WGS84 by iterating the forward offset (error ≪ 1 cm); outside China unchanged."""
    lon_a, lat_a = _as_float(lon, lat)
    return _where_inside(lon_a, lat_a, _invert(_forward_gcj02, lon_a, lat_a, (lon_a, lat_a)))


def gcj02_to_bd09(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """GCJ-02 lon/lat to BD-09 (Baidu); points outside CHINA_OFFSET_BBOX are unchanged."""
    lon_a, lat_a = _as_float(lon, lat)
    return _where_inside(lon_a, lat_a, _gcj02_to_bd09_everywhere(lon_a, lat_a))


def bd09_to_gcj02(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """BD-09 lon/lat to GCJ-02: the published closed form refined by iteration; outside China unchanged."""
    lon_a, lat_a = _as_float(lon, lat)
    x, y = lon_a - 0.0065, lat_a - 0.006
    z = np.hypot(x, y) - 0.00002 * np.sin(y * _BD_X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _BD_X_PI)
    start = (z * np.cos(theta), z * np.sin(theta))
    return _where_inside(lon_a, lat_a, _invert(_gcj02_to_bd09_everywhere, lon_a, lat_a, start))


def wgs84_to_bd09(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """WGS84 lon/lat to BD-09 (via GCJ-02); points outside CHINA_OFFSET_BBOX are unchanged."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """BD-09 lon/lat to WGS84 (via GCJ-02); points outside CHINA_OFFSET_BBOX are unchanged."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


# ---- Source CRS of an import file ------------------------------------------------------------------------

Offset = Literal["gcj02", "bd09"]
_OFFSET_NAMES: dict[str, Offset] = {"gcj02": "gcj02", "gcj-02": "gcj02", "bd09": "bd09", "bd-09": "bd09"}
_EPSG_NAMES = {"wgs84": WGS84, "wgs-84": WGS84, "cgcs2000": CGCS2000}
_EPSG_RE = re.compile(r"(?:epsg:)?([0-9]{1,6})", re.ASCII)
_OFFSET_LABELS: dict[Offset, str] = {"gcj02": "GCJ-02", "bd09": "BD-09"}
# ellipsoids of geocentric frames, which agree with CGCS2000 to centimetres or decimetres
_GEOCENTRIC_ELLIPSOIDS = {"CGCS2000", "GRS 1980", "WGS 84"}


@dataclass(frozen=True)
class CrsSpec:
    """A source CRS: an EPSG code, a consumer-map offset (GCJ-02 / BD-09) of WGS84 lon/lat, or the WKT of
    a CRS that has no EPSG code (a city's independent grid, 城市独立坐标系, as a .prj or --crs defines it)."""

    epsg: int | None = None
    offset: Offset | None = None
    definition: str | None = None

    def __post_init__(self) -> None:
        if sum(v is not None for v in (self.epsg, self.offset, self.definition)) != 1:
            raise InvalidParameter("a CrsSpec has exactly one of an EPSG code, an offset (gcj02, bd09) "
                                   "and a CRS definition")

    @classmethod
    def parse(cls, text: str) -> "CrsSpec":
        """Parse 'EPSG:4490', '4547', 'wgs84', 'cgcs2000', 'gcj02', 'bd09' (see parse_crs)."""
        return parse_crs(text)

    def __str__(self) -> str:
        if self.offset:
            return _OFFSET_LABELS[self.offset]
        if self.definition is not None:
            crs = defined_crs(self.definition)
            if crs.name != "unknown":
                return f"{crs.name!r} (no EPSG code)"
            with warnings.catch_warnings():  # a label, not a definition: PROJ's lossy-string warning is moot
                warnings.simplefilter("ignore", UserWarning)
                return f"{crs.to_proj4()!r} (no EPSG code)"
        return f"EPSG:{self.epsg}"

    @property
    def pyproj(self) -> CRS | None:
        """The pyproj CRS; None for GCJ-02 / BD-09, which no CRS definition describes."""
        if self.definition is not None:
            return defined_crs(self.definition)
        return None if self.epsg is None else pyproj_crs(self.epsg)

    @property
    def is_geographic(self) -> bool:
        """True when coordinates are lon/lat degrees (offsets are always lon/lat)."""
        crs = self.pyproj
        return crs is None or crs.is_geographic


@lru_cache(maxsize=128)
def pyproj_crs(epsg: int) -> CRS:
    return CRS.from_epsg(epsg)


@lru_cache(maxsize=16)
def defined_crs(definition: str) -> CRS:
    return CRS.from_wkt(definition)


def crs_spec_of(crs: CRS) -> CrsSpec:
    """The CrsSpec of a pyproj CRS: its EPSG code when PROJ identifies one, else its WKT definition.

    Only 2D geographic and projected CRSs are accepted: an engineering or unknown CRS gives no way
    to CGCS2000.
    """
    if len(crs.axis_info) > 2:  # to_2d() of a 2D CRS would lose its identification
        with contextlib.suppress(CRSError):
            crs = crs.to_2d()
    if not _plain_2d(crs):
        raise InvalidParameter(f"CRS {crs.name!r} is not a 2D geographic or projected CRS")
    epsg = crs.to_epsg(min_confidence=70)
    if epsg:
        return CrsSpec(epsg=epsg)
    try:
        Transformer.from_crs(crs, CGCS2000, always_xy=True)
    except CRSError as error:
        raise InvalidParameter(f"CRS {crs.name!r} cannot be converted to CGCS2000: {error}") from None
    return CrsSpec(definition=crs.to_wkt())


def parse_crs(text: str, *, definitions: bool = False) -> CrsSpec:
    """Parse a --crs value: 'EPSG:n' or 'n' (2D geographic or projected), wgs84, cgcs2000, gcj02, bd09.

    With `definitions` (the import and export commands) also a PROJ string ('+proj=tmerc +lon_0=114.5
    …'), WKT, or the path of a .prj file: the way a city's independent grid is written down.
    """
    key = text.strip().lower() if isinstance(text, str) else ""
    shown = repr(text if not isinstance(text, str) or len(text) <= 40 else text[:40] + "…")
    if key in _OFFSET_NAMES:
        return CrsSpec(offset=_OFFSET_NAMES[key])
    if key in _EPSG_NAMES:
        return CrsSpec(epsg=_EPSG_NAMES[key])
    if definitions and (definition := _definition_text(text)) is not None:
        try:
            crs = CRS.from_user_input(definition)
        except CRSError as error:
            raise InvalidParameter(f"CRS {shown} is not a CRS definition PROJ reads: {error}") from None
        return crs_spec_of(crs)
    match = _EPSG_RE.fullmatch(key)
    if not match:
        also = ", a PROJ string, WKT or a .prj file" if definitions else ""
        raise InvalidParameter(f"unknown CRS {shown}: use EPSG:n (e.g. EPSG:4490, EPSG:4547), wgs84, "
                               f"cgcs2000, gcj02 or bd09{also}")
    epsg = int(match.group(1))
    try:
        crs = pyproj_crs(epsg)
    except CRSError:
        raise InvalidParameter(f"unknown CRS {shown}: EPSG:{epsg} is not in the PROJ database") from None
    if not _plain_2d(crs):
        raise InvalidParameter(f"CRS {shown} ({crs.name}) is not a 2D geographic or projected CRS")
    return CrsSpec(epsg=epsg)


def output_crs(text: str | None) -> CrsSpec | None:
    """The `crs` of a response: None (EPSG:4490), a geographic or projected EPSG code, gcj02 or bd09."""
    if text is None or text == "":
        return None
    crs = parse_crs(text)
    return None if crs.epsg == CGCS2000 else crs


def crs_name(crs: CrsSpec | None) -> str:
    """How an answer names the CRS of its lon/lat (`output_crs`'s None is EPSG:4490)."""
    return str(crs or "EPSG:4490")


def _plain_2d(crs: CRS) -> bool:
    """A CRS whose coordinates onemap reads: 2D, geographic (lon/lat) or projected (metres)."""
    return (crs.is_geographic or crs.is_projected) and len(crs.axis_info) == 2


def _definition_text(text: str) -> str | None:
    """The PROJ string or WKT that `text` is or (a .prj path) holds; None when it is neither."""
    stripped = text.strip()
    if stripped.startswith("+proj=") or re.match(r"[A-Z_]+\[", stripped):  # PROJ string or WKT
        return stripped
    path = Path(stripped)
    if path.suffix.lower() in (".prj", ".wkt"):
        if not path.is_file():
            raise InvalidParameter(f"CRS file {stripped} does not exist")
        return path.read_text(encoding="utf-8", errors="replace").strip()
    return None


def _map_xy(
    geometries: np.ndarray, fn: Callable[[FloatArray, FloatArray], tuple[FloatArray, FloatArray]]
) -> np.ndarray:
    """Apply fn to the x/y of every coordinate, keeping z and None entries."""

    def _coords(coords: np.ndarray) -> np.ndarray:
        out = np.array(coords, dtype=np.float64)
        out[:, 0], out[:, 1] = fn(coords[:, 0], coords[:, 1])
        return out

    return np.asarray(shapely.transform(geometries, _coords, include_z=None), dtype=object)


# (to WGS84, from WGS84) of each consumer-map offset
_OFFSET_CONVERSIONS = {
    "gcj02": (gcj02_to_wgs84, wgs84_to_gcj02),
    "bd09": (bd09_to_wgs84, wgs84_to_bd09),
}


def to_cgcs2000(geometries: np.ndarray, source: CrsSpec) -> np.ndarray:
    """Geometries (None allowed) from `source` to CGCS2000 lon/lat (EPSG:4490), z kept.

    GCJ-02 / BD-09 are first converted to WGS84 and then taken as CGCS2000: the two frames agree to a few
    centimetres, far below the accuracy of coordinates picked on a consumer map.
    """
    return _convert(geometries, source, to_cgcs2000=True)


def from_cgcs2000(geometries: np.ndarray, target: CrsSpec) -> np.ndarray:
    """Geometries (None allowed) from CGCS2000 lon/lat (EPSG:4490) to `target`; the inverse of to_cgcs2000."""
    return _convert(geometries, target, to_cgcs2000=False)


def xy_to_cgcs2000(
    x: npt.ArrayLike, y: npt.ArrayLike, source: CrsSpec | None
) -> tuple[FloatArray, FloatArray]:
    """Coordinate arrays from `source` (None: already CGCS2000) to CGCS2000 lon/lat, as to_cgcs2000 does."""
    return _convert_xy(x, y, source, to_cgcs2000=True)


def xy_from_cgcs2000(
    x: npt.ArrayLike, y: npt.ArrayLike, target: CrsSpec | None
) -> tuple[FloatArray, FloatArray]:
    """Coordinate arrays from CGCS2000 lon/lat to `target` (None: stay CGCS2000); inverts xy_to_cgcs2000."""
    return _convert_xy(x, y, target, to_cgcs2000=False)


def _xy_function(
    other: CrsSpec, *, to_cgcs2000: bool
) -> Callable[[FloatArray, FloatArray], tuple[FloatArray, FloatArray]] | None:
    """The x/y conversion between `other` and CGCS2000 (None when there is nothing to convert)."""
    if other.offset is not None:
        to_wgs84, from_wgs84 = _OFFSET_CONVERSIONS[other.offset]
        return to_wgs84 if to_cgcs2000 else from_wgs84
    if other.definition is not None:
        t = _defined_transformer(other.definition, to_cgcs2000=to_cgcs2000)
        return lambda x, y: t.transform(x, y)
    assert other.epsg is not None
    if other.epsg == CGCS2000:
        return None
    t = transformer(other.epsg, CGCS2000) if to_cgcs2000 else transformer(CGCS2000, other.epsg)
    return lambda x, y: t.transform(x, y)


@lru_cache(maxsize=16)
def _defined_transformer(definition: str, *, to_cgcs2000: bool) -> Transformer:
    """The transformer between a defined CRS and CGCS2000.

    A CRS bound to WGS84 by datum-shift parameters (+towgs84, TOWGS84[…]: a city's seven parameters for
    Xian 1980 or Beijing 1954) converts through WGS84, taken as CGCS2000 as for GCJ-02: PROJ applies the
    parameters only on the way to WGS84, and to CGCS2000 it would convert without them.
    """
    crs = defined_crs(definition)
    other = WGS84 if crs.is_bound else CGCS2000
    if to_cgcs2000:
        return Transformer.from_crs(crs, other, always_xy=True)
    return Transformer.from_crs(other, crs, always_xy=True)


def unshifted_datum_note(spec: CrsSpec, *, to_cgcs2000: bool) -> str | None:
    """A warning when coordinates in `spec` meet CGCS2000 without a datum shift that they need, else None.

    Xian 1980, Beijing 1954 and New Beijing (and any datum on an ellipsoid other than CGCS2000's, GRS 1980's
    or WGS 84's) are not geocentric, and PROJ knows no published transformation from them to CGCS2000: it
    converts them by a 'ballpark' offset, which shifts nothing. Their seven parameters are set per region by
    the surveying authority; given with +towgs84 they are applied (see _defined_transformer).
    """
    crs = spec.pyproj
    if crs is None:
        return None
    ellipsoid, datum = crs.ellipsoid, crs.datum
    if crs.is_bound or ellipsoid is None or datum is None or ellipsoid.name in _GEOCENTRIC_ELLIPSOIDS:
        return None
    convert = (_defined_transformer(spec.definition, to_cgcs2000=True) if spec.definition is not None
               else transformer(cast(int, spec.epsg), CGCS2000))
    if not any(operation.name.startswith("Ballpark") for operation in convert.operations or ()):
        return None
    with warnings.catch_warnings():  # the PROJ string is a template for the user, not a definition kept
        warnings.simplefilter("ignore", UserWarning)
        proj = crs.to_proj4().replace(" +type=crs", "").replace(" +no_defs", "")
    # a PROJ string's datum is 'Unknown based on … ellipsoid': named by its ellipsoid
    named = f"on the {ellipsoid.name} ellipsoid" if datum.name.lower().startswith("unknown") else datum.name
    direction = "to" if to_cgcs2000 else "from"
    return (f"the datum of {spec} ({named}) has no transformation to CGCS2000 that PROJ knows: coordinates "
            f"are converted {direction} CGCS2000 without a datum shift and may lie tens of metres off; to "
            "shift them, pass the seven parameters the surveying authority publishes for the city: "
            f"--crs '{proj} +towgs84=dx,dy,dz,rx,ry,rz,ds'")


def _convert_xy(
    x: npt.ArrayLike, y: npt.ArrayLike, other: CrsSpec | None, *, to_cgcs2000: bool
) -> tuple[FloatArray, FloatArray]:
    xs, ys = _as_float(x, y)
    fn = None if other is None else _xy_function(other, to_cgcs2000=to_cgcs2000)
    if fn is None:
        return xs, ys
    out_x, out_y = fn(xs, ys)
    return np.asarray(out_x, dtype=np.float64), np.asarray(out_y, dtype=np.float64)


def _convert(geometries: np.ndarray, other: CrsSpec, *, to_cgcs2000: bool) -> np.ndarray:
    geometries = np.asarray(geometries, dtype=object)
    fn = _xy_function(other, to_cgcs2000=to_cgcs2000)
    return geometries.copy() if fn is None else _map_xy(geometries, fn)


def metres_to(area: shapely.Geometry, points: np.ndarray) -> FloatArray:
    """The geodesic distance in metres (on the CGCS2000 ellipsoid) from each point to the nearest point
    of `area`, both in EPSG:4490: how far outside the city a surveyed point lies, wherever it lies."""
    lines = shapely.shortest_line(area, points)
    ends = shapely.get_coordinates(lines).reshape(-1, 4)
    _, _, metres = _CGCS2000_ELLIPSOID.inv(ends[:, 0], ends[:, 1], ends[:, 2], ends[:, 3])
    return np.asarray(metres, dtype=float)


def swapped_lon_lat(x: npt.ArrayLike, y: npt.ArrayLike) -> npt.NDArray[np.bool_]:
    """True where (x, y) is not a plausible China lon/lat (lon 73–136, lat 3–54) but (y, x) is."""
    x_a, y_a = _as_float(x, y)
    return ~in_china(x_a, y_a) & in_china(y_a, x_a)


def in_china(lon: npt.ArrayLike, lat: npt.ArrayLike) -> npt.NDArray[np.bool_]:
    """True where (lon, lat) is a plausible China lon/lat: lon 73–136, lat 3–54."""
    lon_a, lat_a = _as_float(lon, lat)
    return (lon_a >= 73.0) & (lon_a <= 136.0) & (lat_a >= 3.0) & (lat_a <= 54.0)


def web_mercator_in_china(x: npt.ArrayLike, y: npt.ArrayLike) -> npt.NDArray[np.bool_]:
    """True where (x, y) read as Web Mercator metres (EPSG:3857, which web map tools export) is a China
    lon/lat (see in_china): x about 8.1e6–15.1e6, y about 0.4e6–7.1e6."""
    lon, lat = transformer(WEB_MERCATOR, WGS84).transform(*_as_float(x, y))
    return in_china(lon, lat)


def central_meridian(spec: CrsSpec) -> float | None:
    """The central meridian of a transverse Mercator CRS (a Gauss-Krüger zone, a city grid), else None."""
    crs = spec.pyproj
    if crs is None:
        return None
    operation = (crs.source_crs if crs.is_bound and crs.source_crs is not None else crs).coordinate_operation
    if operation is None or "Transverse Mercator" not in operation.method_name:
        return None
    return next((float(p.value) for p in operation.params if p.name == "Longitude of natural origin"), None)


# ---- OGC CRS URIs (OGC API - Features Part 2) -------------------------------------------------------------

CRS84_URI = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
_EPSG_URI_RE = re.compile(
    r"(?:https?://www\.opengis\.net/def/crs/EPSG/0/|urn:ogc:def:crs:EPSG:[0-9.]*:|EPSG:)([0-9]{1,6})",
    re.ASCII)
_CRS84_URIS = frozenset({CRS84_URI, "https://www.opengis.net/def/crs/OGC/1.3/CRS84",
                         "urn:ogc:def:crs:OGC:1.3:CRS84", "OGC:CRS84"})


def epsg_uri(epsg: int) -> str:
    """The OGC URI of an EPSG CRS, e.g. http://www.opengis.net/def/crs/EPSG/0/4490."""
    return f"http://www.opengis.net/def/crs/EPSG/0/{epsg}"


@dataclass(frozen=True)
class CrsRef:
    """A CRS named by URI: its EPSG code (CRS84 is 4326 in lon/lat order) and its axis order."""

    epsg: int
    north_first: bool  # axis order of the authority: lat/lon (EPSG:4326, 4490), northing/easting (GK)
    uri: str

    @property
    def is_crs84(self) -> bool:
        return self.uri == CRS84_URI


CRS84 = CrsRef(WGS84, False, CRS84_URI)


@lru_cache(maxsize=64)
def _north_first(epsg: int) -> bool:
    return pyproj_crs(epsg).axis_info[0].direction.lower() in ("north", "south")


def crs_from_uri(uri: str) -> CrsRef:
    """Parse an OGC CRS URI (http://www.opengis.net/def/crs/EPSG/0/n, urn:ogc:def:crs:EPSG::n, CRS84)."""
    text = uri.strip() if isinstance(uri, str) else ""
    if text in _CRS84_URIS:
        return CRS84
    match = _EPSG_URI_RE.fullmatch(text)
    if not match:
        shown = text if len(text) <= 80 else text[:80] + "…"
        raise InvalidParameter(f"unknown CRS URI {shown!r}: use {CRS84_URI} or {epsg_uri(CGCS2000)}")
    epsg = int(match.group(1))
    try:
        return CrsRef(epsg, _north_first(epsg), epsg_uri(epsg))
    except CRSError:
        raise InvalidParameter(f"unknown CRS: EPSG:{epsg} is not in the PROJ database") from None


@lru_cache(maxsize=64)
def area_of_use(epsg: int) -> tuple[float, float, float, float]:
    """Where a CRS is defined, in its own x/y (easting/northing or lon/lat, always x first)."""
    crs = pyproj_crs(epsg)
    if crs.area_of_use is None:
        return -math.inf, -math.inf, math.inf, math.inf
    bounds = crs.area_of_use.bounds
    if crs.is_geographic:
        return bounds
    x1, y1, x2, y2 = transformer(WGS84, epsg).transform_bounds(*bounds, densify_pts=21)
    return x1, y1, x2, y2
