"""The CRS a survey layer is read in (--crs, else the one the file declares, else CGCS2000 lon/lat), checked
against what its coordinates look like.

A row is in degrees when |x| and |y| are at most 180 (even with lon and lat swapped, which the validator
reports); projected coordinates of China are hundreds of thousands of metres. A file whose rows are mostly
in the other unit than its CRS's has the wrong CRS, and is refused with the one to pass. A few such rows in a
file that is overwhelmingly in its CRS's unit are typing slips (x=114056123, a decimal point dropped): each
of them is refused with its values, and the other rows are read.
"""

from pathlib import Path

import numpy as np
import shapely
from pyproj import CRS

from gis.crs import CGCS2000, CrsSpec, crs_spec_of, in_china, unshifted_datum_note, web_mercator_in_china
from gis.errors import ImportValidationError, InvalidParameter
from gis.gauss_kruger import inside_area, inside_crs, zone_form_epsg, zone_in_eastings
from layers.survey_axes import zone_hint
from layers.survey_tables import RawLayer

NO_CRS_NOTE = (
    "no CRS given: coordinates taken as CGCS2000 lon/lat; pass --crs gcj02 if they come from a consumer map"
)
_METRES_HINT = "pass --crs EPSG:45xx (the CGCS2000 Gauss-Krüger zone, e.g. EPSG:4547 for CM 114°E)"
_WEB_MERCATOR_HINT = ("they lie in China as Web Mercator metres, which web map tools export: pass --crs "
                      "EPSG:3857")
# Rows in the other unit are slips, refused one by one, while they are at most this share of the rows with
# coordinates; when the rows in the CRS's unit are as few, the CRS is wrong; between the two, the file mixes
# CRSs. Either way the file is refused as a whole
_SLIP_SHARE = 0.1
_MIXED = "a file is read in one CRS: convert those rows"


def declared_crs(crs: CRS | None) -> tuple[CrsSpec | None, str | None]:
    """The declared CRS as a CrsSpec (None when absent or unusable: no EPSG code and no way to
    CGCS2000) and its name."""
    if crs is None:
        return None, None
    try:
        return crs_spec_of(crs), crs.name
    except InvalidParameter:
        return None, crs.name


def choose_crs(path: Path, raw: RawLayer, given: CrsSpec | None) -> CrsSpec:
    """--crs, else the declared CRS, else CGCS2000 when coordinates are degrees; check the units agree.

    Rows refused as slips lose their geometry and get their reason in `raw.geometry_problems`."""
    if given is not None:
        if raw.declared_name is not None and raw.declared != given:
            declared = str(raw.declared) if raw.declared else raw.declared_name
            raw.notes.append(f"file declares {declared}; overridden by the given CRS {given}")
        source = given
    elif raw.declared is not None:
        source = raw.declared
        if source.definition is not None:
            raw.notes.append(f"the file's CRS {source} is used as the file defines it")
    elif raw.declared_name is not None:
        raise ImportValidationError(f"{path}: its CRS ({raw.declared_name}) is neither an EPSG CRS nor a "
                                    "2D geographic or projected CRS PROJ can convert to CGCS2000: pass --crs")
    else:
        source = CrsSpec(epsg=CGCS2000)
        raw.notes.append(NO_CRS_NOTE)
    bounds = shapely.bounds(raw.geometries).reshape(-1, 4)
    finite = np.isfinite(bounds).all(axis=1)
    degrees = finite & (np.abs(bounds) <= 180).all(axis=1)
    if source.is_geographic:
        _check_degrees(path, raw, source, bounds, finite, finite & ~degrees, given is not None)
    else:
        _check_metres(path, raw, source, bounds, finite, degrees)
    if (unshifted := unshifted_datum_note(source, to_cgcs2000=True)) is not None:
        raw.notes.append(unshifted)
    return source


def _check_degrees(path: Path, raw: RawLayer, source: CrsSpec, bounds: np.ndarray, finite: np.ndarray,
                   metres: np.ndarray, given: bool) -> None:
    """Refuse the rows that look like metres when they are slips, else the file."""
    count, total = int(metres.sum()), int(finite.sum())
    if not count:
        return
    rows = np.flatnonzero(metres)
    if _few(count, total):
        _refuse_rows(raw, rows, bounds, f"look like metres while the rest of the file is lon/lat degrees "
                                        f"({source}): a mistyped coordinate?")
        return
    first, hint = _first(raw, bounds, rows), _metres_hint(bounds[rows, 0], bounds[rows, 1])
    if not _few(total - count, total):
        raise ImportValidationError(
            f"{path}: coordinates of {count} of {total} rows look like metres ({first}), the others like "
            f"lon/lat degrees: {_MIXED} to lon/lat, or move them to a file of their own ({hint})")
    what = f"the CRS {source} is lon/lat" if given or raw.declared else "no CRS is given"
    some = f"of {count} of {total} rows " if count < total else ""
    raise ImportValidationError(f"{path}: coordinates {some}look like metres ({first}) but {what}: {hint}")


def _check_metres(path: Path, raw: RawLayer, source: CrsSpec, bounds: np.ndarray, finite: np.ndarray,
                  degrees: np.ndarray) -> None:
    """Refuse the rows that look like lon/lat degrees when they are slips, else the file. Only rows that lie
    in China as lon/lat and outside the CRS's area count: a city grid's rows near its origin are small
    numbers too."""
    if not degrees.any():
        return
    mismatch = (f"look like lon/lat degrees but the CRS {source} is projected; pass --crs EPSG:4490 (or the "
                "CRS they are in)")
    if degrees[finite].all():
        raise ImportValidationError(f"{path}: coordinates {mismatch}")
    rows = np.flatnonzero(degrees)
    x, y = bounds[rows, 0], bounds[rows, 1]
    rows = rows[in_china(x, y) & ~inside_crs(source, x, y)]
    count, total = len(rows), int(finite.sum())
    if not count:
        return
    if _few(count, total):
        _refuse_rows(raw, rows, bounds, f"look like lon/lat degrees while the rest of the file is metres "
                                        f"({source}): a mistyped coordinate?")
        return
    first = _first(raw, bounds, rows)
    if not _few(total - count, total):
        raise ImportValidationError(
            f"{path}: coordinates of {count} of {total} rows look like lon/lat degrees ({first}), the others "
            f"like metres ({source}): {_MIXED} to {source}, or move them to a file of their own (pass --crs "
            "EPSG:4490 for it, or the CRS they are in)")
    raise ImportValidationError(f"{path}: coordinates of {count} of {total} rows ({first}) {mismatch}")


def _few(count: int, total: int) -> bool:
    """True when `count` rows of `total` are few enough to be slips."""
    return count <= _SLIP_SHARE * total


def _first(raw: RawLayer, bounds: np.ndarray, rows: np.ndarray) -> str:
    row = rows[0]
    return f"row {raw.row_numbers[row]}: x={bounds[row, 0]:.10g}, y={bounds[row, 1]:.10g}"


def _refuse_rows(raw: RawLayer, refused: np.ndarray, bounds: np.ndarray, why: str) -> None:
    """Drop the geometries of the rows `refused` (indices), each with its coordinates and `why` as its
    problem."""
    raw.geometries = raw.geometries.copy()
    raw.geometries[refused] = None
    problems = (raw.geometry_problems.copy() if raw.geometry_problems is not None
                else np.full(len(raw.geometries), None, dtype=object))
    problems[refused] = [f"coordinates x={x:.10g}, y={y:.10g} {why}" for x, y in bounds[refused, :2]]
    raw.geometry_problems = problems


def _metres_hint(x: np.ndarray, y: np.ndarray) -> str:
    """The CRS to pass for metres: the Gauss-Krüger zone that eastings carrying a zone number name, Web
    Mercator for metres that lie in China as such, or both when both fit (6-degree zones 13 to 15 carry
    Web Mercator's x)."""
    zone_form = zone_hint(x) or zone_hint(y)
    zone = (f"{zone_form} (or that zone's Xian 1980 / Beijing 1954 CRS if the survey used one)"
            if zone_form else None)
    if not web_mercator_in_china(x, y).all():
        return zone or _METRES_HINT
    if zone is None or not _inside_zone(x, y):
        return _WEB_MERCATOR_HINT
    return f"{zone}; or, if they come from a web map, as Web Mercator metres: pass --crs EPSG:3857"


def _inside_zone(x: np.ndarray, y: np.ndarray) -> bool:
    """True when the eastings x carry a zone number and the points lie in that zone's area."""
    zone = zone_in_eastings(x)
    epsg = zone_form_epsg(zone) if zone is not None else None
    return epsg is not None and bool(inside_area(epsg, x, y).all())
