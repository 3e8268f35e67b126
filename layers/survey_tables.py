"""Survey tables, CSV files and workbook sheets: the header (below a title, over two rows, wrapped in its
cells), the rows under it that are survey rows, and the geometries their coordinate, coordinate-pair,
degree-minute-second or WKT columns make, in the file's coordinates.
"""

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from gis.crs import CrsSpec, parse_crs
from gis.errors import ImportValidationError
from layers.field_mapping import FieldMapping
from layers.spreadsheet_errors import ERROR_VALUES, error_value_reason, unsaved_formula_cells
from layers.survey_coordinates import (
    coordinate_numbers,
    coordinate_pairs,
    dms_column_degrees,
    dms_columns,
    named_crs,
    pair_column,
    pair_numbers,
    wkt_column,
)
from layers.survey_csv import UTF16_MARKS, csv_records
from layers.survey_form_rows import (
    form_rows,
    form_rows_note,
    is_blank_form_row,
    is_column_number_row,
    is_labelled_value_row,
    is_unit_row,
    sequence_columns,
)
from layers.survey_lost_text import refuse_lost_table_text
from layers.survey_precision import rounded_degrees_note
from layers.survey_unusual_geometries import from_wkt, wkt_reason
from layers.survey_workbooks import HEADER_ROWS, MergedDown, sheet_rows

_CSV_HEAD_BYTES = 1 << 16  # enough for a CSV file's header lines
_LINE_BREAKS = re.compile(r"[^\S\r\n]*[\r\n]+[^\S\r\n]*")  # with the spaces around them


@dataclass
class RawLayer:
    """A layer as a reader gives it, before the CRS is chosen: a table's here, a vector file's in
    layers.survey_read. `declared` is the CRS the file declares, or that a table's coordinate column
    names give (高德经度: GCJ-02); `geometry_problems` says per row why coordinate cells made no geometry."""

    attributes: pd.DataFrame
    geometries: np.ndarray
    row_numbers: np.ndarray
    declared: CrsSpec | None = None
    declared_name: str | None = None
    encoding: str | None = None
    notes: list[str] = field(default_factory=list)
    geometry_columns: tuple[str, ...] = ()
    geometry_problems: np.ndarray | None = None
    # columns that give way to another column of their standard field (a KML placemark's Name)
    yielding: tuple[str, ...] = ()
    positioned: bool = True  # False: a table without coordinate columns, read for an upsert


def read_csv_table(path: Path, *, codec: str | None, crs: CrsSpec | None,
                   positions_stored: bool = False) -> RawLayer:
    """A CSV file's table, in `codec` (--encoding) or the encoding detected."""
    notes: list[str] = []
    records, read = csv_records(path, path.read_bytes(), codec, notes)
    refuse_lost_table_text(str(path), records, forced=codec)
    header, rows, lines = _header_and_rows(path, records, "line", notes)
    return table_layer(path, header, rows, lines, "line", crs=crs, encoding=read, notes=notes,
                       positions_stored=positions_stored)


def csv_holds_coordinates(path: Path, codec: str | None) -> bool:
    """True when the header among a CSV file's first lines names coordinate or WKT columns."""
    with path.open("rb") as file:
        head = file.read(_CSV_HEAD_BYTES)
    if head.startswith(UTF16_MARKS):
        head = head[: len(head) // 2 * 2]  # whole 16-bit units; the header lies well before the cut
    elif len(head) == _CSV_HEAD_BYTES:  # whole lines only, so no character is cut
        head = head[: head.rfind(b"\n") + 1] or head
    try:
        records, _ = csv_records(path, head, codec, [])
        refuse_lost_table_text(path.name, records, forced=codec)  # `??` headers name no coordinates either
    except ImportValidationError:
        return True  # reading it whole reports what is wrong, with the line
    return holds_coordinates(records[:HEADER_ROWS])


def _header_row(records: list[tuple[int, list[object]]]) -> tuple[int, int, list[object]] | None:
    """The header of a sheet's or a CSV file's records: the first row of two filled cells or more (a
    one-cell row above it is a title, e.g. 某区部件普查表; a row of labelled values, 填报单位：… 填报日期：…,
    says who filled the form in), with '' read as empty; as (first row, last row, names).

    Official census forms head columns in two rows, a merged group heading over the columns it spans
    (坐标 over X and Y, 主管部门 over 代码 and 名称): such a second row is joined to the first.
    """
    for i, (number, values) in enumerate(records):
        cells = _filled(values)
        if sum(v is not None for v in cells) >= 2 and not is_labelled_value_row(cells):
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
    (主管部门代码), or the name below alone under a coordinate group (坐标, 经纬度: X, 经度), over a pair of
    coordinate columns (位置信息: 经度, 纬度) and where it names a standard field that the joined name does
    not (部件信息 over 小类代码: a form's sections)."""
    width = max(len(heading), len(below))
    tops = [heading[i] if i < len(heading) else None for i in range(width)]
    unders = [below[i] if i < len(below) else None for i in range(width)]
    groups: list[object] = []
    for top in tops:
        groups.append(top if top is not None else (groups[-1] if groups else None))
    def names_coordinates(group: object) -> bool:
        spanned = [str(u) for u, g in zip(unders, groups, strict=True) if g == group and u is not None]
        return pair_column([str(group)]) is not None or bool(coordinate_pairs(spanned, plane_first=False))

    over_coordinates = {group for group in set(groups) if group is not None and names_coordinates(group)}
    known = FieldMapping.default().field_named
    names: list[object] = []
    for top, under, group in zip(tops, unders, groups, strict=True):
        if under is None:
            names.append(top)
        elif group is None or group in over_coordinates:
            names.append(under)
        else:
            joined = f"{group}{under}"
            names.append(under if known(joined) is None and known(str(under)) is not None else joined)
    return names


def _filled(values: list[object]) -> list[object]:
    """A row's cells with '' read as empty (None): a CSV's empty fields, the blank cells some
    workbook writers store."""
    return [None if v == "" else v for v in values]


def holds_coordinates(records: list[tuple[int, list[object]]]) -> bool:
    """True when a sheet's header names coordinate or WKT columns."""
    found = _header_row(records)
    return names_coordinates([str(v) for v in found[2] if v is not None] if found else [])


def names_coordinates(names: list[str]) -> bool:
    """True when column names name coordinate, coordinate-pair, degree-minute-second or WKT columns."""
    return bool(names) and bool(coordinate_pairs(names, plane_first=False) or wkt_column(names)
                                or pair_column(names) or dms_columns(names))


def read_workbook_table(path: Path, *, sheet: str | None, crs: CrsSpec | None,
                        positions_stored: bool = False) -> RawLayer:
    """The table of the sheet named `sheet`, else of the first sheet whose header names coordinates."""
    found = sheet_rows(path, sheet, fits=holds_coordinates)
    refuse_lost_table_text(str(path) if sheet is None else f"{path}: sheet {sheet!r}", found.rows,
                           forced=None)
    notes = list(found.notes)
    header, rows, numbers = _header_and_rows(path, found.rows, "row", notes, merged_down=found.merged_down)
    layer = table_layer(path, header, rows, numbers, "row", crs=crs, encoding=None, notes=notes,
                        positions_stored=positions_stored)
    _explain_unsaved_formulas(path, found.name, layer)
    return layer


def _explain_unsaved_formulas(path: Path, sheet: str, layer: RawLayer) -> None:
    """Where a row has no geometry because geometry cells hold formulas without a saved value (a workbook
    a program wrote and no spreadsheet application calculated; calamine reads them as empty), its
    geometry problem says so, and a note counts such cells in every column of the table. The workbook
    is searched only when a row without a geometry has an empty geometry cell."""
    header = list(map(str, layer.attributes.columns))
    columns = [header.index(name) for name in layer.geometry_columns]
    problems = layer.geometry_problems
    empty = [i for i in np.flatnonzero(shapely.is_missing(layer.geometries))
             if any(_is_empty(layer.attributes.iat[i, c]) for c in columns)]
    if not empty or problems is None:
        return
    unsaved = unsaved_formula_cells(path.read_bytes(), sheet)
    for i in empty:
        row = int(layer.row_numbers[i])
        if held := [c for c in columns if (row, c) in unsaved]:
            emptiness = {_empty_reason(header[c]) for c in held}
            others = [reason for reason in (problems[i] or "").split("; ") if reason not in ("", *emptiness)]
            cells = ", ".join(f"{header[c]} (cell {_column_letters(c)}{row})" for c in held)
            holds = "holds" if len(held) == 1 else "hold"
            problems[i] = "; ".join([f"{cells} of sheet {sheet!r} {holds} {_UNSAVED_FORMULA}: {_SAVE_IT}",
                                     *others])
    rows = set(layer.row_numbers.tolist())
    in_table = sorted((row, column) for row, column in unsaved if row in rows and column < len(header))
    if in_table:
        row, column = in_table[0]
        names = ", ".join(header[c] for c in sorted({c for _, c in in_table}))
        layer.notes.append(f"sheet {sheet!r}: {len(in_table)} cell(s) of {names} hold {_UNSAVED_FORMULA}, "
                           f"read as empty (first: cell {_column_letters(column)}{row}): {_SAVE_IT}")


_UNSAVED_FORMULA = "a formula without a saved value (the workbook was written by a program, never calculated)"
_SAVE_IT = "open the workbook in Excel or WPS and save it (or paste the values), then import it again"


def _is_empty(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


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
    header = _with_unheaded_columns(header, [r for r in records if r[0] > at], unit, notes)
    if first > 1:
        above = f"{unit} 1" if first == 2 else f"{unit}s 1–{first - 1}"
        notes.append(f"{where}{above} above the header skipped")
    if at > first:
        notes.append(f"{where}{unit}s {first}–{at} read as one header (a merged heading over the columns it "
                     f"spans): {header}")
    sequence = sequence_columns(header)
    blank = [number for number, values in records
             if number > at and sequence and is_blank_form_row(values, sequence)]
    if blank:
        where_blank = (f"between {where}{unit}s {blank[0]} and {blank[-1]}" if len(blank) > 1
                       else f"{where}{unit} {blank[0]}")
        notes.append(f"{len(blank)} blank form {unit}(s), only 序号 filled, not read, {where_blank}")
        skipped = set(blank)
        records = [(number, values) for number, values in records if number not in skipped]
    rows: list[list[object]] = []
    numbers: list[int] = []
    for number, values in _merged_down_spread(records, merged_down, at, header, notes):
        cells = _filled(values)
        if number > at and cells.count(None) < len(cells):
            rows.append(_fit(cells, len(header)))
            numbers.append(number)
    while rows and (is_unit_row(rows[0]) or is_column_number_row(rows[0])):
        what = "units" if is_unit_row(rows[0]) else "column numbers"
        notes.append(f"{where}{unit} {numbers[0]}: the {what} under the header not read")
        rows, numbers = rows[1:], numbers[1:]
    return header, rows, numbers


def _with_unheaded_columns(header: list[str], records: list[tuple[int, list[object]]], unit: str,
                           notes: list[str]) -> list[str]:
    """The header widened to the last column that holds a value below it, the columns past its last
    name named Unnamed: i, with a note: a remark typed right of the table is kept, not a reason to
    refuse the file."""
    widest, first = len(header), None
    for number, values in records:
        beyond = [i for i, v in enumerate(values[len(header):], len(header))
                  if v is not None and str(v).strip()]
        if beyond:
            widest = max(widest, beyond[-1] + 1)
            first = first or (number, beyond[0], values[beyond[0]])
    if first is None:
        return header
    number, column, value = first
    cell = (f"cell {_column_letters(column)}{number}" if unit == "row"
            else f"line {number}, field {column + 1}")
    added = [f"Unnamed: {i}" for i in range(len(header), widest)]
    notes.append(f"{len(added)} column(s) without a heading hold values (first: {cell}, {_shown(value)}): "
                 f"read as {', '.join(added)}")
    return header + added


def _column_letters(index: int) -> str:
    """A 0-based column index as the letters a spreadsheet shows (0 → A, 26 → AA)."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


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


def _fit(cells: list[object], width: int) -> list[object]:
    """A row padded or cut to the header's width (the header reaches the last column holding a value)."""
    return cells[:width] + [None] * (width - len(cells))


def table_layer(
    path: Path, header: list[str], rows: list[list[object]], numbers: list[int], unit: str, *,
    crs: CrsSpec | None, encoding: str | None, notes: list[str], positions_stored: bool = False,
) -> RawLayer:
    """The geometries of a table's rows from its coordinate, coordinate-pair or WKT columns, less the
    subtotal and signature rows of a census form (layers.survey_form_rows). `unit` names the rows in
    notes: row (of a sheet), line (of a CSV file) or table row (of a GeoPackage or geodatabase).

    A table without such columns is refused, unless `positions_stored` (an upsert): then its rows have
    no geometry and the import gives each the position stored for its identifier
    (layers.survey_positions)."""
    attributes = pd.DataFrame(rows, columns=header, dtype=object) if rows else pd.DataFrame(columns=header)
    wkt = wkt_column(header)
    pairs = coordinate_pairs(header, plane_first=crs is not None and not crs.is_geographic)
    problems = np.full(len(attributes), None, dtype=object)
    if wkt is not None:
        values = [v if isinstance(v, str) and v.strip() else None for v in attributes[wkt]]
        geometries = from_wkt(values, notes)
        used: tuple[str, ...] = (wkt,)
        for i in np.flatnonzero(shapely.is_missing(geometries) & np.array([v is not None for v in values])):
            problems[i] = f"{wkt} {_shown(values[i])} is not WKT of a geometry: {wkt_reason(str(values[i]))}"
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
    elif positions_stored:
        used = ()
        geometries = np.full(len(attributes), None, dtype=object)
        notes.append("no coordinate columns: each row keeps the position of the current component with its "
                     "identifier (upsert)")
    else:
        raise ImportValidationError(
            f"{path}: no coordinate columns (lon/lat, 经度/纬度, x/y, POINT_X/POINT_Y, 东坐标/北坐标 …), "
            f"no column of coordinate pairs (经纬度, 坐标: '114.05,22.54') and no WKT column "
            f"(wkt/geometry/geom); columns are {header}. A sheet of identifiers without coordinates "
            "updates the components it names with --mode upsert, which keeps their stored positions"
        )
    row_numbers = np.asarray(numbers, dtype=np.int64)
    form = form_rows(attributes, shapely.is_missing(geometries))
    if form.any():
        notes.append(form_rows_note(row_numbers[form], "sheet row" if unit == "row" else unit))
        kept = ~form
        attributes = attributes[kept].reset_index(drop=True)
        geometries, problems, row_numbers = geometries[kept], problems[kept], row_numbers[kept]
    missing = sum(g is None for g in geometries)
    if missing and used:
        notes.append(f"{missing} rows without a usable geometry in {list(used)} (geometry None)")
    if (rounded := rounded_degrees_note(geometries, used, row_numbers, unit)) is not None:
        notes.append(rounded)
    named = named_crs(used)
    if named is not None:
        notes.append(f"coordinate columns {list(used)} name their system: read as {parse_crs(named)} unless "
                     "--crs says otherwise")
    declared = parse_crs(named) if named is not None else None
    return RawLayer(attributes, geometries, row_numbers, declared, str(declared) if declared else None,
                    encoding, notes, used, problems, positioned=bool(used))


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
    written = [(column, value, number) for column, value, number in cells if not _is_empty(value)]
    if not written:
        return None
    reasons = [_unread_number(column, value) for column, value, number in written if not np.isfinite(number)]
    reasons += [_empty_reason(column) for column, value, _ in cells if _is_empty(value)]
    return "; ".join(reasons)


def _empty_reason(column: str) -> str:
    return f"{column} is empty"


def _unread_number(column: str, value: object) -> str:
    text = str(value).strip()
    if text in ERROR_VALUES:
        return error_value_reason(column, text)
    return f"{column} {_shown(value)} is not a finite number (nor degrees, minutes and seconds)"


def _unread_dms(cells: list[tuple[str, object]]) -> str | None:
    """Why degree, minute and second cells made no coordinate, or None when they are all empty."""
    written = [(column, value) for column, value in cells if value is not None and str(value).strip()]
    if not written:
        return None
    shown = ", ".join(f"{column} {_shown(value)}" for column, value in written)
    return f"{shown}: not degrees, minutes and seconds (numbers; minutes and seconds below 60)"
