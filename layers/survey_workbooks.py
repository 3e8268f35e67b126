"""The rows of a workbook sheet as Python values: .xlsx/.xlsm through openpyxl, the older binary .xls
(which WPS and older Excel still save by default in many offices) through xlrd.

Cells come back as Excel shows them: text as text, whole numbers as int, dates as datetime.
"""

import io
import zipfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import openpyxl
import xlrd
from openpyxl.utils.exceptions import InvalidFileException

from gis.errors import ImportValidationError

Row = tuple[int, list[object]]  # sheet row number (1-based), cells


def sheet_rows(path: Path, sheet: str | None, content: bytes | None = None) -> tuple[list[Row], list[str]]:
    """Every row of the sheet named `sheet` (else the first), and a note when other sheets exist; the
    workbook is `content` when given (an upload; `path` then only names it), else the file."""
    if path.suffix.lower() == ".xls":
        return _xls_rows(path, sheet, content)
    try:
        source = io.BytesIO(content) if content is not None else path
        book = openpyxl.load_workbook(source, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as error:
        raise ImportValidationError(f"{path}: cannot read the workbook: {error}") from None
    try:
        notes = _chosen(path, book.sheetnames, sheet)
        ws = book[sheet] if sheet is not None else book.worksheets[0]
        ws.reset_dimensions()  # some writers record wrong sheet dimensions; read every row
        rows = [(number, list(values)) for number, values in enumerate(ws.iter_rows(values_only=True), 1)]
    finally:
        book.close()
    return rows, notes


def _xls_rows(path: Path, sheet: str | None, content: bytes | None) -> tuple[list[Row], list[str]]:
    try:
        book = xlrd.open_workbook(str(path), file_contents=content, on_demand=True)
    except (xlrd.XLRDError, OSError, ValueError, AssertionError) as error:
        raise ImportValidationError(f"{path}: cannot read the workbook: {error}") from None
    try:
        names = book.sheet_names()
        notes = _chosen(path, names, sheet)
        ws = book.sheet_by_name(sheet) if sheet is not None else book.sheet_by_index(0)
        rows = [(r + 1, list(_xls_cells(ws, r, book.datemode))) for r in range(ws.nrows)]
    finally:
        book.release_resources()
    return rows, notes


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


def _chosen(path: Path, names: list[str], sheet: str | None) -> list[str]:
    if sheet is not None and sheet not in names:
        raise ImportValidationError(f"{path}: no sheet {sheet!r}; the sheets are {names}")
    if sheet is None and len(names) > 1:
        return [f"workbook has sheets {', '.join(names)}: read {names[0]!r}; pass --layer"]
    return []
