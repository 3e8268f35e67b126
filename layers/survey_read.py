"""Read a contractor's component survey with its source CRS: GeoPackage, Shapefile, GeoJSON, ESRI File
Geodatabase, MapInfo TAB/MIF, KML/KMZ (as field apps export them), CSV, XLSX and XLS."""

import codecs
import glob
import io
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyogrio.errors import CRSError as OgrCRSError
from pyogrio.errors import DataLayerError, DataSourceError, FeatureError, FieldError, GeometryError
from pyproj import CRS

from gis.crs import CGCS2000, CrsSpec, crs_spec_of, unshifted_datum_note
from gis.errors import ImportValidationError, InvalidParameter
from layers.field_mapping import DBF_NAME_BYTES, FieldMapping
from layers.survey_axes import fit_plane_coordinates, zone_hint
from layers.survey_cad import read_drawing
from layers.survey_kml import ascii_data_names, description_fields
from layers.survey_shapes import plain_shapes
from layers.survey_tables import (
    RawLayer,
    csv_holds_coordinates,
    decode_text,
    holds_coordinates,
    names_coordinates,
    read_csv_table,
    read_workbook_table,
    table_layer,
)
from layers.survey_unusual_geometries import read_layer
from layers.survey_workbooks import sheets_that_fit

VECTOR_SUFFIXES = (".gpkg", ".shp", ".geojson", ".json", ".gdb", ".tab", ".mif", ".kml", ".kmz", ".gpx")
_MULTI_LAYER = {".gpkg": "GeoPackage", ".gdb": "File Geodatabase", ".kml": "KML", ".kmz": "KML",
                ".gpx": "GPX"}
# A GPS receiver's or field app's GPX file: the components are its waypoints; its routes and tracks are
# the paths walked, and its route and track points their fixes
_GPX_SURVEY_LAYER = "waypoints"
# Columns the KML driver adds to every placemark: styling and structure, not survey fields
_KML_LABEL = "Name"  # a placemark's name: its label, the component's name unless a field says otherwise
_KML_STRUCTURE = ("id", "timestamp", "begin", "end", "altitudeMode", "tessellate", "extrude", "visibility",
                  "drawOrder", "icon")
TABLE_SUFFIXES = (".csv", ".xlsx", ".xlsm", ".xls")
CAD_SUFFIXES = (".dxf",)  # read by layers.survey_cad, a CAD layer at a time
SURVEY_SUFFIXES = VECTOR_SUFFIXES + TABLE_SUFFIXES + CAD_SUFFIXES
# Survey formats onemap cannot open, named in the report with what to deliver instead (not passed over
# in silence: a Personal Geodatabase may hold most of a census)
_PERSONAL_GDB = ("a Personal Geodatabase (Access), which onemap cannot open: export its feature classes to a "
                 "File Geodatabase (.gdb) or GeoPackage and import that")
UNREAD_FORMATS = {".mdb": _PERSONAL_GDB, ".accdb": _PERSONAL_GDB,
                  ".dwg": "a CAD drawing in DWG, which onemap cannot open: save it as DXF and import that"}
ARCHIVE_SUFFIXES = (".zip", ".7z", ".rar", ".tar", ".tar.gz", ".tgz")  # unpacked by layers.survey_deliveries
_PYOGRIO_ERRORS = (DataSourceError, DataLayerError, FieldError, FeatureError, GeometryError, OgrCRSError)
_READ_ERRORS = (*_PYOGRIO_ERRORS, UnicodeDecodeError, ValueError)
_CODE_PAGES = {"65001": "UTF-8", "936": "GBK", "54936": "GB18030", "950": "BIG5"}
# How ArcGIS names ISO 8859 parts in a .cpg: 88591 for ISO-8859-1, 885915 for ISO-8859-15 (GDAL reads
# them so too, after Esri's knowledge base article 21106)
_ISO_8859 = re.compile(r"8859-?([0-9]{1,2})", re.ASCII)
# Single-byte Western code pages: a .cpg naming one over GBK text decodes almost any byte, to mojibake
_WESTERN_CODE_PAGES = ("CP1252", "ISO8859-1", "ISO8859-15", "CP850", "CP858", "CP437")
_CJK = re.compile(r"[\u4e00-\u9fff]")
# GDAL numbers a cut name that repeats an earlier one: %.8s_%d, so a UTF-8 name may end mid-character
# before the number (管理部件名称 → 管理 and two bytes of 部, then _1)
_NUMBERED_NAME = re.compile(rb"(.+)(_[0-9]{1,2})", re.DOTALL)
_CUT_REASONS = ("unexpected end of data", "incomplete multibyte sequence")
_METRES_HINT = "pass --crs EPSG:45xx (the CGCS2000 Gauss-Krüger zone, e.g. EPSG:4547 for CM 114°E)"
NO_CRS_NOTE = (
    "no CRS given: coordinates taken as CGCS2000 lon/lat; pass --crs gcj02 if they come from a consumer map"
)


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

    def __len__(self) -> int:
        return len(self.row_numbers)


def read_survey(
    path: Path, *, crs: CrsSpec | None = None, encoding: str | None = None, layer: str | None = None
) -> SurveyFrame:
    """Read a survey file; `crs` overrides the file's CRS, `encoding` the detected text encoding."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in UNREAD_FORMATS:
        raise ImportValidationError(f"{path}: {UNREAD_FORMATS[suffix]}")
    if suffix not in SURVEY_SUFFIXES:
        kinds = ", ".join((*SURVEY_SUFFIXES, *ARCHIVE_SUFFIXES))
        raise ImportValidationError(f"{path}: unsupported file type {suffix or 'none'!r}; use {kinds}")
    if not (path.is_dir() if suffix == ".gdb" else path.is_file()):
        raise ImportValidationError(f"{path}: no such {'geodatabase folder' if suffix == '.gdb' else 'file'}")
    codec = _codec(path, encoding, "--encoding") if encoding else None
    if suffix in VECTOR_SUFFIXES:
        raw = _read_vector(path, codec=codec, layer=layer, crs=crs)
    elif suffix in CAD_SUFFIXES:
        raw = read_drawing(path, codec).layer(path, layer)
    elif suffix == ".csv":
        raw = read_csv_table(path, codec=codec, crs=crs)
    else:
        raw = read_workbook_table(path, sheet=layer, crs=crs)
        if codec:
            raw.notes.append("--encoding ignored: a workbook stores Unicode text")
    source = _choose_crs(path, raw, crs)
    geometries = plain_shapes(raw.geometries, raw.notes)
    geometries = fit_plane_coordinates(path, geometries, raw.geometry_columns, source, raw.notes)
    return SurveyFrame(
        path, raw.attributes, geometries, raw.row_numbers, source, raw.encoding, tuple(raw.notes),
        raw.geometry_columns, raw.geometry_problems, raw.yielding,
    )


def _codec(path: Path, name: str, origin: str) -> str:
    """A Python codec name for an encoding given by the user or a .cpg ('GBK', '936', 'ANSI 936', 'UTF-8',
    ArcGIS's '88591')."""
    text = re.sub(r"^ANSI\s*", "", name.strip(), flags=re.IGNORECASE)
    if iso := _ISO_8859.fullmatch(text):
        text = f"ISO-8859-{iso[1]}"
    elif re.fullmatch(r"[0-9]+", text, re.ASCII):
        text = _CODE_PAGES.get(text, f"CP{text}")
    try:
        return codecs.lookup(text).name.upper()
    except LookupError:
        raise ImportValidationError(f"{path}: unknown text encoding {name!r} ({origin})") from None


# ---- vector files ----------------------------------------------------------------------------------------


def _read_vector(path: Path, *, codec: str | None, layer: str | None, crs: CrsSpec | None) -> RawLayer:
    notes: list[str] = []
    suffix = path.suffix.lower()
    source: Path | io.BytesIO = path
    read_encoding: str | None = None
    text_encoding: str | None = None
    if suffix in _MULTI_LAYER:
        layer = _chosen_layer(path, layer, notes)
        if codec:
            notes.append(f"--encoding ignored: {_MULTI_LAYER[suffix]} text is Unicode")
    elif layer is not None:
        notes.append(_one_layer_note(suffix))
        layer = None
    if suffix == ".shp":
        read_encoding = "ISO-8859-1"  # byte-transparent: the .dbf bytes come back as code points 0-255
    elif suffix in (".tab", ".mif"):  # GDAL decodes the charset the table declares
        read_encoding = codec
    elif suffix in (".geojson", ".json"):  # must be UTF-8 (RFC 8259); contractors' tools sometimes write GBK
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
            with _shapefile_source(path, notes) if suffix == ".shp" else nullcontext(source) as readable:
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
    declared_crs: CRS | None = None
    if isinstance(frame, gpd.GeoDataFrame):
        geometries = np.asarray(frame.geometry.array, dtype=object)
        declared_crs = frame.crs
        attributes = pd.DataFrame(frame.drop(columns=frame.geometry.name))
        if suffix in (".kml", ".kmz"):
            attributes = attributes.drop(columns=[c for c in _KML_STRUCTURE if c in attributes.columns])
            attributes = attributes.rename(columns=data_names)
            attributes = _with_description_fields(attributes, notes)
        if suffix == ".gpx":  # GPX has a fixed schema (link1_href, sat, hdop …) that a waypoint seldom fills
            attributes = attributes.dropna(axis=1, how="all")
    else:
        geometries = np.full(len(frame), None, dtype=object)
        attributes = pd.DataFrame(frame)
    if suffix == ".shp":
        text_encoding = _shapefile_text(path, attributes, codec, notes)
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
    declared, declared_name = _declared_crs(declared_crs)
    if suffix in (".geojson", ".json") and declared == CrsSpec(epsg=4326):
        notes.append("GeoJSON CRS: WGS84 (declared, or the RFC 7946 default when the file names none)")
    rows = np.arange(1, len(attributes) + 1)
    return RawLayer(attributes, geometries, rows, declared, declared_name, text_encoding, notes,
                    geometry_problems=problems,
                    yielding=(_KML_LABEL,) if suffix in (".kml", ".kmz") else ())


def _with_description_fields(attributes: pd.DataFrame, notes: list[str]) -> pd.DataFrame:
    """A KML layer's attributes with the fields of its placemarks' description tables (ArcGIS) in place of
    the descriptions; a field of the name of a column the placemarks have already is left to that column."""
    if "description" not in attributes.columns:
        return attributes
    fields = description_fields(attributes["description"])
    if fields is None:
        return attributes
    fields = fields.drop(columns=[c for c in fields.columns if c in attributes.columns])
    notes.append(f"fields read from the placemarks' description tables (as ArcGIS writes KML): "
                 f"{', '.join(map(str, fields.columns))}")
    return pd.concat([attributes.drop(columns="description"), fields], axis=1)


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
    with tempfile.TemporaryDirectory(prefix="onemap-shp-") as folder:
        for sibling in path.parent.glob(glob.escape(path.stem) + ".*"):
            shutil.copyfile(sibling, Path(folder) / sibling.name)
        pyogrio.set_gdal_config_options({"SHAPE_RESTORE_SHX": True})
        try:
            yield Path(folder) / path.name
        finally:
            pyogrio.set_gdal_config_options({"SHAPE_RESTORE_SHX": None})
    notes.append(f"no {path.stem}.shx index beside it: rebuilt from the .shp in a temporary copy")


def layers_to_read(path: Path, wanted: Sequence[str], *, named: bool = True, encoding: str | None = None,
                   names_a_class: Callable[[str], bool] | None = None) -> tuple[list[str | None], list[str]]:
    """The layers of one survey file that an import reads, and notes.

    A census often comes as one GeoPackage, geodatabase, KML or workbook with a layer or sheet per
    class, so every layer with geometries or coordinate columns (POINT_X/POINT_Y) is read (other tables are
    named in a note; a file of such tables only reads them all), and every sheet whose header names
    coordinate columns when more than one does; or the layers `wanted` names
    (--layer, repeatable). None stands for "the file's only layer, or the reader's choice".

    A table found in a folder or an archive (not `named`) whose header names no coordinate columns is
    an attribute table delivered beside the shapes, and a .json file found there that is not GeoJSON a
    report or settings file: neither is read, and a note says so.

    A drawing's CAD layers are its layers; when `names_a_class` is given only those it accepts are read,
    since a drawing also holds roads, buildings and frames on layers of their own."""
    suffix = path.suffix.lower()
    if suffix in UNREAD_FORMATS:
        if named:
            raise ImportValidationError(f"{path}: {UNREAD_FORMATS[suffix]}")
        return [], [f"not read: {UNREAD_FORMATS[suffix]}"]
    if suffix in CAD_SUFFIXES:
        return _cad_layers_to_read(path, wanted, encoding, names_a_class)
    if suffix == ".csv":
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
    if suffix not in _MULTI_LAYER:
        return [None], ([_one_layer_note(suffix)] if wanted else [])
    names, spatial = _layer_names(path)
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
    if not read:
        return list[str | None](names), []
    tables = [name for name in names if name not in read]
    skipped = [f"{_MULTI_LAYER[suffix]} tables without geometries not read: {tables}"] if tables else []
    return list[str | None](read), skipped


def _cad_layers_to_read(path: Path, wanted: Sequence[str], encoding: str | None,
                        names_a_class: Callable[[str], bool] | None) -> tuple[list[str | None], list[str]]:
    drawing = read_drawing(path, _codec(path, encoding, "--encoding") if encoding else None)
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
    return names_coordinates([str(name) for name in pyogrio.read_info(path, layer=layer)["fields"]])


def _features(path: Path, layer: str) -> int:
    return int(pyogrio.read_info(path, layer=layer, force_feature_count=True)["features"])


def _one_layer_note(suffix: str) -> str:
    return f"--layer ignored: a {suffix} file holds one layer"


def _layer_names(path: Path) -> tuple[list[str], list[str]]:
    """The layers of a multi-layer file, and those of them with geometries."""
    try:
        layers = [(str(name), kind) for name, kind in pyogrio.list_layers(path)]
    except _READ_ERRORS as error:
        raise ImportValidationError(f"{path}: cannot read: {error}") from None
    if not layers:
        raise ImportValidationError(f"{path}: the {_MULTI_LAYER[path.suffix.lower()]} has no layers")
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
        notes.append(f"{_MULTI_LAYER[path.suffix.lower()]} layers {names}: read {chosen!r}; pass --layer to "
                     "choose")
    return chosen


def _shapefile_text(path: Path, attributes: pd.DataFrame, codec: str | None, notes: list[str]) -> str:
    """Decode the .dbf names and strings (read as ISO-8859-1) in place; return the encoding used.

    The encoding is --encoding, else the .cpg (see _cpg_codec), else detected: UTF-8 when every text decodes
    strictly, else GB18030 (a superset of GBK and GB2312, which Chinese desktop GIS writes without a .cpg).
    """
    cpg = path.with_suffix(".cpg")
    if not cpg.exists():
        cpg = path.with_suffix(".CPG")
    columns = [c for c in attributes.columns if pd.api.types.is_string_dtype(attributes[c].dtype)]
    text = _DbfText(tuple(c.encode("latin-1") for c in attributes.columns if isinstance(c, str)),
                    tuple(v.encode("latin-1") for c in columns for v in attributes[c] if isinstance(v, str)))
    said = ""
    if codec is not None:
        if cpg.exists():
            notes.append(f".cpg says {cpg.read_text(errors='replace').strip()!r}; decoded as {codec}")
    elif cpg.exists():
        codec, said = _cpg_codec(path, cpg, text, notes), f" (as {cpg.name} says)"
    else:
        codec = _detect(path, text)
        ascii_only = all(b.isascii() for b in (*text.names, *text.values))
        notes.append("no .cpg: .dbf text is ASCII" if ascii_only else f"no .cpg: .dbf decoded as {codec}")
    truncated: set[str] = set()

    def decode(value: str, column: str, row: int | None) -> str:
        data = value.encode("latin-1")
        text, cut = _decode_name(data, codec) if row is None else _decode_cut(data, codec)
        if text is None:
            where = (f"field name {data.decode(codec, errors='replace')!r}" if row is None
                     else f"row {row}, field {column!r}")
            raise ImportValidationError(f"{path}: {where}: text is not valid {codec}{said}; pass --encoding")
        if cut:
            truncated.add(text if row is None else column)
        return text

    names = {c: decode(c, c, None) for c in attributes.columns if isinstance(c, str)}
    for column in columns:
        attributes[column] = [
            decode(v, names[column], row) if isinstance(v, str) else v
            for row, v in enumerate(attributes[column], start=1)
        ]
    attributes.columns = pd.Index([names.get(c, c) for c in attributes.columns])
    if truncated:
        notes.append(f"text cut mid-character at the .dbf field width, bytes dropped: {sorted(truncated)}")
    notes.extend(_cut_name_notes(names, codec))
    return codec


@dataclass(frozen=True)
class _DbfText:
    """The bytes of a .dbf's field names and text values."""

    names: tuple[bytes, ...]
    values: tuple[bytes, ...]

    def decoded(self, codec: str) -> list[str] | None:
        """Every name and value in `codec` (a cut character dropped); None as soon as one is not `codec`."""
        texts: list[str] = []
        for decode, blobs in ((_decode_name, self.names), (_decode_cut, self.values)):
            for blob in blobs:
                text, _ = decode(blob, codec)
                if text is None:
                    return None
                texts.append(text)
        return texts


def _cpg_codec(path: Path, cpg: Path, text: _DbfText, notes: list[str]) -> str:
    """The encoding the .cpg names, unless it names a Western single-byte code page over text that reads as
    Chinese in UTF-8 or GB18030 (ArcMap on an English-locale Windows writes 1252, and .cpg files are copied
    from templates): such a code page decodes almost any byte, so the rows would load as ÓêË®¾®¸Ç with
    nothing to tell. The override is noted, with how to keep the .cpg's encoding."""
    declared = cpg.read_text(encoding="ascii", errors="replace").strip()
    codec = _codec(path, declared, cpg.name)
    chinese = _chinese_encoding(text) if codec in _WESTERN_CODE_PAGES else None
    if chinese is None:
        return codec
    sample = next(b for b in (*text.values, *text.names) if not b.isascii())[:24]
    notes.append(f"{cpg.name} says {declared!r} ({codec}), but the .dbf text reads as Chinese in {chinese} "
                 f"({_decode_cut(sample, chinese)[0]!r}, which {codec} reads as "
                 f"{sample.decode(codec, errors='replace')!r}): decoded as {chinese}; pass --encoding "
                 f"{declared} to read it as the .cpg says")
    return chinese


def _chinese_encoding(text: _DbfText) -> str | None:
    """UTF-8, else GB18030, when every name and value decodes in it and CJK ideographs are among them; in
    GB18030 only when the bytes past ASCII pair up as GBK's double-byte characters do (see _gbk_pairs)."""
    for codec in ("UTF-8", "GB18030"):
        decoded = text.decoded(codec)
        if decoded and any(map(_CJK.search, decoded)) and (codec == "UTF-8" or _gbk_pairs(decoded)):
            return codec
    return None


def _gbk_pairs(texts: Sequence[str]) -> bool:
    """True when two characters past ASCII or more, and nine in ten, were two bytes past ASCII, as GBK
    text is. A Western text's accented letters mostly stand alone (église, für): read as GB18030, é and
    the ASCII letter after it make one character, which counts against."""
    wide = [c for t in texts for c in t if not c.isascii()]
    pairs = sum(1 for c in wide if len(data := c.encode("gb18030")) == 2 and data[1] >= 0x80)
    return pairs >= 2 and pairs * 10 >= len(wide) * 9


def _decode_cut(data: bytes, codec: str) -> tuple[str | None, bool]:
    """Decode strictly, tolerating only a multibyte character cut off at the end; (None, False) if invalid."""
    try:
        return data.decode(codec), False
    except UnicodeDecodeError as error:
        if error.reason in _CUT_REASONS and error.start > 0:
            try:
                return data[: error.start].decode(codec), True
            except UnicodeDecodeError:
                return None, False
        return None, False


def _decode_name(data: bytes, codec: str) -> tuple[str | None, bool]:
    """A field name decoded as _decode_cut does, also one that GDAL cut mid-character and then numbered
    (_NUMBERED_NAME): the broken character before the number is dropped."""
    text, cut = _decode_cut(data, codec)
    if text is None and (numbered := _NUMBERED_NAME.fullmatch(data)):
        base, cut = _decode_cut(numbered[1], codec)
        if base is not None and cut:
            return base + numbered[2].decode("ascii"), True
    return text, cut


def _detect(path: Path, text: _DbfText) -> str:
    for candidate in ("UTF-8", "GB18030"):
        if text.decoded(candidate) is not None:
            return candidate
    raise ImportValidationError(f"{path}: .dbf text is neither UTF-8 nor GB18030: pass --encoding")


def _cut_name_notes(names: dict[str, str], codec: str) -> list[str]:
    """A note per column whose name the .dbf's 10 bytes may have cut from standard names the mapping
    cannot tell apart (管理部件标识码, 管理部件名称 and 管理部件状态 all keep 管理部 in UTF-8): such a
    column would be a free attribute without a word, an identifier column too."""
    mapping = FieldMapping.default()
    notes: list[str] = []
    for raw, name in names.items():
        if mapping.resolve([name]).fields:  # the mapping reads it, a cut it can tell included
            continue
        if fields := _fields_cut_to(raw.encode("latin-1"), name, codec, mapping):
            candidates = ", ".join(f"{alias} ({field})" for field, alias in fields.items())
            notes.append(f"column {name!r} may be a name cut to the Shapefile's {DBF_NAME_BYTES} bytes: "
                         f"{candidates}; read as a free attribute unless a --mapping file names it "
                         f"(extend: {{FIELD: [{name!r}]}})")
    return notes


def _fields_cut_to(raw: bytes, name: str, codec: str, mapping: FieldMapping) -> dict[str, str]:
    """The standard fields the column `name` (its .dbf bytes `raw`) may have been cut from; a name GDAL
    numbered is compared without its number, at the bytes left before it."""
    numbered = _NUMBERED_NAME.fullmatch(raw) if len(raw) == DBF_NAME_BYTES else None
    number = numbered[2].decode("ascii") if numbered else ""
    return mapping.aliases_cut_to(name.removesuffix(number), codec, DBF_NAME_BYTES - len(number))


def _declared_crs(crs: CRS | None) -> tuple[CrsSpec | None, str | None]:
    """The declared CRS as a CrsSpec (None when absent or unusable: no EPSG code and no way to
    CGCS2000) and its name."""
    if crs is None:
        return None, None
    try:
        return crs_spec_of(crs), crs.name
    except InvalidParameter:
        return None, crs.name


# ---- CRS -------------------------------------------------------------------------------------------------


def _choose_crs(path: Path, raw: RawLayer, given: CrsSpec | None) -> CrsSpec:
    """--crs, else the declared CRS, else CGCS2000 when coordinates are degrees; check the units agree."""
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
    # |value| ≤ 180 on both axes: degrees, even when lon and lat are swapped (the validator
    # reports those); projected coordinates of China are hundreds of thousands of metres.
    degrees = (np.abs(bounds) <= 180).all(axis=1)
    metres = np.flatnonzero(finite & ~degrees)
    if source.is_geographic and len(metres):
        row = metres[0]
        where = f"row {raw.row_numbers[row]}: x={bounds[row, 0]:.10g}, y={bounds[row, 1]:.10g}"
        what = f"the CRS {source} is lon/lat" if given or raw.declared else "no CRS is given"
        message = f"coordinates look like metres ({where}) but {what}"
        zone_form = zone_hint(bounds[metres, 0]) or zone_hint(bounds[metres, 1])
        hint = (f"{zone_form} (or that zone's Xian 1980 / Beijing 1954 CRS if the survey used one)"
                if zone_form else _METRES_HINT)
        raise ImportValidationError(f"{path}: {message}: {hint}")
    if not source.is_geographic and finite.any() and degrees[finite].all():
        raise ImportValidationError(
            f"{path}: coordinates look like lon/lat degrees but the CRS {source} is projected; "
            "pass --crs EPSG:4490 (or the CRS they are in)"
        )
    if (unshifted := unshifted_datum_note(source, to_cgcs2000=True)) is not None:
        raw.notes.append(unshifted)
    return source
