"""The rows of a workbook sheet as Python values, through calamine (python-calamine): .xlsx/.xlsm, the
older binary .xls that WPS and older Excel still save by default in many offices, and LibreOffice's
OpenDocument .ods.

Cells come back as Excel shows them: text as text, whole numbers as int, dates as datetime, formulas as
their last computed value (empty when none was saved; layers.survey_tables says why where it matters), an
error value (#N/A) as its text (layers/spreadsheet_errors.py).
`bench/read_tables.py` reads a 100,000-row form in 5.4 s this way, against
25.6 s through openpyxl, which built a Python object per cell.
"""

import io
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import NamedTuple

from gis.errors import ImportValidationError
from layers.spreadsheet_errors import COMPOUND_FILE, error_cells, with_error_values

Row = tuple[int, list[object]]  # sheet row number (1-based), cells


class MergedDown(NamedTuple):
    """Cells merged over several rows (所属街道 or 部件类型 once for a group of rows): Excel shows the value
    of the top row across them, and stores it there only."""

    column: int  # 0-based, the merged range's first column
    top: int  # sheet row numbers, 1-based
    bottom: int


class Sheet(NamedTuple):
    """A sheet as read: its name, its rows, the cells merged down over rows, and notes on the sheet
    chosen."""

    name: str
    rows: list[Row]
    merged_down: list[MergedDown]
    notes: list[str]


_SheetReader = Callable[[str, int | None], Sheet]  # (sheet name, first rows only) -> the sheet
# Rows a sheet's header is sought in, when choosing the sheets that hold a survey
HEADER_ROWS = 30
_SIXTEEN_DIGITS = 10.0**15


def sheet_rows(
    path: Path, sheet: str | None, content: bytes | None = None, *,
    fits: Callable[[list[Row]], bool] | None = None,
) -> Sheet:
    """Every row of the sheet named `sheet`, else of the first visible sheet whose rows `fits` accepts (a
    cover or an instructions sheet often comes first), else of the first visible sheet; a note when other
    sheets exist. A hidden sheet (an old draft, a list behind a drop-down) is read only when named.
    The workbook is `content` when given (an upload; `path` then only names it), else the file."""
    with _workbook(path, content) as (names, hidden, read):
        found = _pick(path, names, hidden, sheet, fits, read)
        if sheet in hidden:
            found.notes.append(f"sheet {sheet!r} is hidden in the workbook: read because --layer names it")
        elif hidden:
            found.notes.append(f"hidden sheet(s) {', '.join(hidden)} not read; --layer names one to read it")
        return found


def sheets_that_fit(path: Path, fits: Callable[[list[Row]], bool]) -> tuple[list[str], list[str]]:
    """Every visible sheet of the workbook, and those whose first HEADER_ROWS rows `fits` accepts (a header
    is near the top; calamine parses each sheet whole, but only those rows become Python values)."""
    with _workbook(path, None) as (names, _, read):
        return names, [name for name in names if fits(read(name, HEADER_ROWS).rows)]


@contextmanager
def _workbook(path: Path, content: bytes | None) -> Iterator[tuple[list[str], list[str], _SheetReader]]:
    """The visible and the hidden sheet names of a workbook, and a reader of a sheet's rows (the first
    `limit` of them if given). The format is told from the content, so a .xls saved under an .xlsx
    name is read too."""
    from python_calamine import (  # for workbooks only
        CalamineError,
        CalamineWorkbook,
        PasswordError,
        SheetVisibleEnum,
    )

    try:
        data = content if content is not None else path.read_bytes()
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except OSError as error:
        raise ImportValidationError(f"{path}: cannot read the workbook: {error}") from None
    except CalamineError as error:
        if isinstance(error, PasswordError) or _encrypted_package(data):
            raise ImportValidationError(
                f"{path}: the workbook is protected by a password: open it, save a copy without the password "
                "(文件 → 信息 → 保护工作簿 → 用密码进行加密: clear it) and import the copy") from None
        raise ImportValidationError(f"{path}: cannot read the workbook: {error}") from None

    def read(name: str, limit: int | None) -> Sheet:
        try:
            sheet = book.get_sheet_by_name(name)
            rows = sheet.to_python(skip_empty_area=False, nrows=limit)
            merged = sheet.merged_cell_ranges or []
        except CalamineError as error:
            raise ImportValidationError(f"{path}: cannot read the sheet {name!r}: {error}") from None
        if limit is None:  # the first rows are read only to choose a sheet by its header
            with_error_values(rows, error_cells(data, name))
        cells = [(number, [_cell(value) for value in values]) for number, values in enumerate(rows, 1)]
        down = [MergedDown(left, top + 1, bottom + 1) for (top, left), (bottom, _) in merged if bottom > top]
        return Sheet(name, cells, down, [])

    sheets = book.sheets_metadata
    try:
        yield ([m.name for m in sheets if m.visible == SheetVisibleEnum.Visible],
               [m.name for m in sheets if m.visible != SheetVisibleEnum.Visible], read)
    finally:
        book.close()


def _pick(path: Path, names: list[str], hidden: list[str], sheet: str | None,
          fits: Callable[[list[Row]], bool] | None, read: _SheetReader) -> Sheet:
    if sheet is not None:
        if sheet not in names and sheet not in hidden:
            raise ImportValidationError(f"{path}: no sheet {sheet!r}; the sheets are {names + hidden}")
        return read(sheet, None)
    if not names:
        raise ImportValidationError(f"{path}: every sheet is hidden ({', '.join(hidden)}); --layer names the "
                                    "one to read")
    # the same test as sheets_that_fit: the sheet's first rows
    chosen = next((name for name in names if fits is None or fits(read(name, HEADER_ROWS).rows)), names[0])
    found = read(chosen, None)
    if len(names) == 1:
        return found
    why = "" if chosen == names[0] else f" (the first that holds the data; {names[0]!r} does not)"
    note = f"workbook has sheets {', '.join(names)}: read {chosen!r}{why}; pass --layer"
    return found._replace(notes=[note])


def _encrypted_package(data: bytes) -> bool:
    """True for an .xlsx saved with a password: Office then writes a compound file (the .xls container)
    holding the streams EncryptionInfo and EncryptedPackage instead of the zip."""
    return data.startswith(COMPOUND_FILE) and "EncryptedPackage".encode("utf-16-le") in data


def _cell(value: object) -> object:
    """A cell as Excel shows it: an empty cell None, a whole number int (workbooks store every number as
    a double), a date a datetime at midnight. A whole number of 16 digits or more is the text Excel shows
    for it (4.40304010100012E+15): Excel keeps 15 significant digits of what is typed, so its last digits
    are lost, and an identifier typed so is refused for that reason, not read as another code."""
    if isinstance(value, str):
        return value or None
    if isinstance(value, float):
        if value.is_integer() and abs(value) >= _SIXTEEN_DIGITS:
            return f"{value:.15G}"
        return int(value) if value.is_integer() else value
    if isinstance(value, date) and not isinstance(value, datetime):
        return datetime(value.year, value.month, value.day)
    return value
