"""Excel's error values (#N/A, #VALUE!, #REF! …): what a formula that failed leaves in its cell.

A survey form often fills its department or class columns with a lookup (VLOOKUP of the street or the
class name), and a lookup that finds nothing shows #N/A. The value is not data: read as empty it would
give a row a new identifier instead of the one it names, or clear a department without a word. So the
import reads it as the text Excel shows (a CSV saved from Excel holds that text too), and the validation
rejects the row naming the field. calamine reads an error cell as an empty string, so the error cells
of an Office Open XML workbook (.xlsx, .xlsm) are found in its sheet XML, those of an Excel 97-2003
workbook (.xls, which WPS and older templates still save) by xlrd, and those of an OpenDocument
spreadsheet (.ods, LibreOffice's) in its content.xml, where LibreOffice also writes its own codes
(Err:502 for an invalid argument) for errors Excel has no value for.

A formula that was never calculated leaves its cell without a value: a workbook a program wrote (openpyxl
writing =A2*1) and no spreadsheet application opened and saved. calamine reads such a cell as empty too;
unsaved_formula_cells finds them in an Office Open XML sheet, so that a reader can say why a value is
missing.
"""

import posixpath
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from io import BytesIO
from typing import IO, Any
from xml.etree import ElementTree

import numpy as np
import pandas as pd

# The error values of Excel and WPS (the same codes; #GETTING_DATA, #SPILL! and #CALC! are the newer ones)
EXCEL_ERROR_VALUES = frozenset({"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A",
                                "#GETTING_DATA", "#SPILL!", "#CALC!"})
# LibreOffice shows the errors Excel has no value for as Err:501 … Err:5xx
ERROR_VALUES = EXCEL_ERROR_VALUES | frozenset(f"Err:{code}" for code in range(500, 600))
COMPOUND_FILE = bytes.fromhex("d0cf11e0a1b11ae1")  # the signature of an OLE compound file: an .xls
_ERROR_TYPE = re.compile(rb"""\bt\s*=\s*["']e["']""")  # a cell of type error
_SEARCH_CHUNK = 1 << 20
_RELATIONSHIP_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_CELL_REFERENCE = re.compile(r"([A-Z]+)([0-9]+)")
_OPENDOCUMENT_CONTENT = "content.xml"
_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_TABLE_NAME = f"{{{_TABLE}}}name"
_COLUMNS_REPEATED = f"{{{_TABLE}}}number-columns-repeated"
_ROWS_REPEATED = f"{{{_TABLE}}}number-rows-repeated"
# LibreOffice types an error cell calcext:value-type="error" (office:value-type stays "string", with an
# empty office:string-value, which calamine reads) and writes the error as the cell's text
_CALCEXT_VALUE_TYPE = "{urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0}value-type"
_OPENDOCUMENT_ERROR = re.compile(rb"""value-type\s*=\s*["']error["']""")
# The end of a formula cell without a saved value: the formula, then no value or an empty one (openpyxl
# writes <f>A2*1</f><v></v>, Apache POI <f>A2*1</f>). Excel and WPS type a formula whose saved result is
# the empty text (=IF(A2="","",…)) t="str", with an empty value: that cell is not one.
_UNSAVED_FORMULA_END = re.compile(rb"(?:</f>|<f\b[^>]*/>)\s*(?:<v\s*/>|<v>\s*</v>)?\s*</c>")
_CELL_ATTRIBUTE = re.compile(rb"""\s([rt])\s*=\s*["']([^"']*)["']""")


def error_cells(workbook: bytes, sheet: str) -> dict[tuple[int, int], str]:
    """The error cells of the sheet named `sheet` of an Office Open XML workbook: (1-based row, 0-based
    column) → the error value. Empty for another kind of workbook, and when the sheet has none (the
    sheet XML is searched for an error cell first and parsed only when one is there)."""
    if workbook.startswith(COMPOUND_FILE):
        return _biff_error_cells(workbook, sheet)
    if not workbook.startswith(b"PK"):
        return {}
    try:
        with zipfile.ZipFile(BytesIO(workbook)) as book:
            if _OPENDOCUMENT_CONTENT in book.namelist():
                if not _has_error_cell(book, _OPENDOCUMENT_CONTENT, _OPENDOCUMENT_ERROR):
                    return {}
                with book.open(_OPENDOCUMENT_CONTENT) as xml:
                    return _opendocument_error_cells(xml, sheet)
            member = _sheet_member(book, sheet)
            if not member or not _has_error_cell(book, member, _ERROR_TYPE):
                return {}
            with book.open(member) as xml:
                return _parsed_error_cells(xml)
    except (zipfile.BadZipFile, ElementTree.ParseError, KeyError, ValueError):
        return {}  # calamine read the workbook; what it cannot tell here stays as calamine read it


def unsaved_formula_cells(workbook: bytes, sheet: str) -> set[tuple[int, int]]:
    """The cells of the sheet named `sheet` of an Office Open XML workbook that hold a formula without a
    saved value, as (1-based row, 0-based column). Empty for another kind of workbook (an .xls or .ods file
    is not searched) and for a cell without its reference (r="D2"), which is not told."""
    if not workbook.startswith(b"PK"):
        return set()
    try:
        with zipfile.ZipFile(BytesIO(workbook)) as book:
            member = None if _OPENDOCUMENT_CONTENT in book.namelist() else _sheet_member(book, sheet)
            if not member:
                return set()
            with book.open(member) as xml:
                return _unsaved_formulas(xml)
    except (zipfile.BadZipFile, ElementTree.ParseError, KeyError, ValueError):
        return set()


def _unsaved_formulas(xml: IO[bytes]) -> set[tuple[int, int]]:
    found: set[tuple[int, int]] = set()
    tail = b""
    while chunk := xml.read(_SEARCH_CHUNK):
        text = tail + chunk
        for end in _UNSAVED_FORMULA_END.finditer(text):
            start = text.rfind(b"<c", 0, end.start())
            attributes = dict(_CELL_ATTRIBUTE.findall(text[start:text.find(b">", start)]))
            if start >= 0 and attributes.get(b"t") != b"str":
                found.add(_position(attributes.get(b"r", b"").decode("ascii", "replace"), 0, 0))
        last = text.rfind(b"<c")
        tail = text[last:] if last >= 0 else b""  # the last cell, perhaps cut by the chunk's end
    found.discard((0, 0))  # a cell without its reference
    return found


def with_error_values(rows: Sequence[list[Any]], errors: dict[tuple[int, int], str]) -> None:
    """Put each error value in its cell of `rows` (the sheet's rows from row 1 and column A)."""
    for (row, column), value in errors.items():
        if row <= len(rows):
            cells = rows[row - 1]
            cells.extend([""] * (column + 1 - len(cells)))
            cells[column] = value


def holding_error_values(frame: pd.DataFrame) -> Iterator[tuple[str, np.ndarray]]:
    """(column, per row whether it holds an error value) for each column of `frame` that holds one."""
    for name in frame.columns:
        column = frame[name]
        if column.dtype != object and not pd.api.types.is_string_dtype(column):
            continue
        present = column.dropna()  # an empty column costs one pass, not a look-up per row
        if present.empty:
            continue
        found = column.isin(ERROR_VALUES).to_numpy(dtype=bool)
        if found.any():
            yield str(name), found


def error_values_by_row(frame: pd.DataFrame, columns: Iterable[str]) -> dict[int, list[tuple[str, str]]]:
    """Per row position of `frame`, (column, reason) of each error value in `columns`."""
    found: dict[int, list[tuple[str, str]]] = {}
    for name, holding in holding_error_values(frame[list(dict.fromkeys(columns))]):
        for i in np.flatnonzero(holding):
            found.setdefault(int(i), []).append((name, error_value_reason(name, frame[name].iloc[i])))
    return found


def error_value_reason(name: str, value: object) -> str:
    why = ": a lookup found nothing" if value == "#N/A" else ""
    maker = "Excel's" if value in EXCEL_ERROR_VALUES else "LibreOffice's"
    return (f"{name} holds {value}, {maker} mark of a formula that failed{why}; correct the formula or "
            "clear the cell")


def _biff_error_cells(workbook: bytes, sheet: str) -> dict[tuple[int, int], str]:
    """The error cells of a sheet of an Excel 97-2003 workbook, as error_cells gives them."""
    import xlrd  # for .xls workbooks only

    try:
        book = xlrd.open_workbook(file_contents=workbook, on_demand=True)
        try:
            found = book.sheet_by_name(sheet)
            cells = {(row + 1, column): xlrd.error_text_from_code.get(found.cell_value(row, column))
                     for row in range(found.nrows)
                     for column, kind in enumerate(found.row_types(row)) if kind == xlrd.XL_CELL_ERROR}
            return {cell: value for cell, value in cells.items() if value is not None}
        finally:
            book.release_resources()
    except (xlrd.XLRDError, xlrd.compdoc.CompDocError, AssertionError, IndexError, ValueError, KeyError):
        return {}  # calamine read the workbook; what xlrd cannot tell stays as calamine read it


def _sheet_member(book: zipfile.ZipFile, sheet: str) -> str | None:
    """The zip member of the sheet named `sheet`: the package's relationships name the workbook part,
    whose sheet element names the relationship that targets the sheet's part."""
    workbook_part = next((target.lstrip("/") for _, target, kind in _relationships(book, "")
                          if kind.endswith("/officeDocument")), "xl/workbook.xml")
    targets = {key: target for key, target, _ in _relationships(book, workbook_part)}
    for element in ElementTree.fromstring(book.read(workbook_part)).iter():
        if _local(element.tag) == "sheet" and element.get("name") == sheet:
            target = targets.get(element.get(_RELATIONSHIP_ID) or "")
            return _resolved(workbook_part, target) if target else None
    return None


def _relationships(book: zipfile.ZipFile, part: str) -> list[tuple[str, str, str]]:
    """(Id, Target, Type) of each relationship of `part` ("" for the package's own: _rels/.rels)."""
    folder, name = posixpath.split(part)
    root = ElementTree.fromstring(book.read(posixpath.join(folder, "_rels", f"{name}.rels")))
    return [(r.get("Id", ""), r.get("Target", ""), r.get("Type", ""))
            for r in root if _local(r.tag) == "Relationship"]


def _resolved(part: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(part), target))


def _has_error_cell(book: zipfile.ZipFile, member: str, marker: re.Pattern[bytes]) -> bool:
    tail = b""
    with book.open(member) as xml:
        while chunk := xml.read(_SEARCH_CHUNK):
            if marker.search(tail + chunk):
                return True
            tail = chunk[-64:]
    return False


def _parsed_error_cells(xml: IO[bytes]) -> dict[tuple[int, int], str]:
    found: dict[tuple[int, int], str] = {}
    row, column = 0, -1
    for event, element in ElementTree.iterparse(xml, events=("start", "end")):
        tag = _local(element.tag)
        if event == "start":
            if tag == "row":
                row, column = int(element.get("r") or row + 1), -1
            elif tag == "c":
                row, column = _position(element.get("r"), row, column + 1)
            continue
        if tag == "c":
            if element.get("t") == "e":
                value = next((child.text for child in element if _local(child.tag) == "v"), None)
                if value:
                    found[(row, column)] = value.strip()
            element.clear()
        elif tag == "row":
            element.clear()
    return found


def _opendocument_error_cells(xml: IO[bytes], sheet: str) -> dict[tuple[int, int], str]:
    """The error cells of the table named `sheet` of an OpenDocument spreadsheet's content.xml. A cell or
    row written once for several identical ones (number-columns-repeated, number-rows-repeated) counts for
    each, and a cell covered by a merge is a cell, as calamine counts them."""
    found: dict[tuple[int, int], str] = {}
    in_sheet, row, column = False, 0, 0
    in_row: dict[int, str] = {}  # column -> error value, of the row being read
    for event, element in ElementTree.iterparse(xml, events=("start", "end")):
        tag = _local(element.tag)
        if tag == "table":
            if event == "start":
                in_sheet, row = element.get(_TABLE_NAME) == sheet, 0
            elif in_sheet:
                break
            continue
        if event == "start":
            if tag == "table-row":
                column, in_row = 0, {}
            continue
        if tag in ("table-cell", "covered-table-cell"):
            repeated = int(element.get(_COLUMNS_REPEATED) or 1)
            if in_sheet and element.get(_CALCEXT_VALUE_TYPE) == "error":
                value = "".join(element.itertext()).strip()
                in_row.update({column + k: value for k in range(repeated) if value})
            column += repeated
            element.clear()
        elif tag == "table-row":
            repeated = int(element.get(_ROWS_REPEATED) or 1)
            if in_sheet:
                found.update({(row + k + 1, c): v for k in range(repeated) for c, v in in_row.items()})
            row += repeated
            element.clear()
    return found


def _position(reference: str | None, row: int, column: int) -> tuple[int, int]:
    """A cell's (row, 0-based column): its reference (B7) when written, else the next cell of its row."""
    matched = _CELL_REFERENCE.fullmatch(reference or "")
    if not matched:
        return row, column
    letters, digits = matched.groups()
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - ord("A") + 1
    return int(digits), number - 1


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]
