"""Read a contractor's component survey with its source CRS: GeoPackage, Shapefile, GeoJSON, ESRI File
Geodatabase, MapInfo TAB/MIF, KML/KMZ (as field apps export them), CSV, XLSX and XLS."""

import codecs
import csv
import glob
import io
import re
import shutil
import tempfile
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyogrio.errors import CRSError as OgrCRSError
from pyogrio.errors import DataLayerError, DataSourceError, FeatureError, FieldError, GeometryError
from pyproj import CRS

from gis.crs import CGCS2000, CrsSpec, crs_spec_of
from gis.errors import ImportValidationError, InvalidParameter
from layers.survey_axes import fit_plane_coordinates, zone_hint
from layers.survey_coordinates import (
    coordinate_numbers,
    coordinate_pairs,
    dms_column_degrees,
    dms_columns,
    pair_column,
    pair_numbers,
    wkt_column,
)
from layers.survey_form_rows import form_rows, form_rows_note, is_column_number_row
from layers.survey_shapes import plain_shapes
from layers.survey_unusual_geometries import from_wkt, read_layer
from layers.survey_workbooks import HEADER_ROWS, MergedDown, sheet_rows, sheets_that_fit

VECTOR_SUFFIXES = (".gpkg", ".shp", ".geojson", ".json", ".gdb", ".tab", ".mif", ".kml", ".kmz")
_MULTI_LAYER = {".gpkg": "GeoPackage", ".gdb": "File Geodatabase", ".kml": "KML", ".kmz": "KML"}
# Columns the KML driver adds to every placemark: styling and structure, not survey fields
_KML_STRUCTURE = ("id", "timestamp", "begin", "end", "altitudeMode", "tessellate", "extrude", "visibility",
                  "drawOrder", "icon")
TABLE_SUFFIXES = (".csv", ".xlsx", ".xlsm", ".xls")
SURVEY_SUFFIXES = VECTOR_SUFFIXES + TABLE_SUFFIXES
ARCHIVE_SUFFIXES = (".zip", ".7z", ".rar", ".tar", ".tar.gz", ".tgz")  # unpacked by layers.survey_deliveries
_PYOGRIO_ERRORS = (DataSourceError, DataLayerError, FieldError, FeatureError, GeometryError, OgrCRSError)
_READ_ERRORS = (*_PYOGRIO_ERRORS, UnicodeDecodeError, ValueError)
_CODE_PAGES = {"65001": "UTF-8", "936": "GBK", "54936": "GB18030", "950": "BIG5"}
_CUT_REASONS = ("unexpected end of data", "incomplete multibyte sequence")
_CSV_HEAD_BYTES = 1 << 16  # enough for a CSV file's header lines
_LINE_BREAKS = re.compile(r"[^\S\r\n]*[\r\n]+[^\S\r\n]*")  # with the spaces around them
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

    def __len__(self) -> int:
        return len(self.row_numbers)


@dataclass
class _Raw:
    attributes: pd.DataFrame
    geometries: np.ndarray
    row_numbers: np.ndarray
    declared: CrsSpec | None = None
    declared_name: str | None = None
    encoding: str | None = None
    notes: list[str] = field(default_factory=list)
    geometry_columns: tuple[str, ...] = ()
    geometry_problems: np.ndarray | None = None


def read_survey(
    path: Path, *, crs: CrsSpec | None = None, encoding: str | None = None, layer: str | None = None
) -> SurveyFrame:
    """Read a survey file; `crs` overrides the file's CRS, `encoding` the detected text encoding."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SURVEY_SUFFIXES:
        kinds = ", ".join((*SURVEY_SUFFIXES, *ARCHIVE_SUFFIXES))
        raise ImportValidationError(f"{path}: unsupported file type {suffix or 'none'!r}; use {kinds}")
    if not (path.is_dir() if suffix == ".gdb" else path.is_file()):
        raise ImportValidationError(f"{path}: no such {'geodatabase folder' if suffix == '.gdb' else 'file'}")
    codec = _codec(path, encoding, "--encoding") if encoding else None
    if suffix in VECTOR_SUFFIXES:
        raw = _read_vector(path, codec=codec, layer=layer)
    elif suffix == ".csv":
        raw = _read_csv(path, codec=codec, crs=crs)
    else:
        raw = _read_workbook(path, sheet=layer, crs=crs)
        if codec:
            raw.notes.append("--encoding ignored: a workbook stores Unicode text")
    source = _choose_crs(path, raw, crs)
    geometries = plain_shapes(raw.geometries, raw.notes)
    geometries = fit_plane_coordinates(path, geometries, raw.geometry_columns, source, raw.notes)
    return SurveyFrame(
        path, raw.attributes, geometries, raw.row_numbers, source, raw.encoding, tuple(raw.notes),
        raw.geometry_columns, raw.geometry_problems,
    )


def _codec(path: Path, name: str, origin: str) -> str:
    """A Python codec name for an encoding given by the user or a .cpg ('GBK', '936', 'ANSI 936', 'UTF-8')."""
    text = re.sub(r"^ANSI\s*", "", name.strip(), flags=re.IGNORECASE)
    if re.fullmatch(r"[0-9]+", text, re.ASCII):
        text = _CODE_PAGES.get(text, f"CP{text}")
    try:
        return codecs.lookup(text).name.upper()
    except LookupError:
        raise ImportValidationError(f"{path}: unknown text encoding {name!r} ({origin})") from None


# ---- vector files ----------------------------------------------------------------------------------------


def _read_vector(path: Path, *, codec: str | None, layer: str | None) -> _Raw:
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
    else:
        geometries = np.full(len(frame), None, dtype=object)
        attributes = pd.DataFrame(frame)
    if suffix == ".shp":
        text_encoding = _shapefile_text(path, attributes, codec, notes)
    attributes = attributes.reset_index(drop=True)
    declared, declared_name = _declared_crs(declared_crs)
    if suffix in (".geojson", ".json") and declared == CrsSpec(epsg=4326):
        notes.append("GeoJSON CRS: WGS84 (declared, or the RFC 7946 default when the file names none)")
    rows = np.arange(1, len(attributes) + 1)
    return _Raw(attributes, geometries, rows, declared, declared_name, text_encoding, notes,
                geometry_problems=problems)


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


def layers_to_read(path: Path, wanted: Sequence[str], *, named: bool = True,
                   encoding: str | None = None) -> tuple[list[str | None], list[str]]:
    """The layers of one survey file that an import reads, and notes.

    A census often comes as one GeoPackage, geodatabase, KML or workbook with a layer or sheet per
    class, so every layer with geometries is read (tables without any are named in a note), and every
    sheet whose header names coordinate columns when more than one does; or the layers `wanted` names
    (--layer, repeatable). None stands for "the file's only layer, or the reader's choice".

    A table found in a folder or an archive (not `named`) whose header names no coordinate columns is
    an attribute table delivered beside the shapes, and a .json file found there that is not GeoJSON a
    report or settings file: neither is read, and a note says so."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        if not named and not wanted and not _csv_holds_coordinates(path, encoding):
            return [], [_NO_COORDINATES]
        return [None], ([_one_layer_note(suffix)] if wanted else [])
    if suffix in TABLE_SUFFIXES:
        if wanted:
            return list[str | None](dict.fromkeys(wanted)), []
        names, holding = sheets_that_fit(path, _holds_coordinates)
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
    if not spatial:
        return list[str | None](names), []
    tables = [name for name in names if name not in spatial]
    skipped = [f"{_MULTI_LAYER[suffix]} tables without geometries not read: {tables}"] if tables else []
    return list[str | None](spatial), skipped


_NO_COORDINATES = ("not read: its header names no coordinate, coordinate-pair or WKT columns "
                   "(an attribute table?)")


def _opens_as_geojson(path: Path) -> bool:
    """True when GDAL opens a .json file as GeoJSON; folders also hold .json reports and settings."""
    try:
        pyogrio.read_info(path)
    except _READ_ERRORS:
        return False
    return True


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


def decode_text(path: Path, data: bytes, codec: str | None, notes: list[str]) -> tuple[str, str]:
    """A text file's text and encoding: `codec` (--encoding), else UTF-8 (BOM or not), else GB18030 (what
    Excel and WPS on Chinese Windows save a CSV as)."""
    if codec is None:
        try:
            return data.decode("utf-8-sig"), "UTF-8"
        except UnicodeDecodeError:
            codec = "GB18030"
            notes.append(f"{path.suffix.lower()[1:].upper()} file is not UTF-8: decoded as GB18030")
    try:
        return data.decode(codec).removeprefix("\ufeff"), codec
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ImportValidationError(f"{path}: line {line}: not valid {codec} text; pass --encoding") from None


def _shapefile_text(path: Path, attributes: pd.DataFrame, codec: str | None, notes: list[str]) -> str:
    """Decode the .dbf names and strings (read as ISO-8859-1) in place; return the encoding used.

    The encoding is --encoding, else the .cpg, else detected: UTF-8 when every text decodes strictly, else
    GB18030 (a superset of GBK and GB2312, which Chinese desktop GIS writes without a .cpg).
    """
    cpg = path.with_suffix(".cpg")
    if not cpg.exists():
        cpg = path.with_suffix(".CPG")
    texts = [c for c in attributes.columns if isinstance(c, str)]
    columns = [c for c in attributes.columns if pd.api.types.is_string_dtype(attributes[c].dtype)]
    for column in columns:
        texts.extend(v for v in attributes[column] if isinstance(v, str))
    blobs = [t.encode("latin-1") for t in texts]
    if codec is not None:
        if cpg.exists():
            notes.append(f".cpg says {cpg.read_text(errors='replace').strip()!r}; decoded as {codec}")
    elif cpg.exists():
        codec = _codec(path, cpg.read_text(encoding="ascii", errors="replace"), cpg.name)
    else:
        codec = _detect(path, blobs)
        ascii_only = all(b.isascii() for b in blobs)
        notes.append("no .cpg: .dbf text is ASCII" if ascii_only else f"no .cpg: .dbf decoded as {codec}")
    truncated: set[str] = set()

    def decode(value: str, column: str, row: int | None) -> str:
        text, cut = _decode_cut(value.encode("latin-1"), codec)
        if text is None:
            where = f"field name {column!r}" if row is None else f"row {row}, field {column!r}"
            raise ImportValidationError(f"{path}: {where}: text is not valid {codec}; pass --encoding")
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
    return codec


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


def _detect(path: Path, blobs: Sequence[bytes]) -> str:
    for candidate in ("UTF-8", "GB18030"):
        if all(_decode_cut(blob, candidate)[0] is not None for blob in blobs):
            return candidate
    raise ImportValidationError(f"{path}: .dbf text is neither UTF-8 nor GB18030: pass --encoding")


def _declared_crs(crs: CRS | None) -> tuple[CrsSpec | None, str | None]:
    """The declared CRS as a CrsSpec (None when absent or unusable: no EPSG code and no way to
    CGCS2000) and its name."""
    if crs is None:
        return None, None
    try:
        return crs_spec_of(crs), crs.name
    except InvalidParameter:
        return None, crs.name


# ---- CSV and workbooks -----------------------------------------------------------------------------------


def _read_csv(path: Path, *, codec: str | None, crs: CrsSpec | None) -> _Raw:
    notes: list[str] = []
    records, codec = _csv_records(path, path.read_bytes(), codec, notes)
    header, rows, lines = _header_and_rows(path, records, "line", notes)
    return _table(path, header, rows, lines, "line", crs=crs, encoding=codec, notes=notes)


def _csv_records(path: Path, data: bytes, codec: str | None,
                 notes: list[str]) -> tuple[list[tuple[int, list[object]]], str]:
    """The non-empty records of CSV text with their first line numbers, and the encoding read."""
    text, codec = decode_text(path, data, codec, notes)
    first_line = text.split("\n", 1)[0]
    delimiter = max(",\t;|", key=first_line.count) if first_line.count(",") == 0 else ","
    if delimiter != ",":
        notes.append(f"CSV delimiter taken as {delimiter!r}")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records: list[tuple[int, list[object]]] = []
    try:
        before = 0
        for record in reader:
            start, before = before + 1, reader.line_num
            if "".join(record).strip():
                records.append((start, cast(list[object], record)))  # cells of str: no copy
    except csv.Error as error:
        raise ImportValidationError(f"{path}: line {reader.line_num}: {error}") from None
    return records, codec


def _csv_holds_coordinates(path: Path, codec: str | None) -> bool:
    """True when the header among a CSV file's first lines names coordinate or WKT columns."""
    with path.open("rb") as file:
        head = file.read(_CSV_HEAD_BYTES)
    if len(head) == _CSV_HEAD_BYTES:  # whole lines only, so no character is cut
        head = head[: head.rfind(b"\n") + 1] or head
    try:
        records, _ = _csv_records(path, head, codec, [])
    except ImportValidationError:
        return True  # reading it whole reports what is wrong, with the line
    return _holds_coordinates(records[:HEADER_ROWS])


def _header_row(records: list[tuple[int, list[object]]]) -> tuple[int, int, list[object]] | None:
    """The header of a sheet's or a CSV file's records: the first row of two filled cells or more (a
    one-cell row above it is a title, e.g. 某区部件普查表), with '' read as empty; as (first row, last
    row, names).

    Official census forms head columns in two rows, a merged group heading over the columns it spans
    (坐标 over X and Y, 主管部门 over 代码 and 名称): such a second row is joined to the first.
    """
    for i, (number, values) in enumerate(records):
        cells = _filled(values)
        if sum(v is not None for v in cells) >= 2:
            below = _filled(records[i + 1][1]) if i + 1 < len(records) else []
            if _is_second_header_row(cells, below):
                return number, records[i + 1][0], _joined_header(cells, below)
            return number, number, cells
    return None


def _is_second_header_row(heading: list[object], below: list[object]) -> bool:
    """True when `below` names columns under a merged heading: text only, none of it a number or
    degrees, and some of it under an empty cell of `heading` (the span of a merged heading)."""
    filled = [(i, v) for i, v in enumerate(below) if v is not None]
    if not filled or not all(isinstance(v, str) for _, v in filled):
        return False
    numbers, _ = coordinate_numbers(pd.Series([v for _, v in filled], dtype=object))
    return not np.isfinite(numbers).any() and any(i >= len(heading) or heading[i] is None for i, _ in filled)


def _joined_header(heading: list[object], below: list[object]) -> list[object]:
    """Each column's name: the heading over it, its group heading followed by the name below it
    (主管部门代码), or the name below alone under a coordinate group (坐标, 经纬度: X, 经度)."""
    names: list[object] = []
    group: object = None
    for i in range(max(len(heading), len(below))):
        top = heading[i] if i < len(heading) else None
        under = below[i] if i < len(below) else None
        group = top if top is not None else group
        if under is None:
            names.append(top)
        elif group is None or pair_column([str(group)]) is not None:
            names.append(under)
        else:
            names.append(f"{group}{under}")
    return names


def _filled(values: list[object]) -> list[object]:
    """A row's cells with '' read as empty (None): a CSV's empty fields, the blank cells some
    workbook writers store."""
    return [None if v == "" else v for v in values]


def _holds_coordinates(records: list[tuple[int, list[object]]]) -> bool:
    """True when a sheet's header names coordinate or WKT columns."""
    found = _header_row(records)
    names = [str(v) for v in found[2] if v is not None] if found else []
    return bool(names) and bool(coordinate_pairs(names, plane_first=False) or wkt_column(names)
                                or pair_column(names) or dms_columns(names))


def _read_workbook(path: Path, *, sheet: str | None, crs: CrsSpec | None) -> _Raw:
    found = sheet_rows(path, sheet, fits=_holds_coordinates)
    notes = list(found.notes)
    header, rows, numbers = _header_and_rows(path, found.rows, "row", notes, merged_down=found.merged_down)
    return _table(path, header, rows, numbers, "row", crs=crs, encoding=None, notes=notes)


def _header_and_rows(
    path: Path, records: list[tuple[int, list[object]]], unit: str, notes: list[str], *,
    merged_down: Sequence[MergedDown] = (),
) -> tuple[list[str], list[list[object]], list[int]]:
    """The header of a sheet's or a CSV file's records (see _header_row; the first record of a table
    with one column, such as a WKT column), and the non-empty rows below it with their row or line
    numbers, cells merged down over rows below the header read on each of them."""
    found = _header_row(records)
    if found is None and not records:
        raise ImportValidationError(f"{path}: no header row")
    first, at, cells = found or (records[0][0], records[0][0], _filled(records[0][1]))
    header = _header(path, ["" if v is None else str(v) for v in cells], unit, at)
    where = "sheet " if unit == "row" else ""
    if first > 1:
        above = f"{unit} 1" if first == 2 else f"{unit}s 1–{first - 1}"
        notes.append(f"{where}{above} above the header skipped")
    if at > first:
        notes.append(f"{where}{unit}s {first}–{at} read as one header (a merged heading over the columns it "
                     f"spans): {header}")
    rows: list[list[object]] = []
    numbers: list[int] = []
    for number, values in _merged_down_spread(records, merged_down, at, header, notes):
        cells = _filled(values)
        if number > at and cells.count(None) < len(cells):
            rows.append(_fit(path, cells, len(header), unit, number))
            numbers.append(number)
    if rows and is_column_number_row(rows[0]):
        notes.append(f"{where}{unit} {numbers[0]}: the column numbers under the header not read")
        rows, numbers = rows[1:], numbers[1:]
    return header, rows, numbers


def _merged_down_spread(records: list[tuple[int, list[object]]], merged_down: Sequence[MergedDown],
                        header_end: int, header: list[str],
                        notes: list[str]) -> list[tuple[int, list[object]]]:
    """The records with the value of a cell merged down over rows below the header (所属街道 or 部件类型
    once for a group of rows) on each row it spans that holds data of its own, as Excel shows it; the
    file stores it in the top row only. Merges in and above the header are headings, left to it."""
    spans = [m for m in merged_down if m.top > header_end]
    if not spans:
        return records
    rows = {number: list(values) for number, values in records}
    spread: list[tuple[int, int]] = []  # (sheet row, column) given a merged value
    for span in spans:
        value = _cell_at(rows, span.top, span.column)
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        for number in range(span.top + 1, span.bottom + 1):
            cells = rows.get(number, [])
            if span.column < len(cells) and cells[span.column] is None \
                    and any(v is not None and v != "" for v in cells):
                cells[span.column] = value
                spread.append((number, span.column))
    if spread:
        number, column = min(spread)
        name = header[column] if column < len(header) else f"column {column + 1}"
        notes.append(f"{len(spread)} cell(s) merged down over rows read on each row they span (first: "
                     f"sheet row {number}, {name})")
    return list(rows.items())


def _cell_at(rows: dict[int, list[object]], number: int, column: int) -> object:
    cells = rows.get(number, [])
    return cells[column] if column < len(cells) else None


def _header(path: Path, record: Sequence[str], unit: str, number: int) -> list[str]:
    """The column names of a header row: a name wrapped over lines in its cell (Alt+Enter in Excel) is
    one name again, 规格⏎型号 → 规格型号; an empty name is Unnamed: i; the same name twice is an error."""
    names = [_LINE_BREAKS.sub("", name) for name in record]
    while names and not names[-1].strip():
        names.pop()
    names = [name if name.strip() else f"Unnamed: {i}" for i, name in enumerate(names)]
    if doubles := [name for name, count in Counter(names).items() if count > 1]:
        raise ImportValidationError(f"{path}: {unit} {number}: duplicate column names {doubles}")
    return names


def _fit(path: Path, cells: list[object], width: int, unit: str, number: int) -> list[object]:
    """Pad a short row; trim empty trailing cells; a row with data beyond the header is an error."""
    if len(cells) == width:
        return cells
    if len(cells) > width:
        if any(c is not None and not (isinstance(c, str) and not c.strip()) for c in cells[width:]):
            raise ImportValidationError(f"{path}: {unit} {number}: {len(cells)} fields, the header {width}")
        cells = cells[:width]
    return cells + [None] * (width - len(cells))


def _table(
    path: Path, header: list[str], rows: list[list[object]], numbers: list[int], unit: str, *,
    crs: CrsSpec | None, encoding: str | None, notes: list[str],
) -> _Raw:
    """The geometries of a table's rows from its coordinate, coordinate-pair or WKT columns, less the
    subtotal and signature rows of a census form (layers.survey_form_rows)."""
    attributes = pd.DataFrame(rows, columns=header, dtype=object) if rows else pd.DataFrame(columns=header)
    wkt = wkt_column(header)
    pairs = coordinate_pairs(header, plane_first=crs is not None and not crs.is_geographic)
    problems = np.full(len(attributes), None, dtype=object)
    if wkt is not None:
        values = [v if isinstance(v, str) and v.strip() else None for v in attributes[wkt]]
        geometries = from_wkt(values, notes)
        used: tuple[str, ...] = (wkt,)
        for i in np.flatnonzero(shapely.is_missing(geometries) & np.array([v is not None for v in values])):
            problems[i] = f"{wkt} {_shown(values[i])} is not WKT"
        if pairs:
            notes.append(f"geometry from WKT column {wkt!r}; coordinate columns {list(pairs[0])} not used")
    elif dms_axes := dms_columns(header):
        used = tuple(column for axis in dms_axes for column in axis if column is not None)
        geometries, unread = _points(*(dms_column_degrees(attributes, axis) for axis in dms_axes))
        for i in unread:
            problems[i] = _unread_dms([(column, attributes[column].iloc[i]) for column in used])
        notes.append(f"coordinates from degrees, minutes and seconds in columns {list(used)}")
    elif pairs:
        used = pairs[0]
        (x, x_dms), (y, y_dms) = (coordinate_numbers(attributes[column]) for column in used)
        if x_dms or y_dms:
            notes.append(f"{x_dms + y_dms} cells of {list(used)} read as degrees, minutes and seconds")
        geometries, unread = _points(x, y)
        for i in unread:
            written = (attributes[used[0]].iloc[i], attributes[used[1]].iloc[i])
            problems[i] = _unread_coordinates(list(zip(used, written, (x[i], y[i]), strict=True)))
        if len(pairs) > 1:
            notes.append(f"coordinates from columns {list(used)}; also found {[list(p) for p in pairs[1:]]}")
    elif paired := pair_column(header):
        column, named_order = paired
        used = (column,)
        x, y, dms, lat_first = pair_numbers(attributes[column], named_order)
        if dms:
            notes.append(f"{dms} coordinates of {column!r} read as degrees, minutes and seconds")
        if lat_first and named_order is None:
            notes.append(f"{column!r} read as latitude, longitude: every pair's first number is within ±90° "
                         "and its second beyond")
        geometries, unread = _points(x, y)
        for i in unread:
            written = attributes[column].iloc[i]
            if written is not None and str(written).strip():
                order = "latitude,longitude" if lat_first else "longitude,latitude or x,y"
                problems[i] = f"{column} {_shown(written)} is not a pair of coordinates ({order})"
    else:
        raise ImportValidationError(
            f"{path}: no coordinate columns (lon/lat, 经度/纬度, x/y, POINT_X/POINT_Y, 东坐标/北坐标 …), "
            f"no column of coordinate pairs (经纬度, 坐标: '114.05,22.54') and no WKT column "
            f"(wkt/geometry/geom); columns are {header}"
        )
    row_numbers = np.asarray(numbers, dtype=np.int64)
    form = form_rows(attributes, shapely.is_missing(geometries))
    if form.any():
        notes.append(form_rows_note(row_numbers[form], unit))
        kept = ~form
        attributes = attributes[kept].reset_index(drop=True)
        geometries, problems, row_numbers = geometries[kept], problems[kept], row_numbers[kept]
    missing = sum(g is None for g in geometries)
    if missing:
        notes.append(f"{missing} rows without a usable geometry in {list(used)} (geometry None)")
    return _Raw(attributes, geometries, row_numbers, encoding=encoding, notes=notes, geometry_columns=used,
                geometry_problems=problems)


def _points(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Points of the coordinates (None where either is NaN), and the positions of those without one."""
    ok = np.isfinite(x) & np.isfinite(y)
    geometries = np.full(len(x), None, dtype=object)
    geometries[ok] = shapely.points(x[ok], y[ok])
    return geometries, np.flatnonzero(~ok)


def _shown(value: object) -> str:
    text = str(value).strip()
    return repr(text if len(text) <= 40 else text[:40] + "…")


def _unread_coordinates(cells: list[tuple[str, object, float]]) -> str | None:
    """Why a row's coordinate cells made no point ("经度 '114,0312' is not a finite number"), or None when
    they are all empty (the row has no coordinates at all)."""
    written = [(column, value, number) for column, value, number in cells
               if value is not None and str(value).strip()]
    if not written:
        return None
    reasons = [f"{column} {_shown(value)} is not a finite number (nor degrees, minutes and seconds)"
               for column, value, number in written if not np.isfinite(number)]
    reasons += [f"{column} is empty" for column, value, _ in cells if value is None or not str(value).strip()]
    return "; ".join(reasons)


def _unread_dms(cells: list[tuple[str, object]]) -> str | None:
    """Why degree, minute and second cells made no coordinate, or None when they are all empty."""
    written = [(column, value) for column, value in cells if value is not None and str(value).strip()]
    if not written:
        return None
    shown = ", ".join(f"{column} {_shown(value)}" for column, value in written)
    return f"{shown}: not degrees, minutes and seconds (numbers; minutes and seconds below 60)"


# ---- CRS -------------------------------------------------------------------------------------------------


def _choose_crs(path: Path, raw: _Raw, given: CrsSpec | None) -> CrsSpec:
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
    return source
