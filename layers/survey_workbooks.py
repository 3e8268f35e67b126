"""The rows of a workbook sheet as Python values: .xlsx/.xlsm through openpyxl, the older binary .xls
(which WPS and older Excel still save by default in many offices) through xlrd.

Cells come back as Excel shows them: text as text, whole numbers as int, dates as datetime.
"""

import io
import zipfile
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import openpyxl
import xlrd
from openpyxl.utils.exceptions import InvalidFileException

from gis.errors import ImportValidationError

Row = tuple[int, list[object]]  # sheet row number (1-based), cells


def sheet_rows(
    path: Path, sheet: str | None, content: bytes | None = None, *,
    fits: Callable[[list[Row]], bool] | None = None,
) -> tuple[list[Row], list[str]]:
    """Every row of the sheet named `sheet`, else of the first sheet whose rows `fits` accepts (a cover or
    an instructions sheet often comes first), else of the first sheet; a note when other sheets exist.
    The workbook is `content` when given (an upload; `path` then only names it), else the file."""
    if path.suffix.lower() == ".xls":
        try:
            xls = xlrd.open_workbook(str(path), file_contents=content, on_demand=True)
        except (xlrd.XLRDError, OSError, ValueError, AssertionError) as error:
            raise ImportValidationError(f"{path}: cannot read the workbook: {error}") from None
        try:
            return _pick(path, xls.sheet_names(), sheet, fits, lambda name: _xls_rows(xls, name))
        finally:
            xls.release_resources()
    try:
        source = io.BytesIO(content) if content is not None else path
        book = openpyxl.load_workbook(source, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as error:
        raise ImportValidationError(f"{path}: cannot read the workbook: {error}") from None
    try:
        return _pick(path, book.sheetnames, sheet, fits, lambda name: _xlsx_rows(book, name))
    finally:
        book.close()


def _pick(path: Path, names: list[str], sheet: str | None, fits: Callable[[list[Row]], bool] | None,
          read: Callable[[str], list[Row]]) -> tuple[list[Row], list[str]]:
    if sheet is not None:
        if sheet not in names:
            raise ImportValidationError(f"{path}: no sheet {sheet!r}; the sheets are {names}")
        return read(sheet), []
    chosen, rows = names[0], read(names[0])
    if fits is not None and not fits(rows):
        for name in names[1:]:
            if fits(candidate := read(name)):
                chosen, rows = name, candidate
                break
    if len(names) == 1:
        return rows, []
    why = "" if chosen == names[0] else f" (the first that holds the data; {names[0]!r} does not)"
    return rows, [f"workbook has sheets {', '.join(names)}: read {chosen!r}{why}; pass --layer"]


def _xlsx_rows(book: openpyxl.Workbook, name: str) -> list[Row]:
    ws = book[name]
    ws.reset_dimensions()  # some writers record wrong sheet dimensions; read every row
    return [(number, list(values)) for number, values in enumerate(ws.iter_rows(values_only=True), 1)]


def _xls_rows(book: xlrd.book.Book, name: str) -> list[Row]:
    ws = book.sheet_by_name(name)
    return [(r + 1, list(_xls_cells(ws, r, book.datemode))) for r in range(ws.nrows)]


def _xls_cells(ws: xlrd.sheet.Sheet, row: int, datemode: int) -> Iterator[object]:
    for kind, value in zip(ws.row_types(row), ws.row_values(row), strict=True):
        if kind == xlrd.XL_CELL_DATE:
            yield _xls_date(value, datemode)
        elif kind == xlrd.XL_CELL_NUMBER and float(value).is_integer() and abs(value) < 2**53:
            yield int(value)  # .xls stores every number as a double
        elif kind in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
            yield None
        else:
            yield value


def _xls_date(value: float, datemode: int) -> datetime | float:
    try:
        return xlrd.xldate_as_datetime(value, datemode)
    except xlrd.xldate.XLDateError:
        return value
