"""Geometries that shapely cannot hold, as ArcGIS, CAD and 3D survey tools deliver them.

A File Geodatabase or GeoPackage drawn with arcs holds CircularString, CompoundCurve, CurvePolygon,
MultiCurve or MultiSurface geometries, and so may a WKT column of a spreadsheet: these go through GDAL's
own reading, which replaces each arc by a line along it (GDAL's default step of 4° of arc: under a
centimetre off on the arcs of street furniture and kerbs). The surfaces of 3D models (PolyhedralSurface,
TIN, Triangle) have no 2D form the inventory could store, and GEOS builds no geometry from a ring that
does not close or a line of one point, which GIS tools write all the same: such rows are refused, each
with its reason, and the other rows of the layer are read as usual.
"""

import io
import struct
import tempfile
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyogrio
import shapely
from shapely.errors import GEOSException

_SURFACES = {15: "PolyhedralSurface", 16: "TIN", 17: "Triangle"}  # ISO WKB type codes, without Z/M
# Arrow hands pandas an Integer64 column holding a null as float64, which has lost the last digits of a
# 17-digit identifier (above 2^53); pandas' nullable Int64 keeps every digit, and stays integer when a
# column is rebuilt from its values (a Shapefile's text is decoded so), where Python ints in an object
# column with None would become floats again
_EXACT_INTEGERS = {"types_mapper": {pa.int64(): pd.Int64Dtype()}.get}


def _curves_note(what: str) -> str:
    return f"{what} (arcs) are read as lines along them, as GDAL approximates arcs"


def _curved(error: NotImplementedError) -> bool:
    return "nonlinear" in str(error).lower()  # shapely: "Nonlinear geometry types are not ... supported"


def _rewound(source: Path | io.BytesIO) -> Path | io.BytesIO:
    if isinstance(source, io.BytesIO):
        source.seek(0)
    return source


def read_layer(source: Path | io.BytesIO, *, layer: str | None, encoding: str | None, arrow: bool,
               notes: list[str]) -> tuple[pd.DataFrame, np.ndarray | None]:
    """The layer, and per row why its geometry could not be read (None when every one could). Through
    Arrow when it can be; Arrow hands curves over as they are, so a layer with curves is read again
    without it, where GDAL makes them lines; a geometry GEOS cannot build sends the layer row by row.
    GDAL's warning of an unclosed ring is left out: that row's reason says it."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Non closed ring detected", category=RuntimeWarning)
        return _read_layer(source, layer=layer, encoding=encoding, arrow=arrow, notes=notes)


def _read_layer(source: Path | io.BytesIO, *, layer: str | None, encoding: str | None, arrow: bool,
                notes: list[str]) -> tuple[pd.DataFrame, np.ndarray | None]:
    if arrow:
        try:
            return pyogrio.read_dataframe(source, layer=layer, encoding=encoding, use_arrow=True,
                                          arrow_to_pandas_kwargs=_EXACT_INTEGERS), None
        except NotImplementedError as error:
            if not _curved(error):
                raise
            notes.append(_curves_note("curved geometries"))
        except GEOSException:
            return _read_row_by_row(_rewound(source), layer=layer, encoding=encoding)
    try:
        return pyogrio.read_dataframe(_rewound(source), layer=layer, encoding=encoding, use_arrow=False), None
    except GEOSException:
        return _read_row_by_row(_rewound(source), layer=layer, encoding=encoding)


def _read_row_by_row(source: Path | io.BytesIO, *, layer: str | None,
                     encoding: str | None) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    """The layer as GDAL hands it over (curves made lines), each geometry built alone."""
    meta, _, blobs, values = pyogrio.raw.read(source, layer=layer, encoding=encoding)
    geometries = np.full(len(blobs), None, dtype=object)
    problems = np.full(len(blobs), None, dtype=object)
    for i, blob in enumerate(blobs):
        if blob is None:
            continue
        try:
            geometries[i] = shapely.from_wkb(blob)
        except GEOSException as error:
            problems[i] = _unreadable(blob, error)
    attributes = pd.DataFrame(dict(zip(meta["fields"], values, strict=True)))
    return gpd.GeoDataFrame(attributes, geometry=geometries, crs=meta["crs"]), problems


def _unreadable(blob: bytes, error: GEOSException) -> str:
    """Why GEOS built no geometry from a feature's WKB."""
    code = struct.unpack(("<" if blob[0] == 1 else ">") + "I", blob[1:5])[0] % 1000
    if code in _SURFACES:
        return (f"a {_SURFACES[code]} (the surface of a 3D model) has no 2D form the inventory can store: "
                "deliver its footprint as a polygon")
    return f"unreadable geometry: {_geos_reason(error)}"


# What GEOS says of a geometry it cannot build, in the words of the survey's staff
_GEOS_REASONS = {
    "point array must contain 0 or >1 elements": "a line needs at least two vertices; this one has one",
    "Points of LinearRing do not form a closed linestring": "a polygon's ring does not end where it begins",
}


def _geos_reason(error: Exception) -> str:
    """GEOS's reason (one line, its exception class left out: "IllegalArgumentException: …")."""
    detail = " ".join(str(error).split(": ", 1)[-1].split())
    return _GEOS_REASONS.get(detail, detail)


def wkt_reason(text: str) -> str:
    """Why a WKT text builds no geometry."""
    try:
        shapely.from_wkt(text)
    except (GEOSException, ValueError) as error:
        return _geos_reason(error)
    return "it holds no geometry"


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
    notes.append(_curves_note(f"{len(curved)} curved WKT geometries"))
    with tempfile.TemporaryDirectory(prefix="onemap-curves-") as folder:
        table = Path(folder, "curves.csv")  # GDAL's CSV reader takes a WKT column as the geometry
        pd.DataFrame({"WKT": [values[i] for i in curved]}).to_csv(table, index=False)
        lines = pyogrio.read_dataframe(table, use_arrow=False).geometry.array
    for i, line in zip(curved, lines, strict=True):
        geometries[i] = line
    return geometries
