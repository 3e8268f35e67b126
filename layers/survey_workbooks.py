"""The rows of a workbook sheet as Python values: .xlsx/.xlsm through openpyxl, the older binary .xls
(which WPS and older Excel still save by default in many offices) through xlrd.

Cells come back as Excel shows them: text as text, whole numbers as int, dates as datetime.
"""

import io
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import openpyxl
import xlrd
from openpyxl.utils.exceptions import InvalidFileException

from gis.errors import ImportValidationError

Row = tuple[int, list[object]]  # sheet row number (1-based), cells
_SheetReader = Callable[[str, int | None], list[Row]]  # (sheet name, first rows only) -> rows
# Rows a sheet's header is sought in, when choosing the sheets that hold a survey
HEADER_ROWS = 30


def sheet_rows(
    path: Path, sheet: str | None, content: bytes | None = None, *,
    fits: Callable[[list[Row]], bool] | None = None,
) -> tuple[list[Row], list[str]]:
    """Every row of the sheet named `sheet`, else of the first sheet whose rows `fits` accepts (a cover or
    an instructions sheet often comes first), else of the first sheet; a note when other sheets exist.
    The workbook is `content` when given (an upload; `path` then only names it), else the file."""
    with _workbook(path, content) as (names, read):
        return _pick(path, names, sheet, fits, read)


def sheets_that_fit(path: Path, fits: Callable[[list[Row]], bool]) -> tuple[list[str], list[str]]:
    """Every sheet of the workbook, and those whose first HEADER_ROWS rows `fits` accepts (a header is
    near the top; the rest of a large sheet is not read)."""
    with _workbook(path, None) as (names, read):
        return names, [name for name in names if fits(read(name, HEADER_ROWS))]


@contextmanager
def _workbook(path: Path, content: bytes | None) -> Iterator[tuple[list[str], _SheetReader]]:
    """The sheet names of a workbook and a reader of a sheet's rows (the first `limit` of them if given)."""
    if path.suffix.lower() == ".xls":
        try:
            xls = xlrd.open_workbook(str(path), file_contents=content, on_demand=True)
        except (xlrd.XLRDError, OSError, ValueError, AssertionError) as error:
            raise ImportValidationError(f"{path}: cannot read the workbook: {error}") from None
        try:
            yield xls.sheet_names(), lambda name, limit: _xls_rows(xls, name, limit)
        finally:
            xls.release_resources()
        return
    try:
        source = io.BytesIO(content) if content is not None else path
        book = openpyxl.load_workbook(source, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as error:
        raise ImportValidationError(f"{path}: cannot read the workbook: {error}") from None
    try:
        yield book.sheetnames, lambda name, limit: _xlsx_rows(book, name, limit)
    finally:
        book.close()


def _pick(path: Path, names: list[str], sheet: str | None, fits: Callable[[list[Row]], bool] | None,
          read: _SheetReader) -> tuple[list[Row], list[str]]:
    if sheet is not None:
        if sheet not in names:
            raise ImportValidationError(f"{path}: no sheet {sheet!r}; the sheets are {names}")
        return read(sheet, None), []
    # the same test as sheets_that_fit: the sheet's first rows
    chosen = next((name for name in names if fits is None or fits(read(name, HEADER_ROWS))), names[0])
    rows = read(chosen, None)
    if len(names) == 1:
        return rows, []
    why = "" if chosen == names[0] else f" (the first that holds the data; {names[0]!r} does not)"
    return rows, [f"workbook has sheets {', '.join(names)}: read {chosen!r}{why}; pass --layer"]


def _xlsx_rows(book: openpyxl.Workbook, name: str, limit: int | None) -> list[Row]:
    ws = book[name]
    ws.reset_dimensions()  # some writers record wrong sheet dimensions; read every row
    return [(number, list(values))
            for number, values in enumerate(ws.iter_rows(max_row=limit, values_only=True), 1)]


def _xls_rows(book: xlrd.book.Book, name: str, limit: int | None) -> list[Row]:
    ws = book.sheet_by_name(name)
    rows = ws.nrows if limit is None else min(ws.nrows, limit)
    return [(r + 1, list(_xls_cells(ws, r, book.datemode))) for r in range(rows)]


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
