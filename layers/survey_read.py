"""Read a contractor's component survey with its source CRS: GeoPackage, Shapefile, GeoJSON (and
newline-delimited GeoJSON), TopoJSON, GML, SpatiaLite, FlatGeobuf, ESRI File Geodatabase, MapInfo TAB/MIF,
KML/KMZ (as field apps export them), GPX, DXF, CSV, XLSX and XLS (see layers.survey_formats)."""

import io
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
from pyogrio.errors import CRSError as OgrCRSError
from pyogrio.errors import DataLayerError, DataSourceError, FeatureError, FieldError, GeometryError
from pyproj import CRS

from gis.crs import CGCS2000, CrsSpec
from gis.errors import ImportValidationError
from layers.returned_rows import holds_refused_rows
from layers.survey_axes import fit_plane_coordinates
from layers.survey_cad import read_drawing
from layers.survey_crs import choose_crs, declared_crs
from layers.survey_csv import decode_text
from layers.survey_dbf import shapefile_text, text_codec
from layers.survey_formats import (
    ARCHIVE_SUFFIXES,
    CAD_SUFFIXES,
    DELIMITED_SUFFIXES,
    GEOJSON_SUFFIXES,
    MULTI_LAYER,
    SURVEY_SUFFIXES,
    TABLE_SUFFIXES,
    UNREAD_FORMATS,
    VECTOR_SUFFIXES,
    temporary_copy,
)
from layers.survey_kml import ascii_data_names, with_description_fields
from layers.survey_layer_text import decode_non_utf8_text
from layers.survey_lost_text import refuse_lost_text
from layers.survey_mapinfo import mapinfo_encoding, neutral_copy
from layers.survey_shapes import plain_shapes
from layers.survey_tables import (
    RawLayer,
    csv_holds_coordinates,
    holds_coordinates,
    names_coordinates,
    read_csv_table,
    read_workbook_table,
    table_layer,
)
from layers.survey_unusual_geometries import read_layer
from layers.survey_workbooks import sheets_that_fit

# A GPS receiver's or field app's GPX file: the components are its waypoints; its routes and tracks are
# the paths walked, and its route and track points their fixes
_GPX_SURVEY_LAYER = "waypoints"
# Columns the KML driver adds to every placemark: styling and structure, not survey fields
_NUMERIC_ID = re.compile(r'"id"\s*:\s*([0-9]{16,17})(?![0-9.eE])')  # a Feature's id member as a number
_KML_LABEL = "Name"  # a placemark's name: its label, the component's name unless a field says otherwise
_KML_STRUCTURE = ("id", "timestamp", "begin", "end", "altitudeMode", "tessellate", "extrude", "visibility",
                  "drawOrder", "icon")
# Columns the GML driver adds: the features' gml:id, and the corners of their gml:boundedBy envelopes when
# no schema (.xsd) comes with the file
_GML_STRUCTURE = ("gml_id", "lowerCorner", "upperCorner")
_PYOGRIO_ERRORS = (DataSourceError, DataLayerError, FieldError, FeatureError, GeometryError, OgrCRSError)
_READ_ERRORS = (*_PYOGRIO_ERRORS, UnicodeDecodeError, ValueError)


@dataclass(frozen=True, eq=False)
class SurveyFrame:
    """A survey file as read: original columns, geometries in the source CRS, the row numbers users see."""

    path: Path
    attributes: pd.DataFrame
    geometries: np.ndarray
    row_numbers: np.ndarray
    source_crs: CrsSpec
    encoding: str | None
    notes: tuple[str, ...]
    geometry_columns: tuple[str, ...] = ()  # CSV/XLSX columns the geometries were built from
    # per row, why the geometry columns gave no geometry when they hold something (None elsewhere)
    geometry_problems: np.ndarray | None = None
    yielding: tuple[str, ...] = ()  # see RawLayer
    positioned: bool = True  # see RawLayer

    def __len__(self) -> int:
        return len(self.row_numbers)


def read_survey(
    path: Path, *, crs: CrsSpec | None = None, encoding: str | None = None, layer: str | None = None,
    positions_stored: bool = False,
) -> SurveyFrame:
    """Read a survey file; `crs` overrides the file's CRS, `encoding` the detected text encoding.
    `positions_stored` (an upsert) reads a CSV file or sheet without coordinate columns, its rows
    without geometries (see layers.survey_tables.table_layer)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in UNREAD_FORMATS:
        raise ImportValidationError(f"{path}: {UNREAD_FORMATS[suffix]}")
    if suffix not in SURVEY_SUFFIXES:
        kinds = ", ".join((*SURVEY_SUFFIXES, *ARCHIVE_SUFFIXES))
        raise ImportValidationError(f"{path}: unsupported file type {suffix or 'none'!r}; use {kinds}")
    if not (path.is_dir() if suffix == ".gdb" else path.is_file()):
        raise ImportValidationError(f"{path}: no such {'geodatabase folder' if suffix == '.gdb' else 'file'}")
    codec = text_codec(path, encoding, "--encoding") if encoding else None
    if suffix in VECTOR_SUFFIXES:
        raw = _read_vector(path, codec=codec, layer=layer, crs=crs)
    elif suffix in CAD_SUFFIXES:
        raw = read_drawing(path, codec).layer(path, layer)
    elif suffix in DELIMITED_SUFFIXES:
        raw = read_csv_table(path, codec=codec, crs=crs, positions_stored=positions_stored)
    else:
        raw = read_workbook_table(path, sheet=layer, crs=crs, positions_stored=positions_stored)
        if codec:
            raw.notes.append("--encoding ignored: a workbook stores Unicode text")
    if suffix not in TABLE_SUFFIXES:  # a table's records are looked at before its header (survey_tables)
        refuse_lost_text(str(path) if layer is None else f"{path}: layer {layer!r}", raw.attributes,
                         forced=None if suffix in MULTI_LAYER else codec)
    source = choose_crs(path, raw, crs) if raw.positioned else CrsSpec(epsg=CGCS2000)
    geometries = plain_shapes(raw.geometries, raw.notes)
    geometries = fit_plane_coordinates(path, geometries, raw.geometry_columns, source, raw.notes)
    return SurveyFrame(
        path, raw.attributes, geometries, raw.row_numbers, source, raw.encoding, tuple(raw.notes),
        raw.geometry_columns, raw.geometry_problems, raw.yielding, raw.positioned,
    )


# ---- vector files ----------------------------------------------------------------------------------------


def _read_vector(path: Path, *, codec: str | None, layer: str | None, crs: CrsSpec | None) -> RawLayer:
    notes: list[str] = []
    suffix = path.suffix.lower()
    source: Path | io.BytesIO = path
    read_encoding: str | None = None
    text_encoding: str | None = None
    if suffix in MULTI_LAYER:
        layer = _chosen_layer(path, layer, notes)
        if codec:
            notes.append(f"--encoding ignored: {MULTI_LAYER[suffix]} text is Unicode")
    elif layer is not None:
        notes.append(_one_layer_note(suffix))
        layer = None
    if suffix == ".shp":
        read_encoding = "ISO-8859-1"  # byte-transparent: the .dbf bytes come back as code points 0-255
    elif suffix in (".tab", ".mif"):  # GDAL decodes the charset the table declares, else a Neutral copy
        read_encoding = mapinfo_encoding(path, codec, notes)
    elif suffix in GEOJSON_SUFFIXES:  # must be UTF-8 (RFC 8259); contractors' tools sometimes write GBK
        text, text_encoding = decode_text(path, path.read_bytes(), codec, notes)
        source = path if text_encoding == "UTF-8" else io.BytesIO(text.encode("utf-8"))
    data_names: dict[str, str] = {}
    if suffix in (".kml", ".kmz"):
        swapped = ascii_data_names(path.read_bytes(), zipped=suffix == ".kmz")
        if swapped is not None:
            kml, data_names = swapped
            source = io.BytesIO(kml)
    # Arrow reads only UTF-8, and leaves undecodable MapInfo text to fail later: MapInfo goes without it
    arrow = suffix not in (".tab", ".mif")
    try:
        try:
            with _source(path, source, notes, neutral=read_encoding is not None) as readable:
                frame, problems = read_layer(readable, layer=layer, encoding=read_encoding, arrow=arrow,
                                             notes=notes)
        except UnicodeDecodeError:
            if arrow or codec:
                raise
            # Chinese MapInfo installations write GBK text under the "Neutral" charset
            frame, problems = read_layer(source, layer=layer, encoding="GB18030", arrow=False, notes=notes)
            notes.append("MapInfo text is not UTF-8 and the table names no charset: decoded as GB18030; "
                         "pass --encoding if that is wrong")
    except _READ_ERRORS as error:
        raise ImportValidationError(f"{path}: cannot read: {error}") from None
    decode_non_utf8_text(frame, path, layer, notes)
    file_crs: CRS | None = None
    if isinstance(frame, gpd.GeoDataFrame):
        geometries = np.asarray(frame.geometry.array, dtype=object)
        file_crs = frame.crs
        attributes = pd.DataFrame(frame.drop(columns=frame.geometry.name))
        if suffix in (".kml", ".kmz"):
            attributes = attributes.drop(columns=[c for c in _KML_STRUCTURE if c in attributes.columns])
            attributes = attributes.rename(columns=data_names)
            attributes = with_description_fields(attributes, notes)
        if suffix == ".gml":
            attributes = attributes.drop(columns=[c for c in _GML_STRUCTURE if c in attributes.columns])
        if suffix == ".gpx":  # GPX has a fixed schema (link1_href, sat, hdop …) that a waypoint seldom fills
            attributes = attributes.dropna(axis=1, how="all")
    else:
        geometries = np.full(len(frame), None, dtype=object)
        attributes = pd.DataFrame(frame)
    if suffix == ".shp":
        text_encoding = shapefile_text(path, attributes, codec, notes)
    if suffix in GEOJSON_SUFFIXES and "id" not in attributes.columns:  # GDAL took the numeric ids as FIDs
        notes.extend(_numeric_identifiers_note(text))
    attributes = attributes.reset_index(drop=True)
    names = list(map(str, attributes.columns))
    if not isinstance(frame, gpd.GeoDataFrame) and names_coordinates(names):
        # a table of ArcGIS's "Add XY Coordinates" or Table To Table in a GeoPackage or geodatabase
        cells = attributes.astype(object).where(attributes.notna(), None).to_numpy().tolist()
        table = table_layer(path, names, cells, list(range(1, len(attributes) + 1)), "table row", crs=crs,
                            encoding=text_encoding, notes=notes)
        notes.insert(0, f"a table without geometries: points from its coordinate columns "
                        f"{list(table.geometry_columns)}")
        return table
    declared, declared_name = declared_crs(file_crs)
    if suffix in GEOJSON_SUFFIXES and declared == CrsSpec(epsg=4326):
        notes.append("GeoJSON CRS: WGS84 (declared, or the RFC 7946 default when the file names none)")
    rows = np.arange(1, len(attributes) + 1)
    return RawLayer(attributes, geometries, rows, declared, declared_name, text_encoding, notes,
                    geometry_problems=problems,
                    yielding=(_KML_LABEL,) if suffix in (".kml", ".kmz") else ())


def _numeric_identifiers_note(geojson: str) -> list[str]:
    """A note when Features carry numeric `id` members of 16 or 17 digits, as component identifiers have:
    they are not read as identifiers, since a JSON number above 2^53 may have lost its last digits in
    the tool that wrote it (JavaScript keeps 15-16), and the rows then get identifiers allocated."""
    shaped = _NUMERIC_ID.findall(geojson)
    if not shaped:
        return []
    return [f"{len(shaped)} Feature(s) have a numeric id of 16-17 digits (first: {shaped[0]}), as component "
            "identifiers do; a numeric id is not read as the identifier, because a JSON number that long may "
            "have lost its last digits in the tool that wrote it: write each identifier as text "
            '("id": "4403040100100001", or a 部件标识码 property) to keep it']


@contextmanager
def _shapefile_source(path: Path, notes: list[str]) -> Iterator[Path]:
    """The Shapefile to read: `path`, or a temporary copy in which GDAL rebuilds a missing .shx index from
    the .shp (the delivery folder is not written to). A Shapefile without its .dbf is refused: its
    attributes are there."""
    def part(suffix: str) -> bool:
        return path.with_suffix(suffix).exists() or path.with_suffix(suffix.upper()).exists()

    if not part(".dbf"):
        raise ImportValidationError(f"{path}: no {path.stem}.dbf beside it, which holds a Shapefile's "
                                    "attributes: deliver the .shp, .shx, .dbf, .prj and .cpg together")
    if part(".shx"):
        yield path
        return
    with temporary_copy(path) as copy:
        pyogrio.set_gdal_config_options({"SHAPE_RESTORE_SHX": True})
        try:
            yield copy
        finally:
            pyogrio.set_gdal_config_options({"SHAPE_RESTORE_SHX": None})
    notes.append(f"no {path.stem}.shx index beside it: rebuilt from the .shp in a temporary copy")


def _source(path: Path, source: Path | io.BytesIO, notes: list[str], *,
            neutral: bool) -> AbstractContextManager[Path | io.BytesIO]:
    """Where GDAL reads the vector file `path` (read from `source`)."""
    suffix = path.suffix.lower()
    if suffix == ".shp":
        return _shapefile_source(path, notes)
    if suffix in (".tab", ".mif") and neutral:
        return neutral_copy(path)
    return _readable(source)


@contextmanager
def _readable(source: Path | io.BytesIO) -> Iterator[Path | io.BytesIO]:
    """Where GDAL reads a vector file: `source`, or for a GML file a temporary copy, since GDAL writes a .gfs
    schema beside a GML file that comes without one (the delivery folder is not written to)."""
    if isinstance(source, io.BytesIO) or source.suffix.lower() != ".gml":
        yield source
        return
    with temporary_copy(source) as copy:
        yield copy


def layers_to_read(path: Path, wanted: Sequence[str], *, named: bool = True, encoding: str | None = None,
                   names_a_class: Callable[[str], bool] | None = None) -> tuple[list[str | None], list[str]]:
    """The layers of one survey file that an import reads, and notes.

    A census often comes as one GeoPackage, geodatabase, KML or workbook with a layer or sheet per
    class, so every layer with geometries or coordinate columns (POINT_X/POINT_Y) is read (other tables are
    named in a note; a file of such tables only reads them all), and every sheet whose header names
    coordinate columns when more than one does; or the layers `wanted` names
    (--layer, repeatable). None stands for "the file's only layer, or the reader's choice".

    A table found in a folder or an archive (not `named`) whose header names no coordinate columns is
    an attribute table delivered beside the shapes, a .json file found there that is not GeoJSON a
    report or settings file, a SQLite database without tables of geometries or coordinates an app's
    settings or cache, and a file of refused rows (layers.returned_rows) an earlier import's: none is
    read, and a note says so.

    A drawing's CAD layers are its layers; when `names_a_class` is given only those it accepts are read,
    since a drawing also holds roads, buildings and frames on layers of their own."""
    suffix = path.suffix.lower()
    if suffix in UNREAD_FORMATS:
        if named:
            raise ImportValidationError(f"{path}: {UNREAD_FORMATS[suffix]}")
        return [], [f"not read: {UNREAD_FORMATS[suffix]}"]
    if suffix in CAD_SUFFIXES:
        return _cad_layers_to_read(path, wanted, encoding, names_a_class)
    if suffix in DELIMITED_SUFFIXES:
        if not named and not wanted and not csv_holds_coordinates(path, encoding):
            return [], [_NO_COORDINATES]
        return [None], ([_one_layer_note(suffix)] if wanted else [])
    if suffix in TABLE_SUFFIXES:
        if wanted:
            return list[str | None](dict.fromkeys(wanted)), []
        names, holding = sheets_that_fit(path, holds_coordinates)
        if not holding and not named:
            return [], [_NO_COORDINATES]
        if len(holding) < 2:  # the reader picks the sheet and notes the others
            return [None], []
        others = [name for name in names if name not in holding]
        return list[str | None](holding), ([f"workbook sheets without coordinate columns not read: {others}"]
                                           if others else [])
    if suffix == ".json" and not named and not _opens_as_geojson(path):
        return [], ["not read: not GeoJSON (a report, settings or metadata file?)"]
    if suffix not in MULTI_LAYER:
        return [None], ([_one_layer_note(suffix)] if wanted else [])
    names, spatial = _layer_names(path)
    if not named and holds_refused_rows(path, names):
        return [], ["not read: the rows an import refused, written for correction; import it by name once "
                    "corrected"]
    if wanted:
        missing = [name for name in wanted if name not in names]
        if missing:
            raise ImportValidationError(f"{path}: no layer {', '.join(map(repr, missing))}; the layers are "
                                        f"{names}")
        return list[str | None](dict.fromkeys(wanted)), []
    if suffix == ".gpx":
        walked = [name for name in names if name != _GPX_SURVEY_LAYER and _features(path, name) > 0]
        return [_GPX_SURVEY_LAYER], ([f"GPX {', '.join(walked)} not read (the paths walked, not components); "
                                     "--layer reads them"] if walked else [])
    read = [name for name in names if name in spatial or _names_coordinates(path, name)]
    if not read and suffix == ".sqlite" and not named:  # SQLite also keeps settings and apps' caches
        return [], ["not read: no table with geometries or coordinate columns (not a SpatiaLite survey?)"]
    if not read:
        return list[str | None](names), []
    tables = [name for name in names if name not in read]
    skipped = [f"{MULTI_LAYER[suffix]} tables without geometries not read: {tables}"] if tables else []
    return list[str | None](read), skipped


def _cad_layers_to_read(path: Path, wanted: Sequence[str], encoding: str | None,
                        names_a_class: Callable[[str], bool] | None) -> tuple[list[str | None], list[str]]:
    drawing = read_drawing(path, text_codec(path, encoding, "--encoding") if encoding else None)
    counts = drawing.layers()
    if wanted:
        missing = [name for name in wanted if name not in counts]
        if missing:
            raise ImportValidationError(f"{path}: no CAD layer {', '.join(map(repr, missing))}; the CAD "
                                        f"layers holding shapes are {list(counts)}")
        return list[str | None](dict.fromkeys(wanted)), drawing.notes
    chosen = [name for name in counts if names_a_class is None or names_a_class(name)]
    others = ", ".join(f"{name} ({count})" for name, count in counts.items() if name not in chosen)
    if not chosen:
        raise ImportValidationError(
            f"{path}: no CAD layer is named by a component class (its code or standard name, or the "
            f"mapping's classes:); the CAD layers holding shapes (entities) are {others or 'none'}: pass "
            "--layer to read one, with --class for its class")
    passed_over = [f"CAD layers not named by a component class not read: {others}; --layer reads them"]
    return list[str | None](chosen), drawing.notes + (passed_over if others else [])


_NO_COORDINATES = ("not read: its header names no coordinate, coordinate-pair or WKT columns "
                   "(an attribute table?)")


def _opens_as_geojson(path: Path) -> bool:
    """True when GDAL opens a .json file as GeoJSON; folders also hold .json reports and settings."""
    try:
        pyogrio.read_info(path)
    except _READ_ERRORS:
        return False
    return True


def _names_coordinates(path: Path, layer: str) -> bool:
    """True when the columns of a table without geometries name coordinates (POINT_X/POINT_Y, 经度/纬度)."""
    with _readable(path) as readable:
        return names_coordinates([str(name) for name in pyogrio.read_info(readable, layer=layer)["fields"]])


def _features(path: Path, layer: str) -> int:
    return int(pyogrio.read_info(path, layer=layer, force_feature_count=True)["features"])


def _one_layer_note(suffix: str) -> str:
    return f"--layer ignored: a {suffix} file holds one layer"


def _layer_names(path: Path) -> tuple[list[str], list[str]]:
    """The layers of a multi-layer file, and those of them with geometries."""
    try:
        with _readable(path) as readable:
            layers = [(str(name), kind) for name, kind in pyogrio.list_layers(readable)]
    except _READ_ERRORS as error:
        raise ImportValidationError(f"{path}: cannot read: {error}") from None
    if not layers:
        raise ImportValidationError(f"{path}: the {MULTI_LAYER[path.suffix.lower()]} has no layers")
    return [name for name, _ in layers], [name for name, kind in layers if kind is not None]


def _chosen_layer(path: Path, layer: str | None, notes: list[str]) -> str:
    """--layer, else the first layer with geometries (a note names the others)."""
    names, spatial = _layer_names(path)
    if layer is not None:
        if layer not in names:
            raise ImportValidationError(f"{path}: no layer {layer!r}; the layers are {names}")
        return layer
    chosen = (spatial or names)[0]
    if len(names) > 1:
        notes.append(f"{MULTI_LAYER[path.suffix.lower()]} layers {names}: read {chosen!r}; pass --layer to "
                     "choose")
    return chosen
