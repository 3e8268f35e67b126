"""Curved geometries as ArcGIS and CAD surveys deliver them, made lines.

A File Geodatabase or GeoPackage drawn with arcs holds CircularString, CompoundCurve, CurvePolygon,
MultiCurve or MultiSurface geometries, and so may a WKT column of a spreadsheet. shapely holds no
curves, so these go through GDAL's own reading, which replaces each arc by a line along it (GDAL's
default step of 4° of arc: under a centimetre off on the arcs of street furniture and kerbs).
"""

import io
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import shapely

CURVES_NOTE = "curved geometries (arcs) are read as lines along them, as GDAL approximates arcs"


def _curved(error: NotImplementedError) -> bool:
    return "nonlinear" in str(error).lower()  # shapely: "Nonlinear geometry types are not ... supported"


def read_layer(source: Path | io.BytesIO, *, layer: str | None, encoding: str | None, arrow: bool,
               notes: list[str]) -> pd.DataFrame:
    """The layer, through Arrow when it can be: Arrow hands curves over as they are, so a layer with curves
    is read again without it, where GDAL makes them lines."""
    if arrow:
        try:
            return pyogrio.read_dataframe(source, layer=layer, encoding=encoding, use_arrow=True)
        except NotImplementedError as error:
            if not _curved(error):
                raise
            notes.append(CURVES_NOTE)
            if isinstance(source, io.BytesIO):
                source.seek(0)
    return pyogrio.read_dataframe(source, layer=layer, encoding=encoding, use_arrow=False)


def from_wkt(values: list[str | None], notes: list[str]) -> np.ndarray:
    """Geometries of WKT cells (None where a cell is empty or not WKT); curved ones made lines by GDAL."""
    cells = np.array(values, dtype=object)
    try:
        return np.asarray(shapely.from_wkt(cells, on_invalid="ignore"))
    except NotImplementedError as error:
        if not _curved(error):
            raise
    geometries = np.full(len(cells), None, dtype=object)
    curved: list[int] = []
    for i, text in enumerate(values):
        try:
            geometries[i] = shapely.from_wkt(text, on_invalid="ignore")
        except NotImplementedError:
            curved.append(i)
    notes.append(f"{len(curved)} {CURVES_NOTE.replace('curved geometries', 'curved WKT geometries')}")
    with tempfile.TemporaryDirectory(prefix="onemap-curves-") as folder:
        table = Path(folder, "curves.csv")  # GDAL's CSV reader takes a WKT column as the geometry
        pd.DataFrame({"WKT": [values[i] for i in curved]}).to_csv(table, index=False)
        lines = pyogrio.read_dataframe(table, use_arrow=False).geometry.array
    for i, line in zip(curved, lines, strict=True):
        geometries[i] = line
    return geometries
