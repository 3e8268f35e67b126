"""Projected survey coordinates checked against their CRS before any row is validated.

A whole file can miss its CRS in two ways that per-row checks would only report as a million
"outside the city" rows: X/Y columns in the surveying order (X north, Y east), and eastings written
with a Gauss-Krüger zone number the CRS does not expect (or without one it does). The first is a
convention and is read as such, with a note; the second names the CRS to pass.
"""

from pathlib import Path

import numpy as np
import shapely

from gis.crs import CrsSpec
from gis.errors import ImportValidationError
from gis.gauss_kruger import (
    central_meridian_form_epsg,
    crs_label,
    datum_of,
    inside_area,
    inside_crs,
    zone_form_epsg,
    zone_in_eastings,
)


def zone_hint(x: np.ndarray, datum: str = "CGCS2000") -> str | None:
    """'pass --crs EPSG:n (…)' when every easting carries one Gauss-Krüger zone number, else None."""
    zone = zone_in_eastings(x)
    epsg = zone_form_epsg(zone, datum) if zone is not None else None
    if epsg is None:
        return None
    return f"the eastings carry the Gauss-Krüger zone number {zone} in front: pass --crs {crs_label(epsg)}"


def fit_plane_coordinates(path: Path, geometries: np.ndarray, columns: tuple[str, ...], source: CrsSpec,
                          notes: list[str]) -> np.ndarray:
    """The geometries, with X/Y columns exchanged when the file gives them in the surveying order.

    Raises when no coordinate fits the projected CRS and the eastings show which CRS they are in.
    Files where some rows fit are left to the per-row checks.
    """
    if source.is_geographic:
        return geometries
    bounds = shapely.bounds(geometries).reshape(-1, 4)
    finite = np.isfinite(bounds).all(axis=1)
    if not finite.any():
        return geometries
    x = (bounds[finite, 0] + bounds[finite, 2]) / 2
    y = (bounds[finite, 1] + bounds[finite, 3]) / 2
    if inside_crs(source, x, y).any():
        return geometries
    where = f"{path}: no coordinate lies in the area of {crs_label(source.epsg) if source.epsg else source}"
    if inside_crs(source, y, x).all():
        if len(columns) != 2:
            raise ImportValidationError(
                f"{where}, but every one would with x and y exchanged: the file stores northings as x; "
                "write it again with eastings as x (or as a CSV with X/Y columns)")
        notes.append(f"columns {columns[0]!r}, {columns[1]!r} read as northing, easting (the surveying "
                     f"order: X north, Y east): with x and y exchanged every point lies in {source}")
        swapped = geometries.copy()
        swapped[finite] = shapely.transform(geometries[finite], lambda xy: xy[:, ::-1])
        return swapped
    if source.epsg is None:  # the zone forms below are those of EPSG's Gauss-Krüger CRSs
        return geometries
    datum = datum_of(source.epsg) or "CGCS2000"
    for eastings in (x, y):
        hint = zone_hint(eastings, datum)
        if hint:
            raise ImportValidationError(f"{where}; {hint}")
    plain = central_meridian_form_epsg(source.epsg)
    if plain is not None and any(inside_area(plain, *xy).all() for xy in ((x, y), (y, x))):
        raise ImportValidationError(
            f"{where}, which writes the zone number in front of each easting; these eastings have none: "
            f"pass --crs {crs_label(plain)}")
    return geometries
