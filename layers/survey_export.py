"""Export of component inventories, to hand data back to contractors in the formats they use.

Nothing is half written: the files are written in a temporary folder beside the target and moved
into place only when every one of them is complete. Text the chosen encoding cannot hold is refused
before writing, naming the component and field. A Shapefile holds one kind of geometry, text of at
most 254 bytes and field names of at most 10 bytes: an export of several kinds writes a Shapefile
per kind, names are cut on a character boundary, and what was cut is counted in notes. Coordinates in
GCJ-02 or BD-09, which no CRS definition describes, are written with no CRS at all, and a note says so.
GeoPackage and GeoJSON text is UTF-8 by their standards, and an XLSX workbook's as GDAL writes it, so an
encoding is taken for Shapefile and CSV only. Free attributes keep their JSON types where the format has
them, and are JSON text where not. A CSV or an XLSX workbook is a table: coordinate columns for points, else
a column of WKT. The workbook is for contractors who edit in Excel or WPS, which turn a CSV's 17-digit
identifiers into numbers of 15 significant digits: there every text is a text cell, so identifiers and
codes keep every digit.
"""

import codecs
import json
import os
import shutil
import tempfile
import warnings
import zipfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import cast

import geopandas as gpd
import numpy as np
import pandas as pd
import psycopg
import pyarrow as pa
import pyogrio
import shapely

from gis.crs import CrsSpec, from_cgcs2000, unshifted_datum_note
from gis.errors import InvalidParameter, NotFound
from gis.local_time import with_offset
from grid_codes.classes import SCHEMES, Scheme, default_table
from grid_codes.errors import UnknownClass
from layers.components import EXPORT_FORMATS, GEOMETRY_KINDS, PLACE_NAMES, STANDARD_FIELDS, VERSION_FIELD
from layers.distinct_values import from_distinct, is_missing
from layers.field_mapping import DBF_NAME_BYTES, cut_to_bytes
from layers.survey_locate import place_names
from layers.survey_versions import exported_version

CLASS_FIELD = "XLDM"  # 小类代码: the class, beside the standard fields

_EXPORT_SQL = """
SELECT id, class_code, name, competent_dept_code, competent_dept_name, owner_dept_code,
       owner_dept_name, maintainer_dept_code, maintainer_dept_name, grid_code, state,
       to_char(initial_date, 'YYYYMMDD'), to_char(change_date, 'YYYYMMDD'), data_source, note,
       street_code, community_code, valid_from, attributes, ST_AsBinary(geom)
FROM onemap.component
WHERE scheme = %(scheme)s
  AND (%(prefix)s::text IS NULL OR class_code LIKE %(prefix)s || '%%')
  AND valid_from <= coalesce(%(at)s, now()) AND (valid_to IS NULL OR valid_to > coalesce(%(at)s, now()))
ORDER BY id
"""
_FIRST_RECORDED_SQL = """
SELECT min(valid_from), min(valid_from) > %(at)s FROM onemap.component
WHERE scheme = %(scheme)s AND (%(prefix)s::text IS NULL OR class_code LIKE %(prefix)s || '%%')
"""
SHAPEFILE_TEXT_BYTES = 254
# the format each suffix names (a GeoJSON file is often .json)
_SUFFIX_FORMATS = {f".{fmt}": fmt for fmt in EXPORT_FORMATS} | {".json": "geojson"}
# Files that describe a Shapefile beside its .shp: those of a Shapefile replaced are removed unless written
# again (an old .prj would give a CRS to coordinates that are in none)
_SHAPEFILE_SIDECARS = (".prj", ".cpg", ".qix", ".sbn", ".sbx", ".shp.xml")
# What a file in GCJ-02 / BD-09 says of its CRS, per format
_UNDECLARED = {
    "gpkg": "the file declares none (an undefined SRS)",
    "shp": "the file declares none (no .prj)",
    "geojson": "the file declares none, and to other readers GeoJSON without a crs member is WGS84 "
               "(RFC 7946)",
}
_WKT = "wkt"  # a table's geometries when not all are points
_TABLE_FORMATS = ("csv", "xlsx")  # formats without geometries: columns of coordinates or WKT say where
# Formats whose text is UTF-8 whatever the writer is told: a GeoPackage's TEXT is SQLite's (UTF-8 as GDAL
# creates it), GeoJSON is JSON (RFC 8259 section 8.1), and GDAL writes a workbook's XML parts in UTF-8
_UTF8_FORMATS = {"gpkg": "a GeoPackage", "geojson": "GeoJSON", "xlsx": "an XLSX workbook"}
_INT64 = range(-(2**63), 2**63)  # the integers an integer field holds
_CELL_INTEGERS = range(1 - 10**15, 10**15)  # those a workbook's number cell keeps: 15 significant digits
_SHEET = "components"  # the sheet of an XLSX export
_STYLES = "xl/styles.xml"  # a workbook's number formats (ECMA-376 part 1, 18.8.30 numFmt)
_SHEET_PARTS = ("xl/worksheets/", "xl/sharedStrings.xml")  # large parts, which _show_dates_iso never moves
# the format GDAL's XLSX driver gives date cells, and the one onemap gives them
_GDAL_DATE_FORMAT, _ISO_DATE_FORMAT = b'formatCode="DD/MM/YY"', b'formatCode="yyyy-mm-dd"'
_SHEET_ROWS = 1_048_576  # the rows of a sheet in Excel and WPS, the header's included
_CELL_CHARACTERS = 32_767  # the text a cell of Excel and WPS holds
_DATES = (STANDARD_FIELDS["initial_date"], STANDARD_FIELDS["change_date"])  # _EXPORT_SQL writes YYYYMMDD
_COLUMNS = ["id", "class_code", "name", "competent_dept_code", "competent_dept_name",
            "owner_dept_code", "owner_dept_name", "maintainer_dept_code", "maintainer_dept_name",
            "grid_code", "state", "initial_date", "change_date", "data_source", "note",
            "street_code", "community_code", VERSION_FIELD]
# The standard's street and community names, written beside their codes: today's names of the located codes
_NAMED = {"street_name": "street_code", "community_name": "community_code"}


@dataclass(frozen=True)
class Exported:
    """What an export wrote: the components, the files (one per geometry kind for a Shapefile of
    several kinds), and notes on what the format changed."""

    count: int
    files: list[Path]
    notes: list[str]


def export_components(conn: psycopg.Connection, path: Path, *, scheme: str, fmt: str | None = None,
                      crs: CrsSpec, class_prefix: str | None = None, encoding: str | None = None,
                      as_of: datetime | None = None, timezone: str = "Asia/Shanghai") -> Exported:
    """Write the components (current, or as of a date) to `path`, in `fmt` or the format its suffix names,
    each with the start of its version in the city's time (`timezone`): an import of the file refuses the rows
    whose component changed since (layers.survey_versions)."""
    fmt = _format(path, fmt)
    codec = _codec(encoding, fmt)
    if fmt in _UTF8_FORMATS:
        encoding = None  # UTF-8, as named
    _check_class(scheme, class_prefix)
    if as_of is not None:
        with_offset(as_of, "as of")
    rows = conn.execute(_EXPORT_SQL, {"scheme": scheme, "prefix": class_prefix, "at": as_of}).fetchall()
    if not rows:
        raise NotFound(_nothing_to_export(conn, scheme, class_prefix, as_of))
    attributes = pd.DataFrame([r[:-2] for r in rows], columns=_COLUMNS)
    # one text per distinct start: an import stamps all the versions it opens with one time
    codes, starts = pd.factorize(attributes[VERSION_FIELD])
    attributes[VERSION_FIELD] = from_distinct(np.array([exported_version(v, timezone) for v in starts],
                                                       dtype=object), codes, None)
    names = place_names(conn)
    for name, code in _NAMED.items():
        attributes.insert(attributes.columns.get_loc(code) + 1, name,
                          [names.get(c) for c in attributes[code]])
    attributes = attributes.rename(columns={**STANDARD_FIELDS, **PLACE_NAMES, "class_code": CLASS_FIELD})
    # free attributes (jsonb) become columns of their own, as the survey delivered them
    extra = _free_attributes([r[-2] for r in rows], fmt)
    attributes = pd.concat([attributes, extra.drop(columns=list(attributes.columns), errors="ignore")],
                           axis=1)
    if encoding is not None:
        _refuse_unencodable(attributes, encoding, codec)
    geometries = from_cgcs2000(shapely.from_wkb(np.array([r[-1] for r in rows], dtype=object)), crs)
    parts = _parts(path, geometries) if fmt == "shp" else [(path, "", np.ones(len(rows), dtype=bool))]
    notes = [note for note in (unshifted_datum_note(crs, to_cgcs2000=False),
                               _offset_note(crs, fmt, geometries)) if note is not None]
    with _written_together(path.parent) as folder:
        for target, _, chosen in parts:
            part = attributes[chosen].reset_index(drop=True)
            if fmt in _TABLE_FORMATS:
                _write_table(folder / target.name, fmt, part, geometries[chosen], crs, encoding)
            elif fmt == "shp":
                notes += _write_shapefile(folder / target.name, part, geometries[chosen], crs, encoding,
                                          codec)
            else:
                _write_vector(folder / target.name, fmt, part, geometries[chosen], crs, encoding)
    if len(parts) > 1:
        notes.insert(0, "a Shapefile holds one kind of geometry: " + ", ".join(
            f"{int(chosen.sum())} {kind}s in {target.name}" for target, kind, chosen in parts))
    return Exported(len(rows), [target for target, _, _ in parts], notes)


def _nothing_to_export(conn: psycopg.Connection, scheme: str, class_prefix: str | None,
                       as_of: datetime | None) -> str:
    """Why nothing was found: none at all, or none at `as_of` (before the first was recorded, or after
    the last was removed)."""
    what = f"{scheme} components{' of class ' + class_prefix if class_prefix else ''}"
    if as_of is None:
        return f"no {what} to export"
    first, later = conn.execute(_FIRST_RECORDED_SQL, {"scheme": scheme, "prefix": class_prefix,
                                                      "at": as_of}).fetchone() or (None, None)
    at = as_of.isoformat(sep=" ")
    if first is None:
        return f"no {what} to export"
    if later:
        recorded = first.astimezone(as_of.tzinfo).isoformat(sep=" ", timespec="seconds")
        return f"no {what} as of {at}: the first was recorded at {recorded}, and no version is older"
    return f"no {what} as of {at}: every one of them had been removed by then"


def _format(path: Path, fmt: str | None) -> str:
    """`fmt`, else the format the suffix of `path` names; a suffix naming another format is refused."""
    named = _SUFFIX_FORMATS.get(path.suffix.lower())
    chosen = fmt.lower() if fmt else named
    if chosen is None:
        *others, last = (f".{fmt}" for fmt in EXPORT_FORMATS)
        suffixes = f"{', '.join(others)} or {last}"
        raise InvalidParameter(f"{path.name}: its suffix names no format: name it {suffixes}, or pass "
                               "--format")
    if chosen not in EXPORT_FORMATS:
        raise InvalidParameter(f"format {fmt!r} is not one of {', '.join(EXPORT_FORMATS)}")
    if named is not None and named != chosen:
        raise InvalidParameter(f"{path.name} is named as a {named} file but --format is {chosen}: name it "
                               f"{path.stem}.{chosen}, or leave --format out")
    return chosen


def _check_class(scheme: str, class_prefix: str | None) -> None:
    """Refuse a scheme or class that does not exist: a mistake, not an empty inventory (NotFound)."""
    if scheme not in SCHEMES:
        raise InvalidParameter(f"scheme {scheme!r} is not one of {', '.join(SCHEMES)}")
    if class_prefix is None:
        return
    table, listed = default_table(), cast(Scheme, scheme)
    if len(class_prefix) != 2:
        table.lookup(listed, "component", class_prefix)  # InvalidClassCode or UnknownClass
    elif not table.classes_in_major(listed, "component", class_prefix):
        majors = ", ".join(major.code for major in table.majors(listed, "component"))
        raise UnknownClass(f"{scheme} has no major component class {class_prefix!r}; its majors are {majors}")


def _offset_note(crs: CrsSpec, fmt: str, geometries: np.ndarray) -> str | None:
    """For GCJ-02 / BD-09, which no EPSG code or WKT describes: what the file declares instead (a table,
    in the columns it is written with)."""
    if crs.offset is None:
        return None
    if fmt not in _TABLE_FORMATS:
        declared = _UNDECLARED[fmt]
    elif (columns := _geometry_columns(geometries, crs)) == (_WKT,):
        declared = f"the file declares none (column {_WKT} holds WKT, which names no CRS)"
    else:
        declared = f"the file declares none (its columns {', '.join(columns)} name it)"
    return (f"coordinates in {crs}, which no CRS definition describes: {declared}; import it back with "
            f"--crs {crs.offset}")


def _codec(encoding: str | None, fmt: str) -> str:
    """The codec of `encoding`; for a format always in UTF-8 only UTF-8 (GDAL would write other bytes)."""
    try:
        codec = codecs.lookup(encoding or "utf-8").name
    except LookupError:
        raise InvalidParameter(f"encoding {encoding!r} is unknown; e.g. gbk, gb18030 or utf-8") from None
    if fmt in _UTF8_FORMATS and codec != "utf-8":
        raise InvalidParameter(f"--encoding {encoding} does not apply to {fmt}: {_UTF8_FORMATS[fmt]} is "
                               "always UTF-8; --encoding applies to Shapefile and CSV")
    return codec


def _free_attributes(values: list[dict], fmt: str) -> pd.DataFrame:
    """The free attributes, a column per name (in the order first met), each as `_typed` writes it."""
    names = dict.fromkeys(name for attributes in values for name in attributes)
    columns = {name: _typed([attributes.get(name) for attributes in values], fmt) for name in names}
    return pd.DataFrame(columns, index=pd.RangeIndex(len(values)))


def _typed(values: list[object], fmt: str) -> pd.Series:
    """One free attribute's JSON values typed to read back the same: integers an integer field (pandas
    makes a column with missing values Real), booleans a boolean one, numbers Real, objects and arrays
    JSON (GeoJSON's own, GeoPackage's JSON subtype). Other columns are text, with the values that are not
    text as JSON: a Shapefile's objects and arrays, columns of mixed types, every CSV cell (a cell has
    no type), and a workbook's integers of more than 15 digits, which a number cell would round."""
    kinds = {type(value) for value in values if value is not None}
    if fmt != "csv" and kinds:
        integers = _CELL_INTEGERS if fmt == "xlsx" else _INT64
        if kinds == {bool}:
            return pd.Series(values, dtype="boolean")
        if kinds == {int} and all(value in integers for value in values if value is not None):
            return pd.Series(values, dtype="Int64")
        if kinds <= {int, float} and all(value in integers for value in values if type(value) is int):
            return pd.Series(values, dtype="float64")
        if kinds <= {dict, list} and fmt != "shp":
            return pd.Series(_json_text(values), dtype=pd.ArrowDtype(pa.json_()))
    return pd.Series(values if kinds <= {str} else _json_text(values), dtype=object)


def _json_text(values: list[object]) -> list[str | None]:
    """Each value that is not text as JSON text (true, 1.5, {"a": [1, 2]}: floats the shortest that reads
    back the same); text as it is."""
    return [value if value is None or isinstance(value, str) else json.dumps(value, ensure_ascii=False)
            for value in values]


def _refuse_unencodable(attributes: pd.DataFrame, encoding: str, codec: str) -> None:
    """Refuse, before writing, text the encoding has no bytes for (GDAL would write '?' for it)."""
    for column in attributes.columns:
        for text in [str(column), *pd.unique(attributes[column].dropna())]:
            if not isinstance(text, str):
                continue
            try:
                text.encode(codec)
            except UnicodeEncodeError as error:
                char = text[error.start]
                if text == column:
                    where = f"the free attribute name {text!r}"
                else:  # the first column is the identifier
                    component = attributes.iloc[:, 0][attributes[column] == text].iloc[0]
                    where = f"component {component}, field {column}"
                raise InvalidParameter(
                    f"{where} holds {char!r} (U+{ord(char):04X}), which {encoding} cannot encode: export "
                    "with --encoding gb18030, which encodes every character, or without --encoding "
                    "(UTF-8)") from None


def _parts(path: Path, geometries: np.ndarray) -> list[tuple[Path, str, np.ndarray]]:
    """A file per geometry kind present, with its kind and rows: path itself for one kind, else
    path_point, path_line …"""
    kinds = pd.Series(shapely.get_type_id(geometries)).map(GEOMETRY_KINDS).to_numpy(dtype=object)
    present = [kind for kind in ("point", "line", "polygon") if (kinds == kind).any()]
    if len(present) == 1:
        return [(path, present[0], np.ones(len(geometries), dtype=bool))]
    return [(path.with_name(f"{path.stem}_{kind}{path.suffix}"), kind, kinds == kind) for kind in present]


def _write_vector(path: Path, fmt: str, attributes: pd.DataFrame, geometries: np.ndarray, crs: CrsSpec,
                  encoding: str | None) -> None:
    """Write with the CRS of `crs`; GCJ-02 / BD-09 have none (see _offset_note). Through Arrow, which
    hands GDAL the JSON columns as JSON; GeoJSON writes no other text as JSON (GDAL would make an array of
    a text "[1, 2]")."""
    declared = crs.epsg or crs.definition
    with warnings.catch_warnings():  # the offset note says it in onemap's words
        warnings.filterwarnings("ignore", message="'crs' was not provided", category=UserWarning)
        gpd.GeoDataFrame(attributes, geometry=geometries, crs=declared).to_file(
            path, driver=EXPORT_FORMATS[fmt], engine="pyogrio", use_arrow=True,
            layer_options={"AUTODETECT_JSON_STRINGS": "NO"} if fmt == "geojson" else None,
            **({"encoding": encoding} if encoding else {}))


def _write_shapefile(path: Path, attributes: pd.DataFrame, geometries: np.ndarray, crs: CrsSpec,
                     encoding: str | None, codec: str) -> list[str]:
    """Write one Shapefile; notes name the text and field names the format cut."""
    notes = []
    for column in attributes.columns:
        values = attributes[column]
        longer = [v for v in pd.unique(values.dropna())  # each distinct text measured once
                  if isinstance(v, str) and len(v.encode(codec)) > SHAPEFILE_TEXT_BYTES]
        if longer:
            too_long = values[values.isin(longer)]
            first = attributes.iloc[:, 0][too_long.index[0]]  # the first column is the identifier
            notes.append(f"{path.name}: {len(too_long)} value(s) of field {column} cut to the "
                         f"{SHAPEFILE_TEXT_BYTES} bytes a Shapefile field holds (first: component {first}); "
                         "a GeoPackage keeps them whole")
    names = _field_names([str(column) for column in attributes.columns], codec)
    cut = [f"{name!r} as {short!r}" for name, short in zip(attributes.columns, names, strict=True)
           if str(name) != short]
    if cut:
        notes.append(f"{path.name}: field names cut to the {DBF_NAME_BYTES} bytes a Shapefile allows: "
                     f"{', '.join(cut)}")
    with warnings.catch_warnings():  # the notes above say it in onemap's words
        warnings.filterwarnings("ignore", message=".*has been truncated to 254", category=RuntimeWarning)
        _write_vector(path, "shp", attributes.set_axis(names, axis=1), geometries, crs, encoding)
    return notes


def _field_names(columns: list[str], codec: str) -> list[str]:
    """.dbf field names: each cut to DBF_NAME_BYTES in the encoding on a character boundary (GDAL
    cuts UTF-8 inside a character), one the cut makes equal to an earlier name ending in _1, _2 … as
    GDAL's do; dBase compares names without case."""
    taken: set[str] = set()
    names = []
    for column in columns:
        name, number = cut_to_bytes(column, codec, DBF_NAME_BYTES), 0
        while name.casefold() in taken:
            number += 1
            name = cut_to_bytes(column, codec, DBF_NAME_BYTES - len(f"_{number}")) + f"_{number}"
        taken.add(name.casefold())
        names.append(name)
    return names


@contextmanager
def _written_together(folder: Path) -> Iterator[Path]:
    """A temporary folder beside the target; its files are moved into `folder` when all are written."""
    if not folder.is_dir():
        raise InvalidParameter(f"folder {folder} does not exist")
    try:
        temporary = Path(tempfile.mkdtemp(prefix=".onemap-export-", dir=folder))
    except OSError as error:
        raise InvalidParameter(f"cannot write in folder {folder}: {error.strerror}") from None
    try:
        yield temporary
        written = sorted(temporary.iterdir())
        if in_the_way := [folder / file.name for file in written if (folder / file.name).is_dir()]:
            raise InvalidParameter(f"{in_the_way[0]} is a folder: name a file to write")
        for stale in _stale_sidecars(folder, written):
            stale.unlink()
        for file in written:
            os.replace(file, folder / file.name)
    finally:
        shutil.rmtree(temporary, ignore_errors=True)


def _stale_sidecars(folder: Path, written: list[Path]) -> list[Path]:
    """Sidecar files in `folder` of the Shapefiles written that the new ones do not have."""
    names = {file.name for file in written}
    return [sidecar for file in written if file.suffix == ".shp"
            for sidecar in (folder / (file.stem + suffix) for suffix in _SHAPEFILE_SIDECARS)
            if sidecar.name not in names and sidecar.is_file()]


def _write_table(path: Path, fmt: str, attributes: pd.DataFrame, geometries: np.ndarray, crs: CrsSpec,
                 encoding: str | None) -> None:
    """A CSV or XLSX table: the attributes, then the geometries in the columns _geometry_columns names."""
    table = attributes.copy()
    columns = _geometry_columns(geometries, crs)
    if columns == (_WKT,):
        table[_WKT] = shapely.to_wkt(geometries, rounding_precision=-1)  # rounded, a shape can change cell
    else:
        x, y = columns
        table[x] = shapely.get_x(geometries)
        table[y] = shapely.get_y(geometries)
    if fmt == "xlsx":
        _write_xlsx(path, table)
    else:
        _write_csv(path, table, encoding)


def _write_xlsx(path: Path, table: pd.DataFrame) -> None:
    """One sheet through GDAL's XLSX driver, with a header row: text as text cells (Excel and WPS keep every
    digit of an identifier or code, and a class's leading zero), dates as date cells shown yyyy-mm-dd
    (_show_dates_iso), numbers as numbers."""
    _refuse_what_a_sheet_cannot_hold(table)
    dates = {name: pd.to_datetime(table[name], format="%Y%m%d").astype(pd.ArrowDtype(pa.date32()))
             for name in _DATES}
    # GDAL refuses to write a workbook without the suffix .xlsx, which --format lets a file lack
    written = path if path.suffix.lower() == ".xlsx" else path.with_name(f"{path.name}.xlsx")
    pyogrio.write_dataframe(table.assign(**dates), written, layer=_SHEET, driver=EXPORT_FORMATS["xlsx"],
                            use_arrow=True)
    _show_dates_iso(written)
    written.replace(path)


def _show_dates_iso(path: Path) -> None:
    """Show the workbook's date cells yyyy-mm-dd, not GDAL's DD/MM/YY: Excel, WPS and LibreOffice save a sheet
    as CSV as its cells are shown, and 01/06/23 (or 06/01/2023) is a date the import cannot read, or could
    read two ways. The cells stay dates. Only xl/styles.xml and the small parts GDAL writes after it are
    written again: the sheet and its strings stay where they are on disk, so a sheet of a million rows costs
    no more than one of ten."""
    with zipfile.ZipFile(path, "a") as book:
        styles = book.getinfo(_STYLES)
        moved = sorted((info for info in book.infolist() if info.header_offset >= styles.header_offset),
                       key=lambda info: info.header_offset)  # styles first
        if sheets := [info.filename for info in moved if info.filename.startswith(_SHEET_PARTS)]:
            raise RuntimeError(f"{path.name}: GDAL wrote {', '.join(sheets)} after {_STYLES}, which onemap "
                               "rewrites: the sheet would be read and written again")
        parts = [book.read(info) for info in moved]
        if parts[0].count(_GDAL_DATE_FORMAT) != 1:
            raise RuntimeError(f"{path.name}: GDAL wrote {_STYLES} without the date format "
                               f"{_GDAL_DATE_FORMAT.decode()}, which onemap makes yyyy-mm-dd")
        parts[0] = parts[0].replace(_GDAL_DATE_FORMAT, _ISO_DATE_FORMAT)
        # zipfile cannot remove a member: forget those moved and write them again where the first began
        # (start_dir, where zipfile writes next: undocumented, but declared in typeshed)
        for info in moved:
            book.filelist.remove(info)
            del book.NameToInfo[info.filename]
        book.start_dir = styles.header_offset
        for info, data in zip(moved, parts, strict=True):
            book.writestr(info, data)


def _refuse_what_a_sheet_cannot_hold(table: pd.DataFrame) -> None:
    """Refuse, before writing, more rows than a sheet has and text longer than a cell holds: Excel and WPS
    would drop or cut them on opening the workbook."""
    if len(table) >= _SHEET_ROWS:
        raise InvalidParameter(f"{len(table)} components are more than the {_SHEET_ROWS - 1} rows a sheet of "
                               "Excel or WPS holds below its header: export a class at a time (--class), or "
                               "as CSV or GeoPackage")
    for column in table.columns:  # each distinct text measured once, as _refuse_unencodable reads them
        texts = (value for value in pd.unique(table[column].dropna()) if isinstance(value, str))
        longest = max(texts, key=len, default="")
        if len(longest) > _CELL_CHARACTERS:
            component = table.iloc[:, 0][table[column] == longest].iloc[0]  # the first column: identifier
            raise InvalidParameter(
                f"component {component}, field {column}: {len(longest)} characters, more than the "
                f"{_CELL_CHARACTERS} a cell of Excel or WPS holds: export as GeoPackage, or as CSV")


def _write_csv(path: Path, table: pd.DataFrame, encoding: str | None) -> None:
    with path.open("w", encoding=encoding or "utf-8-sig", newline="") as file:
        file.write(_csv_line(table.columns))
        file.writelines(_csv_line(row) for row in table.itertuples(index=False, name=None))


def _csv_line(values: Iterable[object]) -> str:
    """A CSV record (RFC 4180), each value as _csv_field writes it."""
    return ",".join(map(_csv_field, values)) + "\n"


def _csv_field(value: object) -> str:
    """A missing value as an empty field and empty text as a quoted one, "", as PostgreSQL's COPY tells
    them apart (Python's csv module writes both empty); a float as the shortest text that reads back the
    same, as pandas writes it."""
    if is_missing(value):
        return ""
    text = repr(float(value)) if isinstance(value, float) else str(value)
    if text == "" or any(char in text for char in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _geometry_columns(geometries: np.ndarray, crs: CrsSpec) -> tuple[str, ...]:
    """A table's geometry columns: coordinate columns when every geometry is a point (see _point_columns),
    else one column of WKT."""
    if bool(np.all(shapely.get_type_id(geometries) == 0)):
        return _point_columns(crs)
    return (_WKT,)


def _point_columns(crs: CrsSpec) -> tuple[str, str]:
    """Names of the coordinate columns, as the import reads them: lon/lat, lon_gcj02/lat_gcj02 (the import
    takes such a column's system from its name), x/y for metres."""
    if crs.offset is not None:
        return f"lon_{crs.offset}", f"lat_{crs.offset}"
    return ("lon", "lat") if crs.is_geographic else ("x", "y")
